"""sRGB <-> CIE Lab conversions (zoo.color): reference values, round trip, and block-wise conversion of big images."""

import numpy as np
import pytest

from zoo import color


def test_reference_colours():
    rgb = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    lab = color.rgb_to_lab(rgb)
    # CIE Lab (D65) of sRGB white, black, red and blue (e.g. Bruce Lindbloom's calculator): within 0.1
    expected = np.array([[100.0, 0.0, 0.0], [0.0, 0.0, 0.0], [53.24, 80.09, 67.20], [32.30, 79.19, -107.86]])
    np.testing.assert_allclose(lab, expected, atol=0.1)
    assert lab.dtype == np.float32


def test_round_trip_and_blocks_match_one_pass(monkeypatch):
    rgb = np.random.default_rng(0).random((37, 29, 3)).astype(np.float32)
    lab = color.rgb_to_lab(rgb)
    np.testing.assert_allclose(color.lab_to_rgb(lab), rgb, atol=1e-4)
    monkeypatch.setattr(color, "_BLOCK", 100)  # 1073 pixels in 11 blocks, the last one short
    np.testing.assert_array_equal(color.rgb_to_lab(rgb), lab)
    one_pass = color._lab_to_rgb(lab.reshape(-1, 3)).reshape(lab.shape).astype(np.float32)
    np.testing.assert_array_equal(color.lab_to_rgb(lab), one_pass)


def test_lightness_of_gray_and_rgb_agree():
    gray = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(color.lightness(gray), color.lightness(np.repeat(gray[..., None], 3, axis=2)))
    assert color.lightness(gray).shape == (3, 4)


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"\[\.\.\., 3\]"):
        color.rgb_to_lab(np.zeros((4, 4)))
