"""sRGB <-> CIE Lab (D65) in numpy, for colourisation (no scikit-image dependency).

Conventions: RGB float in [0, 1]; L in [0, 100], a and b roughly in [-110, 110].
"""

from __future__ import annotations

import numpy as np

_RGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=np.float64,
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])
_EPSILON, _KAPPA = 0.008856, 7.787
_BLOCK = 1 << 20  # pixels converted at a time: the float64 temporaries stay near 100 MB for any image size


def _per_pixel(convert, array: np.ndarray) -> np.ndarray:
    """``convert`` ([n, 3] -> [n, 3]) applied block by block over the pixels of a [..., 3] array (float32 out).

    Both conversions are per pixel, so blocks give the same result as one pass; a 4000x3000 photo in one pass needed
    2.6 GB of float64 temporaries."""
    array = np.asarray(array)
    if array.shape[-1:] != (3,):
        raise ValueError(f"expected [..., 3] colour values, got shape {array.shape}")
    flat = array.reshape(-1, 3)
    out = np.empty(flat.shape, dtype=np.float32)
    for start in range(0, len(flat), _BLOCK):
        out[start : start + _BLOCK] = convert(flat[start : start + _BLOCK])
    return out.reshape(array.shape)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """[..., 3] sRGB in [0, 1] -> [..., 3] Lab (float32)."""
    return _per_pixel(_rgb_to_lab, rgb)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """[..., 3] Lab -> [..., 3] sRGB in [0, 1] (float32, out-of-gamut values clipped)."""
    return _per_pixel(_lab_to_rgb, lab)


def _rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    rgb = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > _EPSILON, np.cbrt(xyz), _KAPPA * xyz + 16.0 / 116.0)
    lightness = np.where(xyz[..., 1] > _EPSILON, 116.0 * np.cbrt(xyz[..., 1]) - 16.0, 903.3 * xyz[..., 1])
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1).astype(np.float32)


def _lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > _EPSILON, f**3, (f - 16.0 / 116.0) / _KAPPA) * _WHITE
    linear = np.clip(xyz @ _XYZ_TO_RGB.T, 0.0, 1.0)
    rgb = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def lightness(rgb_or_gray: np.ndarray) -> np.ndarray:
    """L channel [H, W] (0-100) of an RGB [H, W, 3] or gray [H, W] image in [0, 1]."""
    array = np.asarray(rgb_or_gray, dtype=np.float32)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return rgb_to_lab(array)[..., 0]
