"""Tests of zoo.metrics: known values worked out by hand, and slow straightforward references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from zoo.errors import InputError
from zoo.metrics import (
    HUE_CHROMA_FLOOR,
    ab_accuracy,
    ab_accuracy_auc,
    ab_channels,
    colourfulness,
    crop_to_multiple,
    feature_statistics,
    frechet_distance,
    hue_spread,
    knn_accuracy,
    mask_iou,
    psnr,
    rgb_to_y,
    sharpness,
    shave,
    ssim,
    y_psnr,
    y_ssim,
)


def _random_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, size=shape).astype(np.uint8)


def _reference_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """Wang et al. written out: explicit 2-D 11x11 Gaussian window at every valid position, centred moments."""
    offsets = np.arange(11) - 5
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * 1.5**2))
    window /= window.sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            patch_x, patch_y = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            mu_x, mu_y = np.sum(window * patch_x), np.sum(window * patch_y)
            var_x = np.sum(window * (patch_x - mu_x) ** 2)
            var_y = np.sum(window * (patch_y - mu_y) ** 2)
            cov = np.sum(window * (patch_x - mu_x) * (patch_y - mu_y))
            values.append((2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)))
    return float(np.mean(values))


def test_psnr_of_a_constant_offset_of_one_is_48_13_db() -> None:
    reference = _random_image((16, 16))
    assert psnr(reference, reference + 1) == pytest.approx(20 * math.log10(255), abs=1e-12)
    assert psnr(reference, reference + 1) == pytest.approx(48.1308, abs=1e-4)
    # Same image on the [0, 1] scale with data_range 1.
    assert psnr(reference / 255, (reference + 1.0) / 255, data_range=1.0) == pytest.approx(48.1308, abs=1e-4)


def test_psnr_does_not_wrap_uint8() -> None:
    reference = np.full((4, 4), 255, dtype=np.uint8)
    estimate = np.zeros((4, 4), dtype=np.uint8)
    assert psnr(reference, estimate) == pytest.approx(0.0, abs=1e-12)


def test_psnr_of_identical_images_is_inf() -> None:
    image = _random_image((8, 8, 3))
    assert psnr(image, image.copy()) == math.inf


def test_psnr_rejects_different_shapes() -> None:
    with pytest.raises(InputError, match="same shape"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))


def test_ssim_matches_explicit_window_reference() -> None:
    reference = _random_image((24, 24), seed=1).astype(np.float64)
    estimate = np.clip(reference + np.random.default_rng(2).normal(0, 20, reference.shape), 0, 255)
    assert ssim(reference, estimate) == pytest.approx(_reference_ssim(reference, estimate, 255.0), abs=1e-10)
    assert ssim(reference / 255, estimate / 255, data_range=1.0) == pytest.approx(
        _reference_ssim(reference / 255, estimate / 255, 1.0), abs=1e-10
    )


def test_ssim_of_two_flat_images_has_the_closed_form() -> None:
    # No variance, so SSIM = (2ab + C1) / (a^2 + b^2 + C1) with C1 = (0.01 * 255)^2 = 6.5025.
    expected = (2 * 100 * 110 + 6.5025) / (100**2 + 110**2 + 6.5025)
    assert ssim(np.full((16, 16), 100.0), np.full((16, 16), 110.0)) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.9954764, abs=1e-7)


def test_ssim_of_identical_images_is_one() -> None:
    image = _random_image((32, 32))
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-12)


def test_ssim_decreases_with_noise() -> None:
    reference = np.tile(np.linspace(0, 255, 48), (48, 1))
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1, reference.shape)
    scores = [ssim(reference, reference + sigma * noise) for sigma in (2, 10, 30)]
    assert 1.0 > scores[0] > scores[1] > scores[2]


def test_ssim_of_colour_is_the_mean_of_each_channel_once() -> None:
    reference = _random_image((20, 20, 3), seed=4).astype(np.float64)
    noise = np.random.default_rng(5).normal(0, 1, reference.shape)
    estimate = reference + noise * np.array([2.0, 20.0, 60.0])
    per_channel = [ssim(reference[..., c], estimate[..., c]) for c in range(3)]
    assert ssim(reference, estimate) == pytest.approx(np.mean(per_channel), abs=1e-12)
    # The channels differ, so computing channel 0 three times would be caught.
    assert abs(ssim(reference, estimate) - per_channel[0]) > 0.05


def test_ssim_rejects_images_smaller_than_the_window() -> None:
    with pytest.raises(InputError, match="H, W >= 11"):
        ssim(np.zeros((10, 20)), np.zeros((10, 20)))


def test_rgb_to_y_matches_matlab_rgb2ycbcr() -> None:
    image = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    y = rgb_to_y(image)
    assert y.dtype == np.float64 and y.shape == (1, 5)
    np.testing.assert_allclose(y[0], [235.0, 16.0, 16 + 65.481, 16 + 128.553, 16 + 24.966], atol=1e-12)


def test_rgb_to_y_returns_gray_unchanged_as_float() -> None:
    gray = _random_image((5, 6))
    np.testing.assert_array_equal(rgb_to_y(gray), gray.astype(np.float64))
    np.testing.assert_array_equal(rgb_to_y(gray[..., None]), gray.astype(np.float64))


def test_shave_and_crop_to_multiple() -> None:
    image = np.arange(7 * 10).reshape(7, 10)
    np.testing.assert_array_equal(shave(image, 2), image[2:5, 2:8])
    assert shave(image, 0) is image
    np.testing.assert_array_equal(crop_to_multiple(image, 3), image[:6, :9])
    assert crop_to_multiple(np.zeros((9, 12, 3)), 3).shape == (9, 12, 3)
    with pytest.raises(InputError):
        shave(image, 4)


def test_y_psnr_uses_the_y_channel_and_shaves_the_border() -> None:
    hr = np.full((12, 12, 3), 100, dtype=np.uint8)
    sr = hr.copy()
    sr[:2] = 0  # Damage only the border that a scale-2 evaluation shaves off.
    assert y_psnr(hr, sr, scale=2) == math.inf
    assert y_psnr(hr, sr, scale=1) < 30
    # A gray offset of 1 in R, G and B moves Y by 219/255.
    expected = 20 * math.log10(255 / (219 / 255))
    assert y_psnr(hr, hr + 1, scale=2) == pytest.approx(expected, abs=1e-10)


def test_y_ssim_of_identical_images_is_one_and_needs_same_shapes() -> None:
    hr = _random_image((30, 30, 3))
    assert y_ssim(hr, hr, scale=4) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(InputError):
        y_ssim(hr, hr[:-1], scale=4)


def test_colourfulness_of_gray_is_zero_and_of_colour_is_positive() -> None:
    gray = np.repeat(_random_image((16, 16))[..., None], 3, axis=2)
    assert colourfulness(gray) == pytest.approx(0.0, abs=1e-12)
    colour = _random_image((16, 16, 3))
    assert colourfulness(colour) > 10.0


def test_colourfulness_of_flat_red_has_the_closed_form() -> None:
    red = np.zeros((4, 4, 3))
    red[..., 0] = 255
    # rg = 255, yb = 127.5, no spread: 0.3 * sqrt(255^2 + 127.5^2).
    assert colourfulness(red) == pytest.approx(0.3 * math.hypot(255, 127.5), abs=1e-10)


def test_colourfulness_uses_population_statistics() -> None:
    image = np.array([[[255.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    # rg = (255, 0), yb = (127.5, 0): standard deviations and means are both (127.5, 63.75).
    assert colourfulness(image) == pytest.approx(1.3 * math.hypot(127.5, 63.75), abs=1e-10)


def _halves(left: tuple[int, int, int], right: tuple[int, int, int], size: int = 8) -> np.ndarray:
    image = np.zeros((size, size, 3), dtype=np.uint8)
    image[:, : size // 2] = left
    image[:, size // 2 :] = right
    return image


def test_hue_spread_of_a_single_hue_is_zero_at_any_chroma() -> None:
    from zoo.color import lab_to_rgb

    # A sepia ramp: one hue (b/a = 2), chroma 11 to 45, lightness 30 to 80; 8-bit rounding bends the hue very slightly.
    steps = np.linspace(0.0, 1.0, 64)
    lab = np.stack([30 + 50 * steps, 5 + 15 * steps, 10 + 30 * steps], axis=1)[None]
    sepia = np.rint(lab_to_rgb(lab) * 255).astype(np.uint8)
    assert hue_spread(sepia) < 0.002
    assert hue_spread(_halves((255, 0, 0), (255, 0, 0))) == pytest.approx(0.0, abs=1e-9)


def test_hue_spread_of_red_and_blue_halves_has_the_closed_form() -> None:
    # Published CIE Lab (D65) of sRGB red (53.24, 80.09, 67.20) and blue (32.30, 79.19, -107.86): with equal pixel
    # counts, spread = 1 - |ab_red + ab_blue| / (C_red + C_blue) = 1 - 164.39 / 238.36 = 0.3103.
    red, blue = (80.0925, 67.2032), (79.1875, -107.8602)
    expected = 1 - math.hypot(red[0] + blue[0], red[1] + blue[1]) / (math.hypot(*red) + math.hypot(*blue))
    assert expected == pytest.approx(0.3103, abs=1e-4)
    assert hue_spread(_halves((255, 0, 0), (0, 0, 255))) == pytest.approx(expected, abs=1e-3)
    assert hue_spread(_halves((255, 0, 0), (0, 0, 255)).astype(np.float64) / 255, data_range=1.0) == pytest.approx(
        expected, abs=1e-3
    )


def test_hue_spread_of_opposite_hues_of_equal_chroma_is_one() -> None:
    ab = np.zeros((4, 4, 2))
    ab[:2] = (30.0, 0.0)
    ab[2:] = (-30.0, 0.0)
    assert hue_spread(ab, ab=True) == pytest.approx(1.0, abs=1e-12)
    ab[2:] = (0.0, 30.0)  # 90 degrees apart: R = |(30, 30)| / 60 = 1 / sqrt(2)
    assert hue_spread(ab, ab=True) == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-12)
    # Lab (60, +-30, 0) as 8-bit RGB (pink and teal): nearly opposite after rounding.
    assert hue_spread(_halves((194, 125, 146), (72, 159, 144))) > 0.98


def test_hue_spread_ignores_achromatic_pixels_and_gray_is_zero() -> None:
    gray = np.repeat(_random_image((16, 16))[..., None], 3, axis=2)
    assert hue_spread(gray) == 0.0
    assert hue_spread(np.zeros((4, 4, 3))) == 0.0
    ab = np.zeros((4, 4, 2))
    ab[0] = (40.0, 0.0)  # one strong hue...
    ab[1] = (0.0, HUE_CHROMA_FLOOR * 0.9)  # ...and faint tints of other hues, below the floor: ignored
    ab[2] = (-HUE_CHROMA_FLOOR * 0.9, 0.0)
    assert hue_spread(ab, ab=True) == pytest.approx(0.0, abs=1e-12)
    assert hue_spread(ab, ab=True, chroma_floor=1.0) > 0.1  # counted once the floor is lowered
    with pytest.raises(InputError):
        hue_spread(np.zeros((4, 4)))


def test_ab_auc_is_one_for_identical_images_and_falls_with_the_error() -> None:
    image = _random_image((16, 16, 3))
    assert ab_accuracy_auc(image, image) == 1.0
    assert np.all(ab_accuracy(image, image) == 1.0)
    aucs = []
    for shift in (0, 20, 60, 120):  # push red up and blue down: a growing ab error
        shifted = np.clip(image.astype(int) + np.array([shift, 0, -shift]), 0, 255).astype(np.uint8)
        aucs.append(ab_accuracy_auc(image, shifted))
    assert aucs[0] == 1.0 and all(a > b for a, b in itertools.pairwise(aucs))
    gray = np.repeat(image.mean(axis=2, keepdims=True), 3, axis=2)
    # The gray estimate's error is the reference's chroma: the AuC is 1 - mean(min(C, 150)) / 150 (up to the grid).
    chroma = np.hypot(*ab_channels(image).reshape(-1, 2).T)
    assert ab_accuracy_auc(image, gray) == pytest.approx(1 - np.minimum(chroma, 150).mean() / 150, abs=0.01)


@pytest.mark.parametrize("distance", [0.5, 30.5, 75.25, 149.5])
def test_ab_auc_of_a_constant_shift_is_one_minus_d_over_150(distance) -> None:
    reference = np.random.default_rng(0).uniform(-60, 60, size=(8, 8, 2))
    estimate = reference + distance * np.array([0.6, 0.8])  # |shift| = distance
    accuracy = ab_accuracy(reference, estimate, [0, distance - 0.01, distance + 0.01, 150], ab=True)
    assert accuracy.tolist() == [0.0, 0.0, 1.0, 1.0]  # no pixel within d, every pixel within anything above
    expected = 1 - distance / 150
    tolerance = 1e-9 if distance % 1 == 0.5 else 0.5 / 150  # exact halfway between thresholds
    assert ab_accuracy_auc(reference, estimate, ab=True) == pytest.approx(expected, abs=tolerance)
    assert ab_accuracy_auc(reference, reference + 200.0, ab=True) == 0.0  # beyond every threshold


def test_ab_accuracy_needs_matching_shapes() -> None:
    with pytest.raises(InputError):
        ab_accuracy_auc(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
    with pytest.raises(InputError):
        ab_accuracy_auc(np.zeros((4, 4, 3)), np.zeros((4, 4, 3)), max_threshold=0)


def test_sharpness_of_a_ramp_has_the_closed_form_and_blur_lowers_it() -> None:
    ramp = np.tile(np.arange(8, dtype=np.float64) * 10.0, (5, 1))  # +10 per column, flat down the rows
    assert sharpness(ramp) == pytest.approx(10.0)
    assert sharpness(np.repeat(ramp[..., None], 3, axis=2)) == pytest.approx(10.0)  # gray RGB: luma weights sum to 1
    assert sharpness(np.full((6, 6, 3), 200.0)) == 0.0 and sharpness(np.zeros((1, 9))) == 0.0
    image = _random_image((32, 32, 3)).astype(np.float64)
    blurred = (image + np.roll(image, 1, 0) + np.roll(image, 1, 1) + np.roll(image, (1, 1), (0, 1))) / 4
    assert sharpness(blurred) < 0.7 * sharpness(image)


def test_sharpness_rejects_a_non_image() -> None:
    with pytest.raises(InputError, match="sharpness needs"):
        sharpness(np.zeros((4, 4, 2)))


def test_feature_statistics_match_numpy() -> None:
    features = np.random.default_rng(6).normal(size=(50, 4))
    mu, sigma = feature_statistics(features)
    np.testing.assert_allclose(mu, features.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(features, rowvar=False))
    assert feature_statistics(features[:, :1])[1].shape == (1, 1)


def test_frechet_distance_of_identical_statistics_is_zero() -> None:
    mu, sigma = feature_statistics(np.random.default_rng(7).normal(size=(40, 6)))
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_diagonal_gaussians_has_the_closed_form() -> None:
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert expected == pytest.approx(5 + 1 + 1 + 6.25)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, abs=1e-10)


def test_frechet_distance_is_symmetric_and_agrees_with_the_eigenvalues_of_the_product() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    sigma1, sigma2 = a @ a.T + 0.1 * np.eye(5), b @ b.T + 0.1 * np.eye(5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    # Independent route: sigma1 sigma2 has real positive eigenvalues; tr sqrt = sum of their square roots.
    trace_sqrt = np.sum(np.sqrt(np.linalg.eigvals(sigma1 @ sigma2).real))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    forward = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert forward == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu2, sigma2, mu1, sigma1) == pytest.approx(forward, rel=1e-9)


def test_frechet_distance_handles_singular_covariances() -> None:
    # Fewer samples than features: rank-deficient covariances must still give a finite, non-negative number.
    rng = np.random.default_rng(9)
    mu1, sigma1 = feature_statistics(rng.normal(size=(5, 12)))
    mu2, sigma2 = feature_statistics(rng.normal(size=(5, 12)) + 1.0)
    distance = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert math.isfinite(distance) and distance > 0


def test_knn_accuracy_on_separable_clusters_is_one() -> None:
    rng = np.random.default_rng(10)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    train_labels = np.repeat([3, 5, 7], 20)
    test_labels = np.repeat([3, 5, 7], 5)
    train = centres[np.repeat([0, 1, 2], 20)] + rng.normal(0, 0.5, (60, 2))
    test = centres[np.repeat([0, 1, 2], 5)] + rng.normal(0, 0.5, (15, 2))
    assert knn_accuracy(train, train_labels, test, test_labels, k=1) == 1.0
    assert knn_accuracy(train, train_labels, test, test_labels, k=5) == 1.0
    assert knn_accuracy(train, train_labels, test, (test_labels + 2) % 9, k=5) == 0.0


def test_knn_accuracy_votes_with_the_majority_and_breaks_ties_to_the_smallest_label() -> None:
    train = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    labels = np.array([1, 0, 0, 1, 1])
    query = np.array([[0.1]])
    assert knn_accuracy(train, labels, query, np.array([1]), k=1) == 1.0  # nearest: 0.0 (label 1)
    assert knn_accuracy(train, labels, query, np.array([0]), k=3) == 1.0  # 0.0, 1.0, 2.0 -> two votes for 0
    assert knn_accuracy(train, labels, query, np.array([0]), k=4) == 1.0  # 2 vs 2 -> smallest label 0


def test_knn_accuracy_does_not_depend_on_the_chunk_size() -> None:
    rng = np.random.default_rng(11)
    train, test = rng.normal(size=(200, 8)), rng.normal(size=(37, 8))
    train_labels, test_labels = rng.integers(0, 4, 200), rng.integers(0, 4, 37)
    for k in (1, 5):
        whole = knn_accuracy(train, train_labels, test, test_labels, k=k, chunk_size=1000)
        for chunk_size in (1, 7):
            assert knn_accuracy(train, train_labels, test, test_labels, k=k, chunk_size=chunk_size) == whole
        assert knn_accuracy(train, train_labels, test, test_labels, k=k, max_chunk_bytes=8 * 200 * 3) == whole


def test_mask_iou() -> None:
    a = np.zeros((4, 4), dtype=bool)
    b = np.zeros((4, 4), dtype=np.uint8)
    a[0, :4] = True
    b[0, 2:4] = 1
    b[1, 0:2] = 255
    assert mask_iou(a, b) == pytest.approx(2 / 6)
    assert mask_iou(a, a) == 1.0
    assert mask_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
