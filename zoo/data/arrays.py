"""Datasets over in-memory uint8 arrays (MNIST-style digits, the synthetic shapes)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo.data.errors import DatasetError
from zoo.data.images import image_to_tensor
from zoo.data.sampling import UnpairedOrder, UnpairedOrderMixin

__all__ = ["ArrayImageDataset", "ArrayPairedDataset", "ArrayUnpairedDataset"]


def _uint8_images(images, name: str = "images") -> np.ndarray:
    array = images.numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.dtype != np.uint8 or array.ndim not in (3, 4):
        raise DatasetError(f"{name} must be uint8 [N, H, W] or [N, H, W, C], got {array.dtype} {list(array.shape)}")
    return array


class ArrayImageDataset(Dataset):
    """``{"image": float [C, H, W] in [0, 1]}`` (``[-1, 1]`` with ``signed=True``), plus ``"label"`` (int64).

    ``images`` is uint8 ``[N, H, W]`` (gray) or ``[N, H, W, C]``; ``transform`` is applied to the image tensor.

    >>> data = ArrayImageDataset(*load_mnist("mnist", "train"))  # doctest: +SKIP
    >>> data[0]["image"].shape, int(data[0]["label"])
    (torch.Size([1, 28, 28]), 5)
    """

    def __init__(
        self,
        images: np.ndarray | torch.Tensor,
        labels: np.ndarray | torch.Tensor | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        signed: bool = False,
    ) -> None:
        self.images = _uint8_images(images)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        if self.labels is not None and self.labels.shape != (len(self.images),):
            raise DatasetError(f"{len(self.images)} images but labels of shape {list(self.labels.shape)}")
        self.transform, self.signed = transform, signed

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        image = image_to_tensor(self.images[index], signed=self.signed)
        item = {"image": self.transform(image) if self.transform is not None else image}
        if self.labels is not None:
            item["label"] = torch.tensor(self.labels[index], dtype=torch.int64)
        return item


class ArrayPairedDataset(Dataset):
    """Aligned uint8 image arrays: ``{"A", "B"}`` float ``[C, H, W]`` in [-1, 1] and ``"index"``."""

    def __init__(self, images_a: np.ndarray | torch.Tensor, images_b: np.ndarray | torch.Tensor) -> None:
        self.images_a, self.images_b = _uint8_images(images_a, "images_a"), _uint8_images(images_b, "images_b")
        if len(self.images_a) != len(self.images_b):
            raise DatasetError(
                f"paired arrays need equal lengths, got {len(self.images_a)} A and {len(self.images_b)} B"
            )

    def __len__(self) -> int:
        return len(self.images_a)

    def __getitem__(self, index: int) -> dict:
        return {
            "A": image_to_tensor(self.images_a[index], signed=True),
            "B": image_to_tensor(self.images_b[index], signed=True),
            "index": index,
        }


class ArrayUnpairedDataset(UnpairedOrderMixin, Dataset):
    """Two uint8 image domains in the order of ``UnpairedOrder``: ``{"A", "B"}`` in [-1, 1], ``"index_a"``,
    ``"index_b"``. ``partnered=True`` when A[i] and B[i] belong together and must never meet in one step (see
    ``UnpairedOrder``); read it with a sequential sampler and call ``set_epoch`` each epoch."""

    def __init__(
        self,
        images_a: np.ndarray | torch.Tensor,
        images_b: np.ndarray | torch.Tensor,
        seed: int = 0,
        partnered: bool = False,
        shuffle: bool = True,
    ) -> None:
        self.images_a, self.images_b = _uint8_images(images_a, "images_a"), _uint8_images(images_b, "images_b")
        self.order = UnpairedOrder(len(self.images_a), len(self.images_b), partnered, seed=seed, shuffle=shuffle)

    def __getitem__(self, position: int) -> dict:
        index_a, index_b = self.order.indices(position, self.epoch)
        return {
            "A": image_to_tensor(self.images_a[index_a], signed=True),
            "B": image_to_tensor(self.images_b[index_b], signed=True),
            "index_a": index_a,
            "index_b": index_b,
        }
