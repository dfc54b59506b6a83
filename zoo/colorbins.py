"""Colourisation as classification (Zhang, Isola & Efros 2016) and user colour hints (Zhang et al. 2017).

- ``AB_BINS``: the quantised ab plane: 10x10 cells over [-110, 110]^2 that hold an in-gamut sRGB colour at some
  lightness (computed here from a dense sRGB grid, not shipped as data: 264 bins; the paper quantises to 313).
- ``ab_to_bin``: the nearest bin of each ab value (the classification target).
- ``rebalancing_weights``: Zhang's class rebalancing: the bins' empirical distribution smoothed by a Gaussian
  (sigma 5 in ab units), mixed with the uniform distribution (``mix``), inverted and normalised to expectation 1.
- ``annealed_mean``: the decoding ``softmax(log p / T)``-weighted mean of the bin centres; T -> 0 gives the mode,
  T = 1 the mean (which desaturates), the paper uses T = 0.38.
- ``encode_hints``: sparse user hints ``[(x, y, (r, g, b)), ...]`` in input pixel coordinates as a 3-channel map at
  the network's working size (a mask and the hint's ab / 110 in a small square around each point).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from zoo.color import rgb_to_lab
from zoo.errors import InputError

AB_RANGE = 110.0
BIN_SIZE = 10.0
HINT_RADIUS = 1  # a hint covers a (2r+1) x (2r+1) square at the working size (Zhang 2017 uses 1x1 to 9x9 patches)


@lru_cache(maxsize=1)
def _bins() -> np.ndarray:
    steps = np.linspace(0.0, 1.0, 33)
    rgb = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 3)
    ab = rgb_to_lab(rgb)[:, 1:]
    cells = np.unique(np.floor((ab + AB_RANGE) / BIN_SIZE).astype(int), axis=0)
    cells = cells[(cells >= 0).all(axis=1) & (cells < int(2 * AB_RANGE / BIN_SIZE)).all(axis=1)]
    return (cells * BIN_SIZE - AB_RANGE + BIN_SIZE / 2).astype(np.float32)


def ab_bins() -> np.ndarray:
    """``[Q, 2]`` float32 centres (a, b) of the in-gamut bins, in a fixed order."""
    return _bins().copy()


def ab_to_bin(ab: np.ndarray) -> np.ndarray:
    """Index of the nearest bin centre for every ab value: ``[..., 2]`` -> ``[...]`` int64."""
    ab = np.asarray(ab, dtype=np.float32)
    centres = _bins()
    flat = ab.reshape(-1, 2)
    out = np.empty(len(flat), dtype=np.int64)
    for start in range(0, len(flat), 1 << 16):
        block = flat[start : start + (1 << 16)]
        distances = ((block[:, None, :] - centres[None]) ** 2).sum(-1)
        out[start : start + len(block)] = distances.argmin(1)
    return out.reshape(ab.shape[:-1])


def rebalancing_weights(counts: np.ndarray, mix: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """Per-bin loss weights from bin ``counts`` over the training pixels (Zhang 2016, eq. 4): smooth the empirical
    distribution with a Gaussian of ``sigma`` ab units, mix with uniform by ``mix``, invert, normalise so the weights'
    expectation under the empirical distribution is 1."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape != (len(_bins()),) or counts.sum() <= 0:
        raise InputError(f"counts must be {len(_bins())} non-negative numbers with a positive sum")
    p = counts / counts.sum()
    centres = _bins().astype(np.float64)
    kernel = np.exp(-((centres[:, None] - centres[None]) ** 2).sum(-1) / (2 * sigma**2))
    smooth = kernel @ p
    smooth /= smooth.sum()
    weights = 1.0 / ((1 - mix) * smooth + mix / len(p))
    return (weights / (p * weights).sum()).astype(np.float32)


