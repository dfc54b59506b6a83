"""The photo restoration family's measures: reading test images, quantizing outputs, the simulated colour hints and the
colourisation scores (``score_colorizers``, also the training-time ``colorize_validation``). Numbers only: no peer runs,
no text."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.protocols.common import SEED

# The hint protocol (Zhang et al. 2017's "PSNR vs number of revealed points"), on HINT_SETS, for colourisers that take
# hints: HINT_COUNTS points per image, drawn uniformly over the pixels by numpy.random.default_rng([HINT_SEED, i])
# for the i-th image of the set (nested: the 5 hints are the first 5 of the 20); each hint's colour is the mean RGB of
# the ORIGINAL photo over the (2 HINT_PATCH + 1)-pixel square around the point (clipped at the border), rounded.
HINT_SETS = ("kodak24", "cbsd68")
HINT_COUNTS = (0, 1, 5, 10, 20)
HINT_SEED = SEED
HINT_PATCH = 2  # 5x5 input pixels: about one working-size pixel of a kodak24 photo (768 -> 256) plus its neighbours
# Reserved entries of score_colorizers' result: the originals' own measures and the gray baseline's.
ORIGINALS = "original photos"
GRAY_BASELINE = "gray baseline"


def _test_files(name: str, data_dir: str | None, stride: int = 1, limit: int | None = None) -> list[Path] | None:
    """Every ``stride``-th image of a test set (at most ``limit``), or None when the set is not on this machine."""
    from zoo.data import DatasetError, dataset_dir, list_images

    try:
        files = list_images(dataset_dir(name, data_dir))
    except DatasetError:
        return None
    return files[::stride][:limit] or None


def _load_uint8(path: Path, channels: int | None) -> np.ndarray:
    """uint8 [H, W] (``channels=1``), [H, W, 3] (``channels=3``), or the file's own L/RGB (``None``)."""
    from zoo.data import load_image

    image = load_image(path, None)
    if channels == 1 or (channels is None and image.mode in ("L", "1", "I;16", "I", "F")):
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))


