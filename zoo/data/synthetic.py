"""The course's synthetic sets, drawn deterministically from a seed (``numpy.random.Generator``), vectorised.

Shapes (``pix2pix-shapes``, ``cyclegan-shapes``) are hard-edged, so the masks are exact:

- background: white ``(255, 255, 255)``;
- circles: ``VIOLET = (148, 0, 211)`` (CSS darkviolet), pixels with ``(x - cx)^2 + (y - cy)^2 <= r^2``, integer
  centre and radius, the whole circle inside the image;
- rectangles / squares: ``GREEN = (0, 128, 0)`` (CSS green), axis-aligned, pixels with ``|x - cx| <= h`` and
  ``|y - cy| <= h``. In ``circles_to_rectangles`` the rectangle is the circle's bounding square (``h = r``, same
  centre: the circle is inscribed in it); in ``circles_and_squares`` the squares are drawn independently.

Radii / half-sides are integers in ``[max(2, size // 10), 3 * size // 10]``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from zoo.data.arrays import ArrayPairedDataset, ArrayUnpairedDataset
from zoo.data.errors import DatasetError

__all__ = [
    "BACKGROUND", "GREEN", "VIOLET", "circles_and_squares", "circles_and_squares_dataset", "circles_to_rectangles",
    "circles_to_rectangles_dataset", "shape_mask", "sine_points", "vertical_lines",
]  # fmt: skip

BACKGROUND = (255, 255, 255)
VIOLET = (148, 0, 211)
GREEN = (0, 128, 0)


def sine_points(n: int, seed: int = 0, x_range: tuple[float, float] = (-math.pi, math.pi)) -> np.ndarray:
    """float32 ``[n, 2]`` points ``(x, sin x)`` with ``x`` uniform in ``x_range`` (the 1-D GAN toy set)."""
    x = np.random.default_rng(seed).uniform(x_range[0], x_range[1], size=n)
    return np.stack([x, np.sin(x)], axis=1).astype(np.float32)


def vertical_lines(n: int, seed: int = 0, size: int = 32) -> np.ndarray:
    """uint8 ``[n, size, size]``: black images with 1 to 3 white (255) full-height vertical lines, each 1 or 2 px
    wide at a uniform random column (lines may touch or overlap)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 4, size=n)
    starts = rng.integers(0, size, size=(n, 3))
    widths = rng.integers(1, 3, size=(n, 3))
    active = np.arange(3)[None, :] < counts[:, None]
    columns = np.arange(size)[None, None, :]
    lit = (columns >= starts[..., None]) & (columns < (starts + widths)[..., None]) & active[..., None]
    rows = lit.any(axis=1).astype(np.uint8) * 255  # [n, size]: which columns are lit
    return np.repeat(rows[:, None, :], size, axis=1)


def _check_size(size: int) -> None:
    if size < 8:
        raise DatasetError(f"shape images need size >= 8, got {size}")


def _random_shapes(rng: np.random.Generator, n: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer centres and radii ``[n, 1, 1]`` with the whole shape inside the image."""
    low = max(2, size // 10)
    radius = rng.integers(low, max(low, 3 * size // 10) + 1, size=n)
    cx = rng.integers(radius, size - radius)
    cy = rng.integers(radius, size - radius)
    return cx[:, None, None], cy[:, None, None], radius[:, None, None]


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[:size, :size]
    return xs[None], ys[None]


def _disc_masks(cx: np.ndarray, cy: np.ndarray, radius: np.ndarray, size: int) -> np.ndarray:
    xs, ys = _grid(size)
    return (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2


def _square_masks(cx: np.ndarray, cy: np.ndarray, half: np.ndarray, size: int) -> np.ndarray:
    xs, ys = _grid(size)
    return (np.abs(xs - cx) <= half) & (np.abs(ys - cy) <= half)


def _paint(masks: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    images = np.empty((*masks.shape, 3), dtype=np.uint8)
    images[:] = BACKGROUND
    images[masks] = colour
    return images


def circles_to_rectangles(n: int, seed: int = 0, size: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paired shapes: ``A`` uint8 ``[n, size, size, 3]`` violet circles, ``B`` the same shape of green bounding
    squares (same centre, half-side = radius), ``masks`` bool ``[n, size, size]``: B's green pixels (the target).

    >>> a, b, masks = circles_to_rectangles(4, seed=0)
    >>> a.shape, b.dtype, masks.shape
    ((4, 64, 64, 3), dtype('uint8'), (4, 64, 64))
    """
    _check_size(size)
    cx, cy, radius = _random_shapes(np.random.default_rng(seed), n, size)
    circles = _disc_masks(cx, cy, radius, size)
    squares = _square_masks(cx, cy, radius, size)
    return _paint(circles, VIOLET), _paint(squares, GREEN), squares


def circles_and_squares(n: int, seed: int = 0, size: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two unpaired domains drawn independently: ``(circles, squares, circle_masks, square_masks)``; images uint8
    ``[n, size, size, 3]`` (violet circles, green squares on white), masks bool ``[n, size, size]``."""
    _check_size(size)
    rng_circles, rng_squares = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    circle_masks = _disc_masks(*_random_shapes(rng_circles, n, size), size)
    square_masks = _square_masks(*_random_shapes(rng_squares, n, size), size)
    return _paint(circle_masks, VIOLET), _paint(square_masks, GREEN), circle_masks, square_masks


def shape_mask(image: Image.Image | np.ndarray, colour: tuple[int, int, int], tolerance: float = 96.0) -> np.ndarray:
    """bool mask of the pixels within Euclidean RGB distance ``tolerance`` (0-255 scale) of ``colour``.

    Works on one image ``[H, W, 3]`` or a batch ``[..., H, W, 3]`` (uint8 values); the default tolerance sits well
    inside the distances between the palette colours (white-violet 280, white-green 382, violet-green 288), so it
    recovers shapes from a generated image with colour errors.
    """
    if isinstance(image, Image.Image):
        image = image.convert("RGB")
    array = np.asarray(image, dtype=np.float32)
    if array.shape[-1] != 3:
        raise DatasetError(f"shape_mask needs RGB values [..., H, W, 3], got shape {list(array.shape)}")
    distance = np.linalg.norm(array - np.asarray(colour, dtype=np.float32), axis=-1)
    return distance <= tolerance


def circles_to_rectangles_dataset(n: int, seed: int = 0, size: int = 64) -> ArrayPairedDataset:
    """``circles_to_rectangles`` as a paired dataset: ``{"A": circle, "B": square}`` in [-1, 1] (pix2pix-shapes)."""
    a, b, _ = circles_to_rectangles(n, seed=seed, size=size)
    return ArrayPairedDataset(a, b)


def circles_and_squares_dataset(n: int, seed: int = 0, size: int = 64) -> ArrayUnpairedDataset:
    """``circles_and_squares`` as an unpaired dataset: ``{"A": circle, "B": square}`` in [-1, 1] (cyclegan-shapes)."""
    circles, squares, _, _ = circles_and_squares(n, seed=seed, size=size)
    return ArrayUnpairedDataset(circles, squares, seed=seed)
