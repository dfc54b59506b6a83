"""What a training script defines (``Task``) and the helpers the scripts share; the engine (train/engine.py) runs it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from zoo.errors import ZooError


class TrainingError(ZooError):
    """A problem with the run's settings or data, reported as one line."""


@dataclass
class Task:
    """What a training script defines. The engine calls these; see train/vae.py for a short example."""

    args: argparse.Namespace
    nets: dict[str, torch.nn.Module] = field(default_factory=dict)
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)

    def build(self) -> None:
        """Create ``self.nets`` and ``self.optimizers`` (use ``self.adam(...)`` for the flags' Adam)."""
        raise NotImplementedError

    def dataset(self) -> torch.utils.data.Dataset:
        raise NotImplementedError

    def training_step(self, batch: Any, accelerator: Any, step: int) -> dict[str, float]:
        """One optimisation step (each backward + optimizer step through ``self.optimize``); returns scalars to log."""
        raise NotImplementedError

    def samples(self, nets: dict[str, torch.nn.Module]) -> Any:
        """A PIL image grid showing the current model (saved every --sample-steps and at the end), or None."""
        return None

    def figures(self, history: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
        """Extra figures of the run for the card, drawn from the logged ``history`` when the run finishes:
        ``(file name under images/, caption, PIL image)``; ``[]`` (the default): only the plot of every scalar."""
        return []

    def pipeline(self, nets: dict[str, torch.nn.Module]) -> Any:
        """The task pipeline (zoo.pipelines) wrapping the trained networks."""
        raise NotImplementedError

    def decoding(self) -> dict[str, Any]:
        """Pipeline options that are decoding choices, not training (e.g. a colouriser's temperature): ``pipeline``
        includes them, and ``--eval-only`` applies the current ones to the finished model (rewriting its
        pipeline.json, golden output and checksums), so a decoding chosen by measurement needs no retraining."""
        return {}

    def evaluate(self, pipe: Any) -> tuple[list[Any], str]:
        """(EvalRecords, notes) on the task's test split, by the pipeline's fixed protocol (zoo.protocols)."""
        from zoo.protocols import evaluate

        final = Path(self.args.output_dir) / "final"
        records, notes, images = evaluate(pipe, self.args.data_dir, self.args.eval_limit, folder=final)
        self.extra_images = images
        return records, notes

    def validate(self, nets: dict[str, torch.nn.Module]) -> dict[str, float]:
        """Scores on held-out training-distribution data (never a test set), keys starting with ``val_``; called
        every --checkpointing-steps with the nets in eval mode; ``{}`` (the default): no validation.
        Must not draw from the global random generators (a resumed run must stay identical)."""
        return {}

    def card_info(self) -> dict[str, Any]:
        """Overrides for the card: description, datasets, licence, tags."""
        return {}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Extra state to checkpoint (e.g. an image pool); saved as safetensors."""
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        pass

    def optimize(
        self,
        accelerator: Any,
        loss: torch.Tensor,
        *names: str,
        clip: torch.nn.Module | None = None,
        max_norm: float = math.inf,
    ) -> torch.Tensor | None:
        """The tail of a training step: zero the gradients of the optimisers ``names`` (keys of ``self.optimizers``),
        backpropagate ``loss`` (through accelerate: mixed precision, DDP), clip the gradients of ``clip``'s parameters
        to ``max_norm`` when ``clip`` is given, and step those optimisers. Returns the gradient norm before clipping
        (None without ``clip``)."""
        optimizers = [self.optimizers[name] for name in names]
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        norm = None if clip is None else accelerator.clip_grad_norm_(clip.parameters(), max_norm)
        for opt in optimizers:
            opt.step()
        return norm

    def adam(self, net: torch.nn.Module, lr: float | None = None) -> torch.optim.Optimizer:
        a = self.args
        return torch.optim.Adam(
            net.parameters(), lr=lr or a.learning_rate, betas=(a.adam_beta1, a.adam_beta2), weight_decay=a.weight_decay
        )


def first_items(data: Any, keys: tuple[str, ...], count: int = 4) -> dict[str, torch.Tensor]:
    """The first ``count`` items of a dataset of dicts, stacked per key: a fixed batch for sample grids."""
    items = [data[i] for i in range(min(count, len(data)))]
    return {key: torch.stack([item[key] for item in items]) for key in keys}


def initialize_from(
    net: torch.nn.Module,
    source: str,
    component: str = "model",
    skip: tuple[str, ...] = (),
    hint: str = "",
    adapt: Callable[[dict], dict] | None = None,
) -> list[str]:
    """Copy into ``net`` every tensor of a trained network (``source``: a checkpoint folder or catalog name; its
    ``component``) whose name and shape match, except names starting with one of ``skip``; returns the copied names.
    ``adapt`` maps the donor's state dict first (e.g. renames a shallower network's layers to this one's).
    For recipes that start from another model (x4 from x2 as EDSR does; a GAN fine-tune from its L1 model)."""
    import zoo

    try:
        donor = zoo.load(source).models[component].state_dict()
    except (zoo.ZooError, KeyError) as error:
        raise TrainingError(
            f"--init-from {source!r}: {error}; {hint or 'train that model first'}, or pass --init-from '' to start "
            "from scratch"
        ) from error
    if adapt is not None:
        donor = adapt(donor)
    own = net.state_dict()
    copied = [k for k, v in donor.items() if k in own and own[k].shape == v.shape and not k.startswith(skip)]
    if not copied:
        raise TrainingError(f"--init-from {source!r}: no tensor matches this network's names and shapes")
    net.load_state_dict({**own, **{k: donor[k] for k in copied}})
    return copied


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return getattr(module, "module", module)
