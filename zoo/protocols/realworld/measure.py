"""The real-world restoration measures: the fixed degradations per kind and image (``DENOISE_KINDS``,
``degrade_for_test``, ``superres_lr``), the blind model call and the sharpness ratio. Numbers only."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from zoo import degradations as deg
from zoo.protocols.common import SEED
from zoo.protocols.restoration.measure import _quantize


def _gauss_jpeg(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return deg.jpeg(deg.add_gaussian_noise(clean, 15, rng), 50)


DENOISE_KINDS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "jpeg q10": lambda clean, rng: deg.jpeg(clean, 10),
    "jpeg q20": lambda clean, rng: deg.jpeg(clean, 20),
    "jpeg q30": lambda clean, rng: deg.jpeg(clean, 30),
    "jpeg q40": lambda clean, rng: deg.jpeg(clean, 40),
    "awgn 15 + jpeg q50": _gauss_jpeg,
    "poisson-gaussian": lambda clean, rng: deg.quantize(deg.add_poisson_gaussian_noise(clean, 0.01, 2.0, rng)),
    "correlated 20": lambda clean, rng: deg.quantize(deg.add_correlated_noise(clean, 20, 1.0, rng)),
    "mixed": lambda clean, rng: deg.DenoiseMix()(clean, rng, kind="mixed")[0],
}


def case_rng(kind: str, name: str) -> np.random.Generator:
    """The seed of one (kind, image) pair: fixed, independent of the order images are evaluated in."""
    return np.random.default_rng([SEED, zlib.crc32(kind.encode()), zlib.crc32(name.encode())])


def degrade_for_test(clean_uint8: np.ndarray, kind: str, name: str) -> np.ndarray:
    """The protocol's degraded version (uint8) of a clean test image for ``kind``; ``name`` is the image's file name."""
    clean = clean_uint8.astype(np.float32) / 255.0
    return _quantize(DENOISE_KINDS[kind](clean, case_rng(kind, name)))


def superres_lr(hr_uint8: np.ndarray, name: str, scale: int = 4) -> np.ndarray:
    """The protocol's real-world LR image (uint8) of an HR image already cropped to a multiple of ``scale``."""
    lr, _ = deg.SuperResMix(scale=scale)(hr_uint8.astype(np.float32) / 255.0, case_rng(f"sr x{scale}", name))
    return _quantize(lr)


def _denoise_blind(pipe: Any, image_uint8: np.ndarray) -> np.ndarray:
    return _quantize(pipe.denoise_array(image_uint8.astype(np.float32) / 255.0, None))


def sharpness_ratio(output: np.ndarray, reference: np.ndarray) -> float:
    from zoo.metrics import sharpness

    return sharpness(output) / max(sharpness(reference), 1e-6)
