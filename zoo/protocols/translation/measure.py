"""The translation family's measures: L1 / colour shares / masks, the paired split's halves, the CycleGAN round trip
(``_cycle``, judged by the domain classifier of ``peers``). Numbers only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord

COLOUR_TOLERANCE = 48.0  # RGB distance (0-255) within which a pixel counts as the right colour
IDENTITY = "identity (input)"
SHARPNESS = "sharpness ratio"  # output's mean luminance gradient over the target's (paired protocols)
RECOLOURED = "input shape, recoloured"
WHITE = (255, 255, 255)


def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def _l1(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(np.mean(np.abs(reference.astype(np.float64) - estimate.astype(np.float64))) / 255.0)


def _colour_share(image: np.ndarray, mask: np.ndarray, colour: Sequence[int]) -> float:
    """Share of the ``mask`` pixels whose colour lies within ``COLOUR_TOLERANCE`` of ``colour``."""
    if not mask.any():
        return 1.0
    distance = np.linalg.norm(image[mask].astype(np.float64) - np.asarray(colour, dtype=np.float64), axis=-1)
    return float(np.mean(distance <= COLOUR_TOLERANCE))


def _mean_records(values: dict[str, dict[str, list[float]]], dataset: str, config: str | None = None):
    return [
        EvalRecord(dataset, metric, float(np.mean(series)), method, config)
        for method, metrics in values.items()
        for metric, series in metrics.items()
        if series
    ]


def _paired_split(pipe: Any, data_dir: str | None) -> tuple[str, str, str, Path]:
    from zoo.data import PAIRED_TASK_DIRECTION, resolve_dataset

    dataset = str(pipe.options.get("dataset", "facades"))
    direction = str(pipe.options.get("direction") or PAIRED_TASK_DIRECTION.get(Path(dataset).name, "AtoB"))
    root = resolve_dataset(dataset, data_dir)
    split = str(pipe.options.get("split") or ("test" if (root / "test").is_dir() else "val"))
    return dataset, direction, split, root / split


def _halves(path: Path, direction: str) -> tuple[Image.Image, Image.Image]:
    """(input, target) of a side-by-side file."""
    from zoo.data import load_image, split_pair

    left, right = split_pair(load_image(path, "RGB"))
    return (left, right) if direction == "AtoB" else (right, left)


def _square_around(mask: np.ndarray) -> np.ndarray:
    """The axis-aligned bounding box of a mask (a circle's bounding square)."""
    out = np.zeros_like(mask, dtype=bool)
    if mask.any():
        ys, xs = np.nonzero(mask)
        out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
    return out


def _disc_inside(mask: np.ndarray) -> np.ndarray:
    """The disc inscribed in a square mask (same centre, radius = half side), as the shapes generator draws it."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    ys, xs = np.nonzero(mask)
    cx, cy, radius = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2, (xs.max() - xs.min()) / 2
    grid_y, grid_x = np.mgrid[: mask.shape[0], : mask.shape[1]]
    return (grid_x - cx) ** 2 + (grid_y - cy) ** 2 <= radius**2


def _cycle(
    pipe: Any,
    sources: Sequence[Image.Image],
    direction: str,
    classifier: torch.nn.Module,
    partners: Sequence[Image.Image] | None,
    geometry: Callable[[int, np.ndarray], float] | None,
) -> tuple[dict[str, dict[str, list[float]]], list[list[Image.Image]]]:
    """Translate ``sources`` one way and back: per-image metrics for this model and the identity baseline."""
    from zoo.metrics import psnr
    from zoo.protocols.translation.peers import classify

    target_domain = 1 if direction == "AtoB" else 0
    back = "BtoA" if direction == "AtoB" else "AtoB"
    values: dict[str, dict[str, list[float]]] = {THIS_MODEL: {}, IDENTITY: {}}
    rows, fakes = [], []
    for index, source in enumerate(sources):
        fake = pipe(source, direction)
        recovered = pipe(fake, back)
        fakes.append(fake)
        rows.append([source, fake, recovered])
        values[THIS_MODEL].setdefault("cycle PSNR", []).append(psnr(_rgb(source), _rgb(recovered)))
        for method, image in ((THIS_MODEL, fake), (IDENTITY, source)):
            if partners is not None:
                values[method].setdefault("PSNR vs true partner", []).append(psnr(_rgb(partners[index]), _rgb(image)))
            if geometry is not None:
                values[method].setdefault("shape IoU", []).append(geometry(index, _rgb(image)))
    values[THIS_MODEL]["translation success"] = list((classify(classifier, fakes) == target_domain).astype(float))
    values[IDENTITY]["translation success"] = list((classify(classifier, sources) == target_domain).astype(float))
    return values, rows
