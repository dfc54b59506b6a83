"""Tiny generated data for the translation tests: a side-by-side ``A|B`` folder (train/ and test/) in tmp_path, and a
stand-in for the accelerator so one training step can run without a process group."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HALF = 32  # each half of a tiny pair is HALF x HALF


def write_pairs(folder: Path, n: int, seed: int) -> Path:
    """``n`` JPEG files ``i.jpg`` of 2*HALF x HALF: left = a blocky 'label map', right = a smooth 'photo' of it."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n):
        blocks = rng.integers(0, 4, (4, 4))
        labels = np.kron(blocks, np.ones((HALF // 4, HALF // 4), dtype=int))
        palette = np.array([[200, 40, 40], [40, 40, 200], [40, 200, 40], [230, 230, 60]], dtype=np.uint8)
        label_map = palette[labels]
        photo = np.clip(label_map.astype(float) * 0.6 + rng.normal(60, 20, label_map.shape), 0, 255).astype(np.uint8)
        Image.fromarray(np.concatenate([label_map, photo], axis=1)).save(folder / f"{index + 1}.jpg", quality=95)
    return folder


@pytest.fixture
def tiny_pairs(tmp_path) -> Path:
    """A pix2pix-style dataset folder with train/ (8 pairs) and test/ (3 pairs)."""
    root = tmp_path / "tinypairs"
    write_pairs(root / "train", 8, seed=0)
    write_pairs(root / "test", 3, seed=1)
    return root


class EagerAccelerator:
    """What a training step needs from accelerate, for a single process without wrappers."""

    @staticmethod
    def backward(loss):
        loss.backward()

    @staticmethod
    def no_sync(model):
        return contextlib.nullcontext()


@pytest.fixture
def accelerator() -> EagerAccelerator:
    return EagerAccelerator()