def _quantize(array: np.ndarray) -> np.ndarray:
    """Float in [0, 1] (any range) -> uint8, clipped and rounded as the protocol asks."""
    return np.clip(np.rint(np.asarray(array, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def _center_crop(array: np.ndarray, size: int) -> np.ndarray:
    top, left = max((array.shape[0] - size) // 2, 0), max((array.shape[1] - size) // 2, 0)
    return array[top : top + size, left : left + size]


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _ratio(values: list[float], reference: list[float]) -> float:
    """Mean of ``values`` over the mean of ``reference`` (the ratio of means, not the mean of per-image ratios)."""
    return _mean(values) / max(_mean(reference), 1e-6)


# --------------------------------------------------------------------------------------------------- colourising
def colour_hints(original: np.ndarray, count: int, index: int) -> list[tuple[int, int, tuple[int, int, int]]]:
    """``count`` simulated user hints ``(x, y, (r, g, b))`` for the ``index``-th image of a set, from its RGB uint8
    ``original``: positions uniform over the pixels from ``numpy.random.default_rng([HINT_SEED, index])`` (the first
    ``count`` of a fixed sequence, so fewer hints are a subset of more), colours the original's mean RGB over the
    ``(2 HINT_PATCH + 1)`` square around each point (clipped at the border), rounded to integers."""
    height, width = original.shape[:2]
    rng = np.random.default_rng([HINT_SEED, index])
    points = rng.integers(0, [width, height], size=(max(*HINT_COUNTS, count), 2))[:count]
    hints = []
    for x, y in points.tolist():
        patch = original[max(y - HINT_PATCH, 0) : y + HINT_PATCH + 1, max(x - HINT_PATCH, 0) : x + HINT_PATCH + 1]
        colour = np.rint(patch.reshape(-1, 3).astype(np.float64).mean(axis=0)).astype(int)
        hints.append((int(x), int(y), tuple(int(c) for c in colour)))
    return hints


def takes_hints(model: Any) -> bool:
    """Whether a colouriser accepts ``hints=`` (a ``ColorizePipeline`` whose network has 4 input channels)."""
    return bool(getattr(model, "takes_hints", False))


def score_colorizers(methods, originals, figure_rows: list | None = None, keep: int = 0, hint_counts=()):
    """Colourise the gray version of each RGB uint8 original with every ``(method, model)``.

    Returns the gray baseline's PSNRs, the originals' colourfulness and ``{method: {"psnr", "colour", "ratio", "hue",
    "auc": [per image]}}`` (``zoo.metrics``: PSNR, colourfulness, its per-image ratio to the original's, hue spread,
    ab accuracy AuC). Two reserved entries hold the references: ``ORIGINALS`` (``"colour"``, ``"hue"`` of the
    originals) and ``GRAY_BASELINE`` (``"psnr"``, ``"auc"`` of the gray input). With ``hint_counts``, every method
    that takes hints is also run with ``colour_hints(original, k, index)`` for each k and gets ``"psnr <k> hints"``
    and ``"colour <k> hints"`` (colourfulness) lists; k = 0 reuses the plain output (the same call).
    The first ``keep`` images' rows (original, gray, outputs...) are appended to ``figure_rows``."""
    from zoo.metrics import ab_accuracy_auc, ab_channels, colourfulness, hue_spread, psnr

    reserved = [method for method, _ in methods if method in (ORIGINALS, GRAY_BASELINE)]
    if reserved:
        from zoo.errors import InputError

        raise InputError(f"method label(s) {reserved} are reserved for the reference rows; rename them")
    gray_psnr, original_colour, original_hue, gray_auc = [], [], [], []
    scores: dict[str, dict[str, list[float]]] = {
        m: {"psnr": [], "colour": [], "ratio": [], "hue": [], "auc": []} for m, _ in methods
    }
    for index, original in enumerate(originals):
        gray = Image.fromarray(original).convert("L")
        baseline = np.repeat(np.asarray(gray)[..., None], 3, axis=2)
        reference_ab = ab_channels(original)
        gray_psnr.append(psnr(original, baseline))
        # The gray input's ab is 0 by definition (a gray RGB pixel has a = b = 0 up to float rounding).
        gray_auc.append(ab_accuracy_auc(reference_ab, np.zeros_like(reference_ab), ab=True))
        original_colour.append(colourfulness(original))
        original_hue.append(hue_spread(reference_ab, ab=True))
        outputs = []
        for method, model in methods:
            out = np.asarray(model(gray).convert("RGB"))
            outputs.append(out)
            out_ab = ab_channels(out)
            score = scores[method]
            score["psnr"].append(psnr(original, out))
            score["colour"].append(colourfulness(out))
            score["ratio"].append(score["colour"][-1] / max(original_colour[-1], 1e-6))
            score["hue"].append(hue_spread(out_ab, ab=True))
            score["auc"].append(ab_accuracy_auc(reference_ab, out_ab, ab=True))
            if not takes_hints(model):
                continue
            for count in hint_counts:
                hints = colour_hints(original, count, index)
                hinted = out if count == 0 else np.asarray(model(gray, hints=hints).convert("RGB"))
                score.setdefault(f"psnr {count} hints", []).append(psnr(original, hinted))
                score.setdefault(f"colour {count} hints", []).append(colourfulness(hinted))
        if index < keep and figure_rows is not None:
            figure_rows.append([original, baseline, *outputs])
    scores[ORIGINALS] = {"colour": original_colour, "hue": original_hue}
    scores[GRAY_BASELINE] = {"psnr": gray_psnr, "auc": gray_auc}
    return gray_psnr, original_colour, scores


def colorize_validation(model, originals: list[np.ndarray]) -> dict[str, float]:
    """Training-time validation of a colouriser on held-out RGB uint8 photos (not a test set): mean PSNR, its gain
    over the gray input, the colourfulness ratio, the hue spread ratio and the ab accuracy AuC, as ``val_psnr``,
    ``val_gain``, ``val_colour``, ``val_hue``, ``val_auc``."""
    gray_psnr, original_colour, scores = score_colorizers([("model", model)], originals)
    score = scores["model"]
    return {
        "val_psnr": _mean(score["psnr"]),
        "val_gain": _mean(score["psnr"]) - _mean(gray_psnr),
        "val_colour": _ratio(score["colour"], original_colour),
        "val_hue": _ratio(score["hue"], scores[ORIGINALS]["hue"]),
        "val_auc": _mean(score["auc"]),
    }
