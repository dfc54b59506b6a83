"""pix2pix-style paired folders (``A|B`` side by side in one file) and unpaired (CycleGAN-style) image domains.

The left half of a file is ``A``, the right half ``B`` (the pix2pix convention); ``direction="BtoA"`` swaps them, so
the returned ``"A"`` is always the model's input and ``"B"`` its target. In the shared data:

- ``facades``: photo | label map. The catalog task is labels -> photo, so use ``direction="BtoA"``.
- ``maps``: aerial photo | map. The catalog task is aerial -> map, so use ``direction="AtoB"``.

Tensors are float ``[3, H, W]`` in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image
from torch.utils.data import Dataset

from zoo.data.errors import DatasetError
from zoo.data.images import image_to_tensor, list_images, load_image, readable_images, split_pair
from zoo.data.sampling import EpochMixin, UnpairedOrder, UnpairedOrderMixin, item_rng

__all__ = ["PAIRED_HALVES", "PAIRED_TASK_DIRECTION", "ImageRef", "PairedImageDataset", "UnpairedImageDataset"]

PAIRED_HALVES = {"facades": ("photo", "label map"), "maps": ("aerial photo", "map")}
"""(left half, right half) of the side-by-side files of each paired dataset."""
PAIRED_TASK_DIRECTION = {"facades": "BtoA", "maps": "AtoB"}
"""The ``direction`` of each catalog task: facades labels -> photo, maps aerial -> map."""

_DIRECTIONS = ("AtoB", "BtoA")


def _check_sizes(direction: str, load_size: int, crop_size: int) -> None:
    if direction not in _DIRECTIONS:
        raise DatasetError(f"unknown direction {direction!r}; use 'AtoB' or 'BtoA'")
    if crop_size < 1 or load_size < crop_size:
        raise DatasetError(f"need 1 <= crop_size <= load_size, got crop_size={crop_size}, load_size={load_size}")


def _augment(images: list[Image.Image], load_size: int, crop_size: int, train: bool, rng) -> list[Image.Image]:
    """The pix2pix transform, the same for every image of the list: train = resize to ``load_size``, one random
    ``crop_size`` crop, one random horizontal mirror; eval = resize to ``crop_size`` only."""
    if not train:
        size = (crop_size, crop_size)
        return [image if image.size == size else image.resize(size, Image.Resampling.BICUBIC) for image in images]
    images = [image.resize((load_size, load_size), Image.Resampling.BICUBIC) for image in images]
    x, y = (int(v) for v in rng.integers(0, load_size - crop_size + 1, size=2))
    images = [image.crop((x, y, x + crop_size, y + crop_size)) for image in images]
    if rng.random() < 0.5:
        images = [image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for image in images]
    return images


def _readable_files(folder: str | Path) -> list[Path]:
    files = list_images(folder)
    if not files:
        raise DatasetError(f"no images (jpg/png/bmp/tif) in {folder}; check the path or --data-dir")
    readable = readable_images(files, folder)
    if not readable:
        raise DatasetError(f"none of the {len(files)} image(s) in {folder} could be read")
    return readable


class PairedImageDataset(EpochMixin, Dataset):
    """Aligned pairs from side-by-side ``A|B`` files: ``{"A", "B"}`` float ``[3, crop, crop]`` in [-1, 1] + ``"path"``.

    Unreadable files are left out when the dataset is built, with one counted warning; an empty folder raises
    ``DatasetError``. Augmentation is a pure function of ``(seed, epoch, index)``; call ``set_epoch`` each epoch.

    >>> data = PairedImageDataset(dataset_dir("facades/train"), direction="BtoA")  # doctest: +SKIP
    >>> item = data[0]; item["A"].shape, item["B"].shape   # label map (input), photo (target)
    (torch.Size([3, 256, 256]), torch.Size([3, 256, 256]))
    """

    def __init__(
        self,
        folder: str | Path,
        direction: str = "AtoB",
        load_size: int = 286,
        crop_size: int = 256,
        train: bool = True,
        seed: int = 0,
    ) -> None:
        _check_sizes(direction, load_size, crop_size)
        self.folder = Path(folder)
        self.direction, self.load_size, self.crop_size, self.train, self.seed = (
            direction, load_size, crop_size, train, seed,
        )  # fmt: skip
        self.files = _readable_files(self.folder)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        path = self.files[index]
        left, right = split_pair(load_image(path, "RGB"))
        a, b = (left, right) if self.direction == "AtoB" else (right, left)
        rng = item_rng(self.seed, self.epoch, index)
        a, b = _augment([a, b], self.load_size, self.crop_size, self.train, rng)
        return {"A": image_to_tensor(a, signed=True), "B": image_to_tensor(b, signed=True), "path": str(path)}


@dataclass(frozen=True)
class ImageRef:
    """An image file, or one half (``"left"``/``"right"``) of a side-by-side pair file."""

    path: Path
    half: Literal["left", "right"] | None = None

    def load(self, mode: str = "RGB") -> Image.Image:
        image = load_image(self.path, mode)
        if self.half is None:
            return image
        left, right = split_pair(image)
        return left if self.half == "left" else right


class UnpairedImageDataset(UnpairedOrderMixin, Dataset):
    """Two image domains without alignment: ``{"A", "B"}`` float ``[3, crop, crop]`` in [-1, 1], plus
    ``"index_a"``, ``"index_b"``, ``"path_a"``, ``"path_b"``.

    ``images_a`` / ``images_b`` are folders (e.g. ``trainA``/``trainB``) or lists of files / ``ImageRef``. Use
    ``from_paired_folder`` to split pix2pix pairs into two domains: then A[i] and B[i] are partners, and the order of
    ``UnpairedOrder`` keeps them out of the same step. Read it with a sequential sampler (``shuffle=False``; the
    dataset reshuffles itself on ``set_epoch``) and ``batch_size * num_processes <= max_items_per_step``.
    Each side gets its own random crop and mirror. With ``train=False`` there is no shuffling and no augmentation.

    >>> data = UnpairedImageDataset.from_paired_folder(dataset_dir("facades/train"), direction="BtoA")  # doctest: +SKIP
    >>> data.max_items_per_step
    200
    """

    def __init__(
        self,
        images_a: str | Path | list[Path | str | ImageRef],
        images_b: str | Path | list[Path | str | ImageRef],
        load_size: int = 286,
        crop_size: int = 256,
        train: bool = True,
        seed: int = 0,
        partnered: bool = False,
    ) -> None:
        _check_sizes("AtoB", load_size, crop_size)
        self.images_a, self.images_b = self._refs(images_a), self._refs(images_b)
        self.load_size, self.crop_size, self.train, self.seed = load_size, crop_size, train, seed
        self.order = UnpairedOrder(len(self.images_a), len(self.images_b), partnered, seed=seed, shuffle=train)

    @staticmethod
    def _refs(images: str | Path | list[Path | str | ImageRef]) -> list[ImageRef]:
        if isinstance(images, (str, Path)):
            return [ImageRef(path) for path in _readable_files(images)]
        refs = [image if isinstance(image, ImageRef) else ImageRef(Path(image)) for image in images]
        if not refs:
            raise DatasetError("an unpaired dataset got an empty list of images")
        paths = list(dict.fromkeys(ref.path for ref in refs))
        readable = set(readable_images(paths, paths[0].parent))
        return [ref for ref in refs if ref.path in readable]

    @classmethod
    def from_paired_folder(cls, folder: str | Path, direction: str = "AtoB", **kwargs) -> UnpairedImageDataset:
        """Split the side-by-side pairs of ``folder`` into domain A (left half; right for ``"BtoA"``) and domain B.

        ``kwargs`` go to the constructor (``load_size``, ``crop_size``, ``train``, ``seed``).
        """
        if direction not in _DIRECTIONS:
            raise DatasetError(f"unknown direction {direction!r}; use 'AtoB' or 'BtoA'")
        files = list_images(folder)
        if not files:
            raise DatasetError(f"no images (jpg/png/bmp/tif) in {folder}; check the path or --data-dir")
        half_a, half_b = ("left", "right") if direction == "AtoB" else ("right", "left")
        refs_a = [ImageRef(path, half_a) for path in files]
        refs_b = [ImageRef(path, half_b) for path in files]
        return cls(refs_a, refs_b, partnered=True, **kwargs)

    @property
    def partnered(self) -> bool:
        return self.order.partnered

    def __getitem__(self, position: int) -> dict:
        index_a, index_b = self.order.indices(position, self.epoch)
        ref_a, ref_b = self.images_a[index_a], self.images_b[index_b]
        rng = item_rng(self.seed, self.epoch, position)
        (a,) = _augment([ref_a.load()], self.load_size, self.crop_size, self.train, rng)
        (b,) = _augment([ref_b.load()], self.load_size, self.crop_size, self.train, rng)
        return {
            "A": image_to_tensor(a, signed=True), "B": image_to_tensor(b, signed=True),
            "index_a": index_a, "index_b": index_b, "path_a": str(ref_a.path), "path_b": str(ref_b.path),
        }  # fmt: skip
