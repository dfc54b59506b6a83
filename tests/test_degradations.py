"""zoo.degradations: each operation does what it says, pipelines are deterministic under a seed and keep their
ranges and sizes."""

from __future__ import annotations

import numpy as np
import pytest

from zoo import degradations as deg
from zoo.errors import InputError


def photo(size: int = 64, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A smooth, textured float image in [0.1, 0.9] (no flat areas, no blocks of its own)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = 0.5 + 0.3 * np.sin(6 * x + 3 * y)[..., None] * np.linspace(0.6, 1.0, channels)
    return np.clip(base + rng.normal(0, 0.01, (size, size, channels)), 0.1, 0.9).astype(np.float32)


def test_gaussian_kernel_is_normalised_odd_and_oriented():
    kernel = deg.gaussian_kernel(2.0, 0.5, theta=0.0)
    assert kernel.shape[0] % 2 == 1 and kernel.shape[0] <= deg.MAX_KERNEL
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    centre = kernel.shape[0] // 2
    # wider along x (columns) than along y (rows) at theta 0; rotating by 90 degrees swaps that
    assert kernel[centre, centre + 2] > kernel[centre + 2, centre]
    rotated = deg.gaussian_kernel(2.0, 0.5, theta=np.pi / 2)
    assert rotated[centre + 2, centre] > rotated[centre, centre + 2]
    with pytest.raises(InputError):
        deg.gaussian_kernel(0.0)


def test_blur_keeps_size_and_mean_and_removes_detail():
    image = photo() + np.random.default_rng(1).normal(0, 0.1, (64, 64, 3)).astype(np.float32)
    out = deg.blur(image, deg.gaussian_kernel(1.5))
    assert out.shape == image.shape and out.dtype == np.float32
    assert out.mean() == pytest.approx(image.mean(), abs=0.01)
    assert np.abs(np.diff(out, axis=1)).mean() < 0.5 * np.abs(np.diff(image, axis=1)).mean()


@pytest.mark.parametrize("method", list(deg.RESIZE_METHODS))
def test_resize_gives_the_size_asked_without_rounding(method):
    image = photo(64)
    out = deg.resize(image, (16, 24), method)
    assert out.shape == (24, 16, 3)
    assert len(np.unique(out)) > 256  # float, not 8-bit
    assert out.mean() == pytest.approx(image.mean(), abs=0.02)


def test_gaussian_noise_has_its_sigma_and_gray_noise_is_shared():
    clean = np.full((128, 128, 3), 0.5, dtype=np.float32)
    noisy = deg.add_gaussian_noise(clean, 25, np.random.default_rng(0))
    assert (noisy - clean).std() * 255 == pytest.approx(25, rel=0.03)
    gray = deg.add_gaussian_noise(clean, 25, np.random.default_rng(0), gray=True)
    assert np.allclose(gray[..., 0], gray[..., 1]) and np.allclose(gray[..., 1], gray[..., 2])


def test_poisson_gaussian_noise_grows_with_brightness():
    rng = np.random.default_rng(0)
    dark = np.full((128, 128, 1), 0.05, dtype=np.float32)
    bright = np.full((128, 128, 1), 0.9, dtype=np.float32)
    a = 0.01
    dark_std = (deg.add_poisson_gaussian_noise(dark, a, 0.0, rng) - dark).std()
    bright_std = (deg.add_poisson_gaussian_noise(bright, a, 0.0, rng) - bright).std()
    assert dark_std == pytest.approx(np.sqrt(a * 0.05), rel=0.05)
    assert bright_std == pytest.approx(np.sqrt(a * 0.9), rel=0.05)


def test_correlated_noise_keeps_sigma_and_is_correlated():
    clean = np.zeros((128, 128, 1), dtype=np.float32)
    white = deg.add_correlated_noise(clean, 20, 0.0, np.random.default_rng(0))[..., 0]
    grain = deg.add_correlated_noise(clean, 20, 1.5, np.random.default_rng(0))[..., 0]
    for noise in (white, grain):
        assert noise.std() * 255 == pytest.approx(20, rel=0.1)

    def neighbour_correlation(noise):
        return np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]

    assert abs(neighbour_correlation(white)) < 0.05
    assert neighbour_correlation(grain) > 0.6


