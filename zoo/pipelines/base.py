"""The task pipeline base class and the checkpoint folder format.

A checkpoint folder (= one Hub repo) holds::

    pipeline.json            {"pipeline": "DenoisePipeline", "task": "denoise", "components": {"model": "model"},
                              "options": {...}}
    model/config.json        one subfolder per network, written by diffusers' save_pretrained
    model/diffusion_pytorch_model.safetensors
    golden.safetensors       a fixed probe input and the output it must give (checked before publishing)
    README.md                the model card

Loading reads JSON as data and resolves class names only against the zoo's own allowlists (``PIPELINES`` here,
``zoo.nets.NET_CLASSES``); weights are read from safetensors only.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from zoo.errors import CheckpointError, InputError

PIPELINE_FILE = "pipeline.json"
WEIGHTS_FILE = "diffusion_pytorch_model.safetensors"
GOLDEN_FILE = "golden.safetensors"

_PIPELINES: dict[str, type[Pipeline]] = {}

# Inference precision: "fp32"; "bf16" (autocast: convolutions in bfloat16 with float32 accumulation, about twice as
# fast on a CPU with AVX512-BF16 or AMX); "auto": bf16 where the hardware runs it natively, fp32 elsewhere (on a CPU
# without native bf16, autocast is slower than fp32). A checkpoint's pipeline.json chooses its default
# (options["precision"], "fp32" when absent); ZOO_PRECISION overrides it for every pipeline; ``pipe.precision = ...``
# for one.
PRECISIONS = ("auto", "fp32", "bf16")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 convolutions natively (oneDNN: AVX512-BF16 or AMX)."""
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def check_precision(value: object) -> str:
    text = str(value).strip().lower()
    if text not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}; got {value!r}")
    return text


