"""``NetTesterMixin``: the checks every zoo network must pass (diffusers' ``ModelTesterMixin`` idea).

A test class sets ``net_class``, tiny ``init_kwargs``, ``make_inputs()``, the expected ``output_shape`` and, where the
output is bounded, ``output_range``; it inherits shape/range, save/load round trip, relocated folder, determinism,
config rebuild, JSON config and backward checks.
"""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import torch

from zoo.nets import ZooNet


def as_tensors(output: torch.Tensor | tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """A net's output as a tuple of tensors (VAEs return ``(logits, mu, logvar)``)."""
    return output if isinstance(output, tuple) else (output,)


def public_config(net: ZooNet) -> dict[str, Any]:
    """The constructor arguments in a net's config, JSON-normalised (tuples become lists); no ``_`` bookkeeping."""
    return {key: value for key, value in json.loads(net.to_json_string()).items() if not key.startswith("_")}


def assert_same_outputs(first: tuple[torch.Tensor, ...], second: tuple[torch.Tensor, ...]) -> None:
    """Equal up to float rounding: a reloaded (mmap-ed, differently aligned) weight may take another SIMD path."""
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


class NetTesterMixin:
    """Mix into a ``Test...`` class; see the module docstring for what to set."""

    net_class: ClassVar[type[ZooNet]]
    init_kwargs: ClassVar[dict[str, Any]] = {}
    output_shape: ClassVar[tuple[int, ...]]
    output_range: ClassVar[tuple[float, float] | None] = None

    def make_inputs(self) -> tuple[Any, ...]:
        """The positional arguments of ``forward``, tiny and seeded."""
        raise NotImplementedError

    def make_net(self) -> ZooNet:
        torch.manual_seed(0)
        return self.net_class(**self.init_kwargs)

    def run(self, net: ZooNet) -> tuple[torch.Tensor, ...]:
        with torch.no_grad():
            return as_tensors(net(*self.make_inputs()))

    def test_output_shape_and_range(self) -> None:
        output = self.run(self.make_net().eval())[0]
        assert tuple(output.shape) == self.output_shape
        assert torch.isfinite(output).all()
        if self.output_range is not None:
            low, high = self.output_range
            assert low <= output.min().item() and output.max().item() <= high, (output.min(), output.max())

    def test_save_load_round_trip(self, tmp_path: Path) -> None:
        net = self.make_net().eval()
        net.save_pretrained(tmp_path)
        loaded = self.net_class.from_pretrained(tmp_path).eval()
        assert type(loaded) is self.net_class
        assert public_config(loaded) == public_config(net)
        saved_state, loaded_state = net.state_dict(), loaded.state_dict()
        assert saved_state.keys() == loaded_state.keys()
        for key, value in saved_state.items():
            assert torch.equal(value, loaded_state[key]), key
        assert_same_outputs(self.run(net), self.run(loaded))

    def test_from_pretrained_after_moving_folder(self, tmp_path: Path) -> None:
        net = self.make_net().eval()
        net.save_pretrained(tmp_path / "first")
        shutil.copytree(tmp_path / "first", tmp_path / "elsewhere" / "copy")
        shutil.rmtree(tmp_path / "first")
        loaded = self.net_class.from_pretrained(tmp_path / "elsewhere" / "copy").eval()
        assert_same_outputs(self.run(net), self.run(loaded))

    def test_deterministic_in_eval_mode(self) -> None:
        net = self.make_net().eval()
        first, second = self.run(net), self.run(net)
        for a, b in zip(first, second, strict=True):
            assert torch.equal(a, b)

    def test_from_config_rebuilds_architecture(self) -> None:
        net = self.make_net()
        rebuilt = self.net_class.from_config(net.config)
        assert type(rebuilt) is self.net_class
        assert {k: v.shape for k, v in net.state_dict().items()} == {
            k: v.shape for k, v in rebuilt.state_dict().items()
        }

    def test_config_is_json_and_matches_constructor(self) -> None:
        net = self.make_net()
        assert json.loads(net.to_json_string())["_class_name"] == self.net_class.__name__
        arguments = set(inspect.signature(self.net_class.__init__).parameters) - {"self"}
        assert set(public_config(net)) == arguments

    def test_backward_reaches_every_parameter(self) -> None:
        net = self.make_net().train()
        loss = sum(output.float().square().mean() for output in as_tensors(net(*self.make_inputs())))
        loss.backward()
        unused = [name for name, parameter in net.named_parameters() if parameter.grad is None]
        assert not unused, f"parameters that get no gradient: {unused}"


def uniform(*shape: int, low: float = 0.0, high: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A seeded tensor of ``shape`` uniform in [low, high)."""
    return low + (high - low) * torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def normal(*shape: int, seed: int = 0) -> torch.Tensor:
    """A seeded standard normal tensor of ``shape``."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))
