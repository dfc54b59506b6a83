from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data import (
    BACKGROUND,
    GREEN,
    VIOLET,
    DatasetError,
    circles_and_squares,
    circles_and_squares_dataset,
    circles_to_rectangles,
    circles_to_rectangles_dataset,
    shape_mask,
    sine_points,
    vertical_lines,
)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return ys.min(), ys.max(), xs.min(), xs.max()


@pytest.mark.parametrize(
    "make", [sine_points, vertical_lines, circles_to_rectangles, circles_and_squares], ids=lambda f: f.__name__
)
def test_same_seed_same_arrays_other_seed_other_arrays(make):
    def flat(seed):
        out = make(6, seed=seed)
        return out if isinstance(out, tuple) else (out,)

    assert all(np.array_equal(x, y) for x, y in zip(flat(3), flat(3), strict=True))
    assert not np.array_equal(flat(3)[0], flat(4)[0])


def test_sine_points():
    points = sine_points(50, seed=0, x_range=(0.0, 1.0))
    assert points.shape == (50, 2) and points.dtype == np.float32
    assert points[:, 0].min() >= 0 and points[:, 0].max() <= 1
    np.testing.assert_allclose(points[:, 1], np.sin(points[:, 0]), atol=1e-6)


def test_vertical_lines():
    images = vertical_lines(20, seed=1, size=16)
    assert images.shape == (20, 16, 16) and images.dtype == np.uint8
    assert set(np.unique(images)) <= {0, 255}
    assert (images == images[:, :1, :]).all()  # every column is constant: lines are vertical, full height
    lit_columns = (images[:, 0, :] > 0).sum(axis=1)
    assert lit_columns.min() >= 1 and lit_columns.max() <= 6


def test_circles_to_rectangles_colours_shapes_and_masks():
    a, b, masks = circles_to_rectangles(16, seed=2, size=32)
    assert a.shape == b.shape == (16, 32, 32, 3) and a.dtype == b.dtype == np.uint8
    assert masks.shape == (16, 32, 32) and masks.dtype == bool
    circles = (a != BACKGROUND).any(axis=-1)
    assert (a[circles] == VIOLET).all() and (b[masks] == GREEN).all() and (b[~masks] == BACKGROUND).all()
    for circle, square in zip(circles, masks, strict=True):
        top, bottom, left, right = bounding_box(circle)
        assert bounding_box(square) == (top, bottom, left, right)  # the circle's bounding square
        assert bottom - top == right - left and square.sum() == (bottom - top + 1) ** 2
        assert not circle[top, left] and circle[(top + bottom) // 2, left]  # round, not square
    violet, green = np.array(VIOLET), np.array(GREEN)
    assert violet[2] > violet[1] and violet[0] > violet[1] and green[1] > green[0] + green[2]


def test_shape_mask_recovers_the_masks_even_with_colour_noise():
    a, b, masks = circles_to_rectangles(8, seed=0)
    circles = (a != BACKGROUND).any(axis=-1)
    assert iou(shape_mask(a, VIOLET), circles) == 1.0 and iou(shape_mask(b, GREEN), masks) == 1.0
    noisy = np.clip(b.astype(int) + np.random.default_rng(0).integers(-40, 41, size=b.shape), 0, 255).astype(np.uint8)
    assert iou(shape_mask(noisy, GREEN), masks) > 0.95
    assert not shape_mask(b, VIOLET).any()
    assert iou(shape_mask(Image.fromarray(b[0]), GREEN), masks[0]) == 1.0


def test_circles_and_squares_domains_are_independent():
    circles, squares, circle_masks, square_masks = circles_and_squares(32, seed=0, size=32)
    assert circles.shape == squares.shape == (32, 32, 32, 3) and circle_masks.dtype == square_masks.dtype == bool
    assert iou(shape_mask(circles, VIOLET), circle_masks) == 1.0
    assert iou(shape_mask(squares, GREEN), square_masks) == 1.0
    same_place = [bounding_box(c) == bounding_box(s) for c, s in zip(circle_masks, square_masks, strict=True)]
    assert sum(same_place) < 4
    with pytest.raises(DatasetError, match="size >= 8"):
        circles_and_squares(2, size=4)


def test_dataset_wrappers():
    paired = circles_to_rectangles_dataset(4, seed=0, size=16)
    item = paired[0]
    assert item["A"].shape == item["B"].shape == (3, 16, 16)
    assert item["A"].min() == -1 and item["A"].max() == 1
    _, b, _ = circles_to_rectangles(4, seed=0, size=16)
    assert torch.equal(item["B"], torch.from_numpy(b[0]).permute(2, 0, 1).float() / 127.5 - 1)
    unpaired = circles_and_squares_dataset(6, seed=0, size=16)
    assert len(unpaired) == 6 and unpaired[5]["B"].shape == (3, 16, 16)
    assert sorted(unpaired[k]["index_a"] for k in range(6)) == list(range(6))
