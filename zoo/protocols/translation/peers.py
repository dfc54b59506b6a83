"""The translation family's baselines and judges: the L1-trained baseline runs found in outputs/ (``KNOWN_BASELINES``)
and the small domain classifier that judges CycleGAN translations (trained in the run, seeded)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.cards import THIS_MODEL
from zoo.protocols.common import SEED, check_run_folders, find_runs, run_label
from zoo.protocols.translation.measure import IDENTITY, _rgb

CLASSIFIER_SIZE = 64

KNOWN_BASELINES: dict[str, tuple[str, ...]] = {
    "facades": ("pix2pix-facades-l1",),
    "maps": ("pix2pix-maps-l1-upsampling", "pix2pix-maps-l1-transpose", "pix2pix-maps-l1-unet"),
}
"""Training-run names (``train/configs``) whose ``outputs/<name>/final`` the paired protocol shows as baselines."""


def find_baselines(pipe: Any, dataset: str, explicit: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """Baseline checkpoint folders: ``explicit`` ones (must exist), else the known runs' ``outputs/<name>/final``
    that exist. The evaluated model itself is never its own baseline."""
    if explicit:
        return check_run_folders(explicit)
    return find_runs(KNOWN_BASELINES.get(Path(dataset).name, ()), exclude=pipe.name)


def _load_baselines(folders: list[Path], dataset: str) -> list[tuple[str, Any]]:
    """(label, pipeline) per baseline folder; a baseline trained on another dataset is refused."""
    from zoo.errors import CheckpointError
    from zoo.pipelines import load_pipeline

    loaded: list[tuple[str, Any]] = []
    for folder in folders:
        baseline = load_pipeline(folder)
        trained_on = Path(str(baseline.options.get("dataset", ""))).name
        if trained_on != Path(dataset).name:
            raise CheckpointError(f"baseline {folder} was trained on {trained_on!r}, not {Path(dataset).name!r}")
        loaded.append((run_label(baseline, folder, [THIS_MODEL, IDENTITY, *(n for n, _ in loaded)]), baseline))
    return loaded


def _batch_tensor(images: Sequence[np.ndarray | Image.Image], size: int = CLASSIFIER_SIZE) -> torch.Tensor:
    """uint8 RGB images -> [N,3,size,size] in [-1,1]."""
    from zoo.pipelines.translation import resize_tensor

    tensors = []
    for image in images:
        array = _rgb(image) if isinstance(image, Image.Image) else np.asarray(image)
        x = torch.from_numpy(np.array(array, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1.0
        tensors.append(resize_tensor(x, size, size))
    return torch.cat(tensors)


def train_domain_classifier(
    images_a: Sequence[Any], images_b: Sequence[Any], epochs: int = 4, seed: int = SEED
) -> torch.nn.Module:
    """A small ``ImageClassifier`` (A = 0, B = 1) on real training images at 64x64; seeded, a few seconds on CPU."""
    from zoo.nets import ImageClassifier

    x = torch.cat([_batch_tensor(images_a), _batch_tensor(images_b)])
    y = torch.cat([torch.zeros(len(images_a), dtype=torch.long), torch.ones(len(images_b), dtype=torch.long)])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = ImageClassifier(in_channels=3, num_classes=2, image_size=CLASSIFIER_SIZE, width=16)
        optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
        generator = torch.Generator().manual_seed(seed)
        net.train()
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), 32):
                index = order[start : start + 32]
                if len(index) < 2:  # batch norm needs two items
                    continue
                loss = torch.nn.functional.cross_entropy(net(x[index]), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    return net.eval()


@torch.no_grad()
def classify(net: torch.nn.Module, images: Sequence[Any]) -> np.ndarray:
    """Predicted domain (0 = A, 1 = B) per image."""
    if len(images) == 0:
        return np.zeros(0, dtype=int)
    return net(_batch_tensor(images)).argmax(1).numpy()


def _domain_accuracy(net: torch.nn.Module, images_a: Sequence[Any], images_b: Sequence[Any]) -> float:
    predictions = np.concatenate([classify(net, images_a) == 0, classify(net, images_b) == 1])
    return float(np.mean(predictions))
