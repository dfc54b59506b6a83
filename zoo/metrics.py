"""Metrics of the evaluation protocols (docs/EVALUATION.md): numpy arrays in, a Python float out.

(Over 400 lines on purpose: pure functions only, one definition of each metric the docs and cards cite, in one place.)

Conventions, fixed so numbers compare with published tables:

- Images are ``[H, W]`` (gray) or ``[H, W, C]`` (channels last). Every computation is done in float64.
- ``data_range`` is the span of the pixel scale: 255 for uint8-like values in [0, 255], 1 for values in [0, 1].
- PSNR and SSIM never crop on their own; the super-resolution protocol (``y_psnr`` / ``y_ssim``) converts to the
  MATLAB ``rgb2ycbcr`` Y channel (0-255 scale, not rounded) and shaves ``scale`` pixels from each side.
- SSIM is Wang et al. (2004) as in their MATLAB ``ssim_index.m`` and in scikit-image with ``gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False``: 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, averaged over the
  'valid' region of the filter (5 pixels lost on each side); no automatic downsampling. Colour images: mean of the
  per-channel SSIM.
- Colour measures for colourisation: ``colourfulness`` (Hasler & Suesstrunk 2003, RGB), ``hue_spread`` (1 - the
  chroma-weighted mean resultant length of the Lab hue angle, chroma floor ``HUE_CHROMA_FLOOR`` = 5) and
  ``ab_accuracy`` / ``ab_accuracy_auc`` (Zhang et al. 2016's raw accuracy of ab within thresholds 0..150 and its
  normalised area under the curve), all in CIE Lab D65 from ``zoo.color``.

Example::

    >>> import numpy as np
    >>> from zoo.metrics import psnr
    >>> reference = np.zeros((8, 8), dtype=np.uint8)
    >>> round(psnr(reference, reference + 1), 2)
    48.13
"""

from __future__ import annotations

import math

import numpy as np

from zoo.errors import InputError

__all__ = [
    "AB_AUC_MAX_THRESHOLD",
    "HUE_CHROMA_FLOOR",
    "ab_accuracy",
    "ab_accuracy_auc",
    "ab_channels",
    "colourfulness",
    "crop_to_multiple",
    "feature_statistics",
    "frechet_distance",
    "hue_spread",
    "knn_accuracy",
    "mask_iou",
    "psnr",
    "rgb_to_y",
    "shave",
    "ssim",
    "y_psnr",
    "y_ssim",
]

# Hue spread: pixels whose CIE Lab chroma sqrt(a^2 + b^2) is below this are treated as achromatic and ignored (5 Lab
# units: about the smallest colour difference a viewer notices as a tint; JPEG noise on a gray wall stays below it).
HUE_CHROMA_FLOOR = 5.0
# Zhang, Isola & Efros (2016) "raw accuracy": ab-distance thresholds swept from 0 to 150 Lab units.
AB_AUC_MAX_THRESHOLD = 150.0

SSIM_SIGMA = 1.5
SSIM_WINDOW = 11
SSIM_K1 = 0.01
SSIM_K2 = 0.03

# MATLAB rgb2ycbcr, Y row, for R, G, B in [0, 1]; the result is on the 0-255 scale (16 for black, 235 for white).
Y_OFFSET = 16.0
Y_WEIGHTS = (65.481, 128.553, 24.966)


def _check_same_shape(reference: np.ndarray, estimate: np.ndarray, what: str) -> None:
    if reference.shape != estimate.shape:
        raise InputError(
            f"{what} needs two images of the same shape, got {reference.shape} and {estimate.shape}; "
            "crop both the same way (e.g. crop_to_multiple) before comparing."
        )