def annealed_mean(probabilities: np.ndarray, temperature: float = 0.38, axis: int = -1) -> np.ndarray:
    """ab from class probabilities along ``axis`` (size Q): the mean of the bin centres under ``p ** (1/T)``
    renormalised. ``temperature`` 1 is the mean, values near 0 the mode."""
    if not temperature > 0:
        raise InputError(f"temperature must be positive, got {temperature}")
    p = np.moveaxis(np.asarray(probabilities, dtype=np.float64), axis, -1)
    logits = np.log(np.clip(p, 1e-12, None)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    q = np.exp(logits)
    q /= q.sum(axis=-1, keepdims=True)
    return (q @ _bins().astype(np.float64)).astype(np.float32)


def decode_logits(logits, temperature: float = 0.38):
    """Torch: ``[N, Q, H, W]`` bin logits -> ``[N, 2, H, W]`` ab / 110 by the annealed mean (``softmax(logits / T)``
    equals ``p ** (1/T)`` renormalised, since ``p = softmax(logits)``). Differentiable (for a GAN on top)."""
    import torch

    weights = torch.softmax(logits.float() / temperature, dim=1)
    centres = torch.from_numpy(_bins() / AB_RANGE).to(logits.device)
    return torch.einsum("nqhw,qc->nchw", weights, centres)


def nearest_bins(ab):
    """Torch: ``[N, 2, H, W]`` ab / 110 -> ``[N, H, W]`` int64 index of the nearest bin (classification targets)."""
    import torch

    centres = torch.from_numpy(_bins() / AB_RANGE).to(ab.device)
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()
    index = torch.cdist(flat, centres).argmin(dim=1)
    return index.reshape(ab.shape[0], ab.shape[2], ab.shape[3])


def parse_hints(
    hints: Sequence[tuple[float, float, tuple[int, int, int]]] | None, size: tuple[int, int]
) -> list[tuple[float, float, np.ndarray]]:
    """User hints ``(x, y, (r, g, b))`` -> ``[(x / width, y / height, ab / 110)]``, checked: x, y in pixel coordinates
    of an image of ``size = (width, height)``, r, g, b in 0-255; anything else is an ``InputError`` naming the hint."""
    points = []
    for index, hint in enumerate(hints or ()):
        try:
            x, y, colour = hint
            x, y = float(x), float(y)
            rgb = np.asarray(colour, dtype=np.float64).reshape(3)
        except (TypeError, ValueError) as error:
            raise InputError(f"hint {index} must be (x, y, (r, g, b)), got {hint!r}") from error
        if not (np.isfinite([x, y]).all() and 0 <= x < size[0] and 0 <= y < size[1]):
            raise InputError(
                f"hint {index} at ({x:g}, {y:g}) is outside the {size[0]}x{size[1]} image (x in 0..{size[0] - 1}, "
                f"y in 0..{size[1] - 1})"
            )
        if not (np.isfinite(rgb).all() and (rgb >= 0).all() and (rgb <= 255).all()):
            raise InputError(f"hint {index}'s colour must be three numbers in 0-255, got {colour!r}")
        points.append((x / size[0], y / size[1], (rgb_to_lab(rgb / 255.0)[1:] / AB_RANGE).astype(np.float32)))
    return points


def encode_hints(
    hints: Sequence[tuple[float, float, tuple[int, int, int]]] | None,
    size: tuple[int, int],
    working: tuple[int, int],
    radius: int = HINT_RADIUS,
) -> np.ndarray:
    """``[3, h, w]`` float32 hint map at the working size ``working = (h, w)``: channel 0 the mask (1 where a hint
    is), channels 1-2 the hint colour's a and b / 110. ``hints`` are ``(x, y, (r, g, b))`` with x, y in pixel
    coordinates of the input image of ``size = (width, height)`` and r, g, b in 0-255; a point outside the image or a
    colour outside 0-255 is an ``InputError`` (``parse_hints``)."""
    height, width = working
    out = np.zeros((3, height, width), dtype=np.float32)
    for u, v, ab in parse_hints(hints, size):
        col, row = min(int(u * width), width - 1), min(int(v * height), height - 1)
        rows = slice(max(row - radius, 0), row + radius + 1)
        cols = slice(max(col - radius, 0), col + radius + 1)
        out[0, rows, cols] = 1.0
        out[1, rows, cols] = ab[0]
        out[2, rows, cols] = ab[1]
    return out


def spread_hints(ab, light, points: list, reach: float = 0.1, tone: float = 0.1, prior: float = 0.3):
    """Torch: make the decoded ``ab`` ``[1, 2, h, w]`` (/ 110) honour the hints ``points`` (``parse_hints``) by adding
    an edge-aware blend of their residuals (hint ab minus the prediction there): hint i weighs
    ``exp(-d^2 / 2 reach^2) * exp(-(L - L_i)^2 / 2 tone^2)`` at a pixel at distance d (as a fraction of the longer
    side) whose lightness ``light`` ``[1, 1, h, w]`` (L / 100) differs from the hint's by ``L - L_i``; the blend is
    ``sum w_i r_i / (sum w_i + prior)``, so far from every hint nothing changes. A network that already follows its
    hints has near-zero residuals, and this adds nothing."""
    import torch

    if not points:
        return ab
    _, _, height, width = ab.shape
    longer = float(max(height, width))
    rows = torch.arange(height, dtype=ab.dtype).view(height, 1) / longer
    cols = torch.arange(width, dtype=ab.dtype).view(1, width) / longer
    total = torch.zeros_like(ab[0])
    weight_sum = torch.zeros_like(ab[0, 0])
    for u, v, hint_ab in points:
        col, row = min(int(u * width), width - 1), min(int(v * height), height - 1)
        residual = torch.as_tensor(hint_ab, dtype=ab.dtype) - ab[0, :, row, col]
        distance = (rows - row / longer) ** 2 + (cols - col / longer) ** 2
        weight = torch.exp(-distance / (2 * reach**2) - (light[0, 0] - light[0, 0, row, col]) ** 2 / (2 * tone**2))
        total += weight * residual.view(2, 1, 1)
        weight_sum += weight
    return ab + (total / (weight_sum + prior)).unsqueeze(0)


def simulate_hints(ab: np.ndarray, rng: np.random.Generator, mean_count: float = 10.0, radius: int = HINT_RADIUS):
    """Training hints drawn from the ground truth (Zhang 2017): a geometric number of points (mean ``mean_count``, 0
    with probability ``1 / (1 + mean_count)``), each revealing the mean ab of a (2r+1)-square around it.
    ``ab``: ``[2, h, w]`` (ab / 110). Returns the ``[3, h, w]`` hint map of ``encode_hints``."""
    _, height, width = ab.shape
    out = np.zeros((3, height, width), dtype=np.float32)
    count = int(rng.geometric(1.0 / (1.0 + mean_count))) - 1
    for _ in range(count):
        row, col = int(rng.integers(height)), int(rng.integers(width))
        rows = slice(max(row - radius, 0), row + radius + 1)
        cols = slice(max(col - radius, 0), col + radius + 1)
        out[0, rows, cols] = 1.0
        out[1:, rows, cols] = ab[:, rows, cols].mean(axis=(1, 2))[:, None, None]
    return out
