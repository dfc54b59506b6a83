"""The labelled image sets that the small generative models, their judges and their protocols read, by dataset name:
MNIST-layout folders (``mnist``, ``fashion-mnist``: 28x28 gray) and the GTSRB signs (``gtsrb4``: 32x32 colour)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data.gtsrb import SIGN_CLASSES, SIGN_SIZE, load_gtsrb4
from zoo.data.idx import FASHION_CLASSES, MNIST_CLASSES, load_mnist

__all__ = ["class_names", "image_shape", "is_signs", "load_labelled"]


def is_signs(dataset: str | Path | None) -> bool:
    """Whether ``dataset`` (a name or a folder) is the GTSRB signs set (its folder name starts with ``gtsrb``)."""
    return Path(str(dataset or "")).name.startswith("gtsrb")


def class_names(dataset: str | Path | None) -> list[str]:
    """The class names of a labelled set, in label order."""
    if is_signs(dataset):
        return list(SIGN_CLASSES)
    return list(FASHION_CLASSES if "fashion" in str(dataset or "") else MNIST_CLASSES)


def image_shape(dataset: str | Path | None) -> tuple[int, int]:
    """``(channels, side)`` of a labelled set's images: ``(3, 32)`` for the signs, ``(1, 28)`` for the MNIST layouts."""
    return (3, SIGN_SIZE) if is_signs(dataset) else (1, 28)


def load_labelled(
    dataset: str | Path | None, split: str = "train", data_dir: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (``[N, 28, 28]`` gray or ``[N, 32, 32, 3]`` colour) and int64 labels ``[N]`` of a split."""
    if is_signs(dataset):
        return load_gtsrb4(dataset, split, data_dir)
    return load_mnist(dataset or "mnist", split, data_dir)