def psnr(reference: np.ndarray, estimate: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)`` over all pixels and channels.

    No crop, no rounding: quantize/clip the estimate first if the protocol asks for it (denoising: clip to [0, 1] and
    quantize to uint8). Returns ``inf`` for identical images.
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    _check_same_shape(reference, estimate, "psnr")
    mse = float(np.mean((reference - estimate) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def _gaussian_window_1d(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian; its outer product with itself is MATLAB's ``fspecial('gaussian', 11, 1.5)``."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def _filter_valid(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering of a 2-D array (rows then columns), one shifted slice per tap."""
    taps = len(weights)
    rows = image.shape[0] - taps + 1
    cols = image.shape[1] - taps + 1
    vertical = np.zeros((rows, image.shape[1]))
    for k, weight in enumerate(weights):
        vertical += weight * image[k : k + rows]
    out = np.zeros((rows, cols))
    for k, weight in enumerate(weights):
        out += weight * vertical[:, k : k + cols]
    return out


def _ssim_gray(reference: np.ndarray, estimate: np.ndarray, data_range: float) -> float:
    weights = _gaussian_window_1d()
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu_x = _filter_valid(reference, weights)
    mu_y = _filter_valid(estimate, weights)
    # Population (biased) local moments, as MATLAB and use_sample_covariance=False.
    var_x = _filter_valid(reference * reference, weights) - mu_x * mu_x
    var_y = _filter_valid(estimate * estimate, weights) - mu_y * mu_y
    cov_xy = _filter_valid(reference * estimate, weights) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)
    denominator = (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2)
    return float(np.mean(numerator / denominator))


def ssim(reference: np.ndarray, estimate: np.ndarray, data_range: float = 255.0) -> float:
    """Structural similarity (Wang et al. 2004), mean over the 'valid' region of an 11x11 Gaussian window (sigma 1.5).

    ``[H, W]`` gray or ``[H, W, C]`` channels last; for colour the mean of the per-channel SSIM, each channel once.
    Matches scikit-image ``structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=data_range)``. Both sides must be at least 11 pixels.
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    _check_same_shape(reference, estimate, "ssim")
    if reference.ndim not in (2, 3) or min(reference.shape[:2]) < SSIM_WINDOW:
        raise InputError(
            f"ssim needs [H, W] or [H, W, C] images with H, W >= {SSIM_WINDOW}, got shape {reference.shape}."
        )
    if reference.ndim == 2:
        return _ssim_gray(reference, estimate, data_range)
    per_channel = [_ssim_gray(reference[..., c], estimate[..., c], data_range) for c in range(reference.shape[2])]
    return float(np.mean(per_channel))


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """Luma of MATLAB ``rgb2ycbcr`` on a 0-255 RGB image: ``16 + 65.481 R + 128.553 G + 24.966 B``, R, G, B in [0, 1].

    Input: uint8 or float on the 0-255 scale, ``[H, W, 3]``. Output: float64 ``[H, W]`` on the 0-255 scale (white
    235, black 16), not rounded. A gray image (``[H, W]`` or ``[H, W, 1]``) is returned unchanged as float64, as
    BasicSR / EDSR evaluate gray images (note: this is not ``rgb2ycbcr`` of the gray value replicated to RGB).
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"rgb_to_y needs an [H, W, 3] RGB or [H, W] gray image, got shape {image.shape}.")
    weights = np.asarray(Y_WEIGHTS) / 255.0
    return Y_OFFSET + image @ weights


def shave(image: np.ndarray, border: int) -> np.ndarray:
    """Drop ``border`` pixels from each of the four sides (the first two axes); ``border=0`` returns the image."""
    if border < 0 or 2 * border >= min(image.shape[:2]):
        raise InputError(f"shave border {border} does not fit an image of shape {image.shape}.")
    if border == 0:
        return image
    return image[border:-border, border:-border]


def crop_to_multiple(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop height and width down to multiples of ``scale``, keeping the top-left corner (MATLAB ``modcrop``)."""
    if scale < 1:
        raise InputError(f"crop_to_multiple needs a scale >= 1, got {scale}.")
    height = image.shape[0] - image.shape[0] % scale
    width = image.shape[1] - image.shape[1] % scale
    return image[:height, :width]


def y_psnr(hr: np.ndarray, sr: np.ndarray, scale: int) -> float:
    """Super-resolution PSNR: Y channel (``rgb_to_y``, 0-255), ``scale`` pixels shaved from each side, data range 255.

    ``hr`` and ``sr`` are 0-255 images of the same shape (``hr`` already ``crop_to_multiple(hr, scale)``).
    """
    _check_same_shape(np.asarray(hr), np.asarray(sr), "y_psnr")
    return psnr(shave(rgb_to_y(hr), scale), shave(rgb_to_y(sr), scale), data_range=255.0)


def y_ssim(hr: np.ndarray, sr: np.ndarray, scale: int) -> float:
    """Super-resolution SSIM: same Y channel and border crop as ``y_psnr``, then ``ssim`` with data range 255."""
    _check_same_shape(np.asarray(hr), np.asarray(sr), "y_ssim")
    return ssim(shave(rgb_to_y(hr), scale), shave(rgb_to_y(sr), scale), data_range=255.0)


def sharpness(image: np.ndarray) -> float:
    """Mean gradient magnitude of the luminance (BT.601 weights on 0-255 values; forward differences, the last row
    and column dropped): how much fine detail an image holds. A blurred image scores lower than its original, noise
    and artefacts raise it, a flat image scores 0. Used as a ratio to a reference image's score."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 3 and array.shape[2] == 3:
        array = array @ np.array([0.299, 0.587, 0.114])
    elif array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise InputError(f"sharpness needs an [H, W] or [H, W, 1|3] image, got shape {np.asarray(image).shape}.")
    if min(array.shape) < 2:
        return 0.0
    dx = array[:-1, 1:] - array[:-1, :-1]
    dy = array[1:, :-1] - array[:-1, :-1]
    return float(np.mean(np.hypot(dx, dy)))


def colourfulness(image_rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of an ``[H, W, 3]`` RGB image on the 0-255 scale.

    ``rg = R - G``, ``yb = (R + G) / 2 - B``; ``sqrt(std_rg^2 + std_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2)`` with
    population standard deviations. 0 for any gray image; pass 0-255 values (a [0, 1] image gives 1/255 of it).
    """
    image = np.asarray(image_rgb, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"colourfulness needs an [H, W, 3] RGB image, got shape {image.shape}.")
    red, green, blue = image[..., 0], image[..., 1], image[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = math.sqrt(float(rg.std()) ** 2 + float(yb.std()) ** 2)
    offset = math.sqrt(float(rg.mean()) ** 2 + float(yb.mean()) ** 2)
    return spread + 0.3 * offset


def ab_channels(image_rgb: np.ndarray, data_range: float = 255.0) -> np.ndarray:
    """CIE Lab (D65, ``zoo.color``) a and b of an ``[H, W, 3]`` sRGB image as ``[H, W, 2]`` float64 (0-255 values by
    default; ``data_range=1`` for [0, 1]). Compute it once per image to feed ``hue_spread`` / ``ab_accuracy``."""
    from zoo.color import rgb_to_lab

    image = np.asarray(image_rgb, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"ab_channels needs an [H, W, 3] RGB image, got shape {image.shape}.")
    return rgb_to_lab(image / data_range)[..., 1:].astype(np.float64)


def _ab_of(image: np.ndarray, data_range: float, ab: bool) -> np.ndarray:
    if ab:
        array = np.asarray(image, dtype=np.float64)
        if array.shape[-1:] != (2,):
            raise InputError(f"ab=True needs [..., 2] (a, b) values, got shape {array.shape}.")
        return array.reshape(-1, 2)
    return ab_channels(image, data_range).reshape(-1, 2)


def hue_spread(
    image_rgb: np.ndarray, chroma_floor: float = HUE_CHROMA_FLOOR, data_range: float = 255.0, ab: bool = False
) -> float:
    """How many different hues an image holds: ``1 - R``, R the chroma-weighted mean resultant length of the hue angle.

    Each pixel's hue is ``h = atan2(b, a)`` in CIE Lab (D65) and its chroma ``C = sqrt(a^2 + b^2)``; pixels with
    ``C < chroma_floor`` (default 5 Lab units) are achromatic and ignored. With weights C,
    ``R = |sum C (cos h, sin h)| / sum C = |sum (a, b)| / sum C``. 0 = a single hue at any chroma (a sepia or brown
    image), near 1 = hues balanced all around the circle (opposite hues of equal weight give exactly 1). 0.0 for an
    image with no chromatic pixel (gray). The measure is circular statistics' "circular variance", weighted by chroma
    so that faint tints count less than strong colours. Input: ``[H, W, 3]`` RGB on the 0-``data_range`` scale, or
    (``ab=True``) precomputed ``[..., 2]`` Lab ab values (``ab_channels``).
    """
    values = _ab_of(image_rgb, data_range, ab)
    chroma = np.hypot(values[:, 0], values[:, 1])
    chromatic = (chroma >= chroma_floor).astype(np.float64)
    total = float(chroma @ chromatic)
    if total <= 0.0:
        return 0.0
    resultant = float(np.hypot(*(chromatic @ values))) / total
    return float(min(max(1.0 - resultant, 0.0), 1.0))


def ab_accuracy(
    reference_rgb: np.ndarray,
    estimate_rgb: np.ndarray,
    thresholds: np.ndarray | list[float] | None = None,
    data_range: float = 255.0,
    ab: bool = False,
) -> np.ndarray:
    """Zhang, Isola & Efros (2016) raw accuracy: for each threshold t, the share of pixels whose Lab ab Euclidean
    distance to the reference, ``sqrt((a - a_ref)^2 + (b - b_ref)^2)``, is at most t. ``thresholds`` default to
    0, 1, ..., 150. Returns float64 ``[len(thresholds)]``. Inputs as ``hue_spread``'s (RGB or, ``ab=True``, ab)."""
    _check_same_shape(np.asarray(reference_rgb), np.asarray(estimate_rgb), "ab_accuracy")
    reference = _ab_of(reference_rgb, data_range, ab)
    estimate = _ab_of(estimate_rgb, data_range, ab)
    if thresholds is None:
        thresholds = np.arange(0.0, AB_AUC_MAX_THRESHOLD + 0.5, 1.0)
    thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    distances = np.sort(np.hypot(*(estimate - reference).T))
    return np.searchsorted(distances, thresholds, side="right") / max(len(distances), 1)


def ab_accuracy_auc(
    reference_rgb: np.ndarray,
    estimate_rgb: np.ndarray,
    max_threshold: float = AB_AUC_MAX_THRESHOLD,
    step: float = 1.0,
    data_range: float = 255.0,
    ab: bool = False,
) -> float:
    """Area under Zhang et al. (2016)'s raw-accuracy curve, normalised to [0, 1]: ``ab_accuracy`` at thresholds
    ``0, step, ..., max_threshold`` (default 0..150 Lab units, step 1), integrated by the trapezoid rule and divided
    by ``max_threshold``. 1.0 for identical ab; a constant ab error of d gives ``1 - d / max_threshold`` (exactly for
    d halfway between thresholds); the gray baseline (ab = 0) typically scores high (Zhang: 89%), since most pixels
    have low chroma, so compare against it."""
    if not (max_threshold > 0 and step > 0):
        raise InputError(f"ab_accuracy_auc needs max_threshold > 0 and step > 0, got {max_threshold}, {step}.")
    thresholds = np.arange(0.0, max_threshold + step / 2, step)
    accuracy = ab_accuracy(reference_rgb, estimate_rgb, thresholds, data_range, ab)
    area = float(np.sum((accuracy[1:] + accuracy[:-1]) * np.diff(thresholds)) / 2.0)
    return area / float(thresholds[-1])


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[F]`` and covariance ``[F, F]`` (unbiased, ``np.cov`` ddof 1, as pytorch-fid) of ``[N, F]`` features."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise InputError(f"feature_statistics needs [N, F] features with N >= 2, got shape {features.shape}.")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a covariance matrix; eigenvalues rounded below zero are clipped to zero."""
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), the FID formula.

    ``|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr sqrt(sigma1 sigma2)``, where ``tr sqrt(sigma1 sigma2)`` is
    computed as the sum of square roots of the eigenvalues of the symmetric PSD matrix ``sqrt(sigma1) sigma2
    sqrt(sigma1)`` (same spectrum as ``sigma1 sigma2``), so no ``scipy.linalg.sqrtm``, no complex parts and no
    epsilon offset are needed; singular covariances (N < F) are fine.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    size = mu1.shape[0]
    if mu2.shape != (size,) or sigma1.shape != (size, size) or sigma2.shape != (size, size):
        raise InputError(
            "frechet_distance needs mu [F] and sigma [F, F] of the same F, got "
            f"{mu1.shape}, {sigma1.shape}, {mu2.shape}, {sigma2.shape}."
        )
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_sqrt = float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))
    difference = mu1 - mu2
    distance = float(difference @ difference) + float(np.trace(sigma1)) + float(np.trace(sigma2)) - 2.0 * trace_sqrt
    # Identical inputs can come out at -1e-12; a distance is never negative.
    return max(distance, 0.0)


