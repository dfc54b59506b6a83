"""Tiny MNIST-format data for training tests: 256 train + 64 test images written as idx files in tmp_path."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.data import write_idx


def write_tiny_mnist(root, n_train: int = 256, n_test: int = 64, seed: int = 0):
    """Blobby 28x28 'digits' whose class is the blob's position, so a classifier can learn something."""
    rng = np.random.default_rng(seed)
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[:28, :28]
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        cy, cx = 6 + (labels // 5) * 14 + rng.integers(-2, 3, n), 4 + (labels % 5) * 5 + rng.integers(-1, 2, n)
        blobs = np.exp(-((yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2) / 8.0)
        images = np.clip(blobs * 255 + rng.normal(0, 8, blobs.shape), 0, 255).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture
def tiny_mnist(tmp_path):
    return write_tiny_mnist(tmp_path / "data")