class Pipeline:
    """Base of every task pipeline: networks in eval mode plus pre/post-processing, PIL in, PIL out.

    Subclasses set ``task`` and implement ``__call__`` (or the task's methods) and ``golden_probe``.
    """

    task: ClassVar[str] = ""

    def __init__(
        self, models: dict[str, torch.nn.Module], options: dict[str, Any] | None = None, name: str | None = None
    ):
        self.models = dict(models)
        self.options = dict(options or {})
        self.name = name
        self.device = torch.device("cpu")
        self.source = "memory"  # set by zoo.load: "folder", "mirror", "cache" or "hub"
        self.folder: Path | None = None  # the checkpoint folder it was loaded from (set by load_pipeline)
        self.precision = os.environ.get("ZOO_PRECISION") or self.options.get("precision", "fp32")
        for net in self.models.values():
            net.eval()

    @property
    def precision(self) -> str:
        """Requested inference precision: "fp32", "bf16" or "auto" (see ``compute_dtype`` for what runs)."""
        return self._precision

    @precision.setter
    def precision(self, value: str) -> None:
        self._precision = check_precision(value)

    @property
    def compute_dtype(self) -> torch.dtype:
        """The dtype the networks compute in on this device: bfloat16 or float32 (inputs and outputs stay float32)."""
        if self.precision == "bf16":
            return torch.bfloat16
        if self.precision == "auto":
            if self.device.type == "cpu" and cpu_has_native_bf16():
                return torch.bfloat16
            if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
                return torch.bfloat16
        return torch.float32

    def autocast(self) -> contextlib.AbstractContextManager:
        """Context for running the networks at ``compute_dtype`` (a no-op in float32)."""
        if self.compute_dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.compute_dtype)

    @contextlib.contextmanager
    def precision_as(self, precision: str) -> Iterator[None]:
        """Temporarily run at ``precision`` (golden outputs are always fp32, so they match on any machine)."""
        before = self.precision
        self.precision = precision
        try:
            yield
        finally:
            self.precision = before

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _PIPELINES[cls.__name__] = cls

    def __repr__(self) -> str:
        nets = ", ".join(f"{key}={type(net).__name__}" for key, net in self.models.items())
        return f"{type(self).__name__}(name={self.name!r}, {nets}, device={self.device})"

    @property
    def model(self) -> torch.nn.Module:
        """The network; a ``ModuleDict`` when the checkpoint holds several (e.g. CycleGAN's two generators)."""
        if len(self.models) == 1:
            return next(iter(self.models.values()))
        return torch.nn.ModuleDict(self.models)

    def to(self, device: str | torch.device) -> Pipeline:
        self.device = torch.device(device)
        for net in self.models.values():
            net.to(self.device)
        return self

    # ---------------------------------------------------------------------------------------------------- format
    def save_pretrained(self, folder: str | os.PathLike, dtype: torch.dtype | None = None) -> Path:
        """Write ``pipeline.json`` and one subfolder per network (safetensors), optionally cast (e.g. fp16)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for key, net in self.models.items():
            if dtype is not None and dtype != torch.float32:
                import copy

                net = copy.deepcopy(net).to(dtype)
            net.save_pretrained(folder / key, safe_serialization=True)
        meta = {"pipeline": type(self).__name__, "task": self.task, "components": {k: k for k in self.models}}
        meta["options"] = self.options
        (folder / PIPELINE_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def from_pretrained(
        cls, folder: str | os.PathLike, device: str | torch.device = "cpu", name: str | None = None
    ) -> Pipeline:
        pipe = load_pipeline(folder, device=device, name=name)
        if not isinstance(pipe, cls):
            raise CheckpointError(f"{folder} holds a {type(pipe).__name__}, not a {cls.__name__}")
        return pipe

    # ---------------------------------------------------------------------------------------------------- golden
    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """A fixed, seeded input and the raw network output for it (no quantisation), used to check a publish."""
        raise NotImplementedError

    def write_golden(self, folder: str | os.PathLike) -> Path:
        from safetensors.torch import save_file

        with self.precision_as("fp32"):
            inputs, output = self.golden_probe()
        tensors = {f"input.{k}": v.detach().float().cpu().contiguous() for k, v in inputs.items()}
        tensors["output"] = output.detach().float().cpu().contiguous()
        path = Path(folder) / GOLDEN_FILE
        save_file(tensors, str(path))
        return path

    def check_golden(self, folder: str | os.PathLike, atol: float = 1e-3) -> float:
        """Max abs difference between the stored golden output and this pipeline's; raises when above ``atol``."""
        from safetensors.torch import load_file

        path = Path(folder) / GOLDEN_FILE
        if not path.is_file():
            raise CheckpointError(f"{folder}: no {GOLDEN_FILE}; write it with pipe.write_golden(folder)")
        stored = load_file(str(path))
        with self.precision_as("fp32"):
            _, output = self.golden_probe()
        diff = float((output.detach().float().cpu() - stored["output"]).abs().max())
        if not np.isfinite(diff) or diff > atol:
            raise CheckpointError(f"{folder}: output differs from the stored golden output by {diff:.3g} (> {atol})")
        return diff


def pipeline_classes() -> dict[str, type[Pipeline]]:
    """The allowlist of pipeline classes (every subclass of Pipeline defined in the zoo)."""
    import zoo.pipelines  # noqa: F401  (defines the task pipelines)

    return dict(_PIPELINES)


MAX_CONFIG_NUMBER = 8192  # widths, depths, sizes, classes: the zoo's largest is 512 (a hidden layer)
MAX_CONFIG_LIST = 64
MAX_PARAMETERS = 200_000_000  # 0.8 GB in float32; the zoo's largest network has about 5 million


def check_config_bounds(config: dict, where: Path) -> None:
    """Every number of a network config (and of its lists) within ``MAX_CONFIG_NUMBER``, lists within
    ``MAX_CONFIG_LIST``: absurd widths or depths are refused before anything is built."""
    for key, value in config.items():
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > MAX_CONFIG_LIST:
            raise CheckpointError(f"{where}: {key} has {len(value)} entries (at most {MAX_CONFIG_LIST})")
        for item in values:
            if isinstance(item, bool) or not isinstance(item, int | float):
                continue
            if not math.isfinite(item) or abs(item) > MAX_CONFIG_NUMBER:
                raise CheckpointError(f"{where}: {key} = {item} is out of bounds (at most {MAX_CONFIG_NUMBER})")