def knn_accuracy(
    train_codes: np.ndarray,
    train_labels: np.ndarray,
    test_codes: np.ndarray,
    test_labels: np.ndarray,
    k: int = 1,
    chunk_size: int | None = None,
    max_chunk_bytes: int = 64 * 2**20,
) -> float:
    """Share of test codes whose ``k`` nearest train codes (Euclidean) vote for the right label.

    Majority vote with uniform weights; a tie goes to the smallest label (as scikit-learn's ``KNeighborsClassifier``).
    Distances are computed for ``chunk_size`` test rows at a time, by default as many as fit ``max_chunk_bytes`` of
    float64 distances (about 140 rows against 60,000 train codes; peak about three times that, with the selection),
    so memory stays bounded for MNIST-sized sets (60,000 x 10,000, 32-d codes, k=5: about 20 s on 2 cores).
    """
    train_codes = np.asarray(train_codes, dtype=np.float64).reshape(len(train_codes), -1)
    test_codes = np.asarray(test_codes, dtype=np.float64).reshape(len(test_codes), -1)
    train_labels = np.asarray(train_labels).reshape(-1)
    test_labels = np.asarray(test_labels).reshape(-1)
    if len(train_labels) != len(train_codes) or len(test_labels) != len(test_codes):
        raise InputError(
            f"knn_accuracy got {len(train_codes)} train codes with {len(train_labels)} labels and "
            f"{len(test_codes)} test codes with {len(test_labels)} labels; they must match one to one."
        )
    if train_codes.shape[1] != test_codes.shape[1]:
        raise InputError(f"train codes have {train_codes.shape[1]} dims, test codes {test_codes.shape[1]}.")
    if not 1 <= k <= len(train_codes) or len(test_codes) == 0:
        raise InputError(f"knn_accuracy needs 1 <= k <= {len(train_codes)} train codes and test codes, got k={k}.")
    classes, train_class = np.unique(train_labels, return_inverse=True)
    if chunk_size is None:
        chunk_size = max(1, max_chunk_bytes // (8 * len(train_codes)))
    train_norms = np.einsum("ij,ij->i", train_codes, train_codes)
    correct = 0
    for start in range(0, len(test_codes), chunk_size):
        chunk = test_codes[start : start + chunk_size]
        # |a - b|^2 without the |a|^2 term, which is constant per test row and does not change the ranking.
        distances = chunk @ train_codes.T
        distances *= -2.0  # In place: one [chunk, N] array at a time.
        distances += train_norms
        nearest = np.argmin(distances, axis=1)[:, None] if k == 1 else np.argpartition(distances, k - 1, axis=1)[:, :k]
        votes = np.zeros((len(chunk), len(classes)), dtype=np.int64)
        np.add.at(votes, (np.arange(len(chunk))[:, None], train_class[nearest]), 1)
        predicted = classes[np.argmax(votes, axis=1)]
        correct += int(np.sum(predicted == test_labels[start : start + chunk_size]))
    return correct / len(test_codes)


def mask_iou(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """Intersection over union of two masks of the same shape (nonzero = inside); 1.0 when both are empty."""
    mask_a = np.asarray(mask_a).astype(bool)
    mask_b = np.asarray(mask_b).astype(bool)
    _check_same_shape(mask_a, mask_b, "mask_iou")
    union = int(np.count_nonzero(mask_a | mask_b))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(mask_a & mask_b)) / union
