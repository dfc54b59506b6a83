"""Helpers that write tiny image fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def save_pair(path: Path, a: np.ndarray, b: np.ndarray, **save_options) -> Path:
    """Save ``a|b`` (uint8 [H, W, 3] each) side by side, the pix2pix file layout."""
    Image.fromarray(np.concatenate([a, b], axis=1)).save(path, **save_options)
    return path


def noise(rng: np.random.Generator, height: int, width: int, channels: int = 3) -> np.ndarray:
    shape = (height, width, channels) if channels > 1 else (height, width)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)