def check_parameter_count(net_class: type, config: dict, weights: Path) -> None:
    """Build the network on the meta device (no memory) and compare its parameter count with the weights file's
    header: a config that does not describe those weights, or describes a huge network, is refused before any
    real allocation."""
    from safetensors import safe_open

    with torch.device("meta"):
        described = sum(p.numel() for p in net_class.from_config(config).parameters())
    if described > MAX_PARAMETERS:
        raise CheckpointError(
            f"{weights.parent}: the config describes {described:,} parameters (at most {MAX_PARAMETERS:,})"
        )
    with safe_open(str(weights), "pt") as handle:
        stored = sum(math.prod(handle.get_slice(name).get_shape()) for name in handle.keys())  # noqa: SIM118
    if stored < described:
        raise CheckpointError(
            f"{weights.parent}: the config describes {described:,} parameters but the weights hold {stored:,} values"
        )


def _load_net(folder: Path, key: str, device: torch.device) -> torch.nn.Module:
    from zoo.nets import NET_CLASSES

    config_path = folder / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{folder}: component {key!r} has no config.json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        class_name = config["_class_name"]
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{config_path}: not a valid network config ({error})") from error
    net_class = NET_CLASSES.get(class_name)
    if net_class is None:
        raise CheckpointError(f"{config_path}: unknown network class {class_name!r}; known: {sorted(NET_CLASSES)}")
    if not (folder / WEIGHTS_FILE).is_file():
        raise CheckpointError(f"{folder}: no {WEIGHTS_FILE} (only safetensors weights are loaded)")
    check_config_bounds(config, config_path)
    # Strict loading: a missing key, an unexpected key or a shape mismatch is an error, never a silent re-init.
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        check_parameter_count(net_class, config, folder / WEIGHTS_FILE)
        net = net_class.from_config(config)
        state = load_file(str(folder / WEIGHTS_FILE))
        net.load_state_dict(state, strict=True)
    except CheckpointError:
        raise
    except (SafetensorError, RuntimeError, TypeError, ValueError, OSError) as error:
        detail = " ".join(str(error).split()) or type(error).__name__
        raise CheckpointError(f"{folder}: cannot load {class_name} weights: {detail[:400]}") from error
    # Channels-last (NHWC) weights: oneDNN then runs every convolution in NHWC, with no layout reorder per layer.
    # With bf16 autocast on 2 cores, tools/probes/channels_last.py measured denoise-real at 512x512 2.3x faster and
    # superres-x4-real at 256x256 1.5x on an AMD EPYC, 2.4-2.7x and 3.3x on an Intel Xeon with AMX; outputs change
    # at most by the order of float sums (0-2 uint8 levels).
    return net.float().to(device, memory_format=torch.channels_last).eval()


def load_pipeline(folder: str | os.PathLike, device: str | torch.device = "cpu", name: str | None = None) -> Pipeline:
    """Build the pipeline stored in a checkpoint folder (nothing half-loaded: errors are raised before returning)."""
    folder = Path(folder)
    meta_path = folder / PIPELINE_FILE
    if not meta_path.is_file():
        raise CheckpointError(f"{folder} is not a zoo checkpoint: {PIPELINE_FILE} is missing")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        class_name, components = meta["pipeline"], dict(meta["components"])
        options = dict(meta.get("options") or {})
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{meta_path}: not a valid pipeline description ({error})") from error
    pipeline_class = pipeline_classes().get(class_name)
    if pipeline_class is None:
        raise CheckpointError(f"{meta_path}: unknown pipeline {class_name!r}; known: {sorted(pipeline_classes())}")
    device = torch.device(device)
    models = {}
    for key, sub in components.items():
        sub_path = (folder / str(sub)).resolve()
        if folder.resolve() not in sub_path.parents:
            raise CheckpointError(f"{meta_path}: component {key!r} points outside the checkpoint ({sub!r})")
        models[key] = _load_net(sub_path, key, device)
    pipe = pipeline_class(models, options=options, name=name or folder.name)
    pipe.device = device
    pipe.folder = folder
    return pipe