def test_jpeg_quality_measurably_changes_blockiness_and_error():
    image = photo(128)
    errors, blocks = [], []
    for quality in (10, 30, 90):
        out = deg.jpeg(image, quality)
        assert out.shape == image.shape
        assert np.allclose(out * 255, np.round(out * 255), atol=1e-4)  # 8-bit
        errors.append(deg.strength(out, image))
        blocks.append(deg.blockiness(out))
    assert errors[0] > errors[1] > errors[2]
    assert blocks[0] > blocks[2] and blocks[0] > 1.3
    assert deg.blockiness(image) == pytest.approx(1.0, abs=0.15)
    gray = deg.jpeg(photo(64, channels=1), 20)
    assert gray.shape == (64, 64, 1)
    with pytest.raises(InputError):
        deg.jpeg(image, 0)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(InputError, match="float"):
        deg.blur(np.zeros((8, 8, 3), dtype=np.uint8), deg.gaussian_kernel(1.0))
    with pytest.raises(InputError, match="resize method"):
        deg.resize(photo(), (8, 8), "nearest-ish")
    with pytest.raises(InputError, match="divisible"):
        deg.SuperResMix(scale=4)(photo(62), np.random.default_rng(0))
    with pytest.raises(InputError, match="kind"):
        deg.DenoiseMix()(photo(), np.random.default_rng(0), kind="hail")


@pytest.mark.parametrize("kind", list(deg.DenoiseMix().kinds))
def test_denoise_mix_every_kind_is_deterministic_and_in_range(kind):
    mix, image = deg.DenoiseMix(), photo()
    first, info = mix(image, np.random.default_rng([7, 1]), kind=kind)
    again, _ = mix(image, np.random.default_rng([7, 1]), kind=kind)
    other, _ = mix(image, np.random.default_rng([7, 2]), kind=kind)
    assert first.shape == image.shape and first.dtype == np.float32
    assert np.array_equal(first, again)
    assert info["ops"][0] == kind
    assert info["strength"] == pytest.approx(deg.strength(first, image))
    if kind != "clean":
        assert not np.array_equal(first, other)
        assert info["strength"] > 0.5
    else:
        assert info["strength"] < 0.6  # 8-bit rounding only
    if kind not in ("gaussian",):
        assert first.min() >= 0 and first.max() <= 1  # everything but plain Gaussian ends as an 8-bit image


def test_denoise_mix_draws_every_kind_by_weight():
    mix = deg.DenoiseMix()
    rng = np.random.default_rng(0)
    counts = {}
    for _ in range(2000):
        kind = mix.kind(rng)
        counts[kind] = counts.get(kind, 0) + 1
    assert set(counts) == set(mix.kinds)
    total = sum(mix.kinds.values())
    for kind, weight in mix.kinds.items():
        assert counts[kind] / 2000 == pytest.approx(weight / total, abs=0.04)


@pytest.mark.parametrize("second_order", [False, True])
def test_superres_mix_gives_exact_low_resolution_size(second_order):
    mix = deg.SuperResMix(scale=4, second_order=second_order)
    hr = photo(96)
    lr, info = mix(hr, np.random.default_rng(3))
    again, _ = mix(hr, np.random.default_rng(3))
    assert lr.shape == (24, 24, 3)
    assert np.array_equal(lr, again)
    assert sum(op.startswith("jpeg") for op in info["ops"]) == (2 if second_order else 1)
    # roughly the HR image, seen small: the means agree
    assert lr.mean() == pytest.approx(hr.mean(), abs=0.05)


def test_describe_reads_like_a_recipe():
    _, info = deg.DenoiseMix()(photo(), np.random.default_rng(0), kind="noise+jpeg")
    text = deg.describe(info)
    assert text.startswith("noise+jpeg: ") and "jpeg q=" in text
