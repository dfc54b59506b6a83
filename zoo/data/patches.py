"""Random training patches from a set of photos, held in memory (denoising, super-resolution, colourisation)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from zoo.data.errors import DatasetError
from zoo.data.images import dihedral, image_to_tensor, list_images, load_image, warn_skipped
from zoo.data.sampling import EpochMixin, item_rng

__all__ = ["DegradedPatchDataset", "ImagePatchDataset", "grouped_patch_datasets"]


def _expand(sources: str | Path | Iterable[str | Path]) -> list[Path]:
    """Folders become their image files (natural order); files stay as they are."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files: list[Path] = []
    for source in map(Path, sources):
        files.extend(list_images(source) if source.is_dir() else [source])
    return files


class ImagePatchDataset(EpochMixin, Dataset):
    """Random ``patch_size`` crops of preloaded images: ``{"image": float [C, p, p] in [0, 1]}``, plus ``"lr"``
    ``[C, p/scale, p/scale]`` (PIL bicubic downscale of the patch) when ``scale > 1``.

    ``sources`` is a folder, a file, or a list of both. Images are converted to ``mode`` (``"L"`` or ``"RGB"``) and
    kept as uint8 arrays (train400: 13 MB, bsds500/train: 93 MB in RGB). Item ``k`` is a patch of image
    ``k % n_images``; ``len = n_images * patches_per_image``. Crop position and, with ``augment``, one of the 8
    rotations/mirrors come from ``(seed, epoch, k)``: the same in every worker and process; call ``set_epoch`` each
    epoch for new patches. ``downscale`` > 1 shrinks every image by that factor (area average) when it is loaded.
    Unreadable images and images smaller than the patch are skipped with a counted warning.

    >>> data = ImagePatchDataset(dataset_dir("t91"), patch_size=96, mode="RGB", scale=4)  # doctest: +SKIP
    >>> item = data[0]; item["image"].shape, item["lr"].shape
    (torch.Size([3, 96, 96]), torch.Size([3, 24, 24]))
    """

    def __init__(
        self,
        sources: str | Path | Iterable[str | Path],
        patch_size: int,
        mode: str = "L",
        scale: int = 1,
        augment: bool = True,
        patches_per_image: int = 1,
        seed: int = 0,
        downscale: int = 1,
    ) -> None:
        if mode not in ("L", "RGB"):
            raise DatasetError(f"unknown mode {mode!r}; use 'L' or 'RGB'")
        if scale < 1 or patch_size < scale or patch_size % scale:
            raise DatasetError(f"patch_size {patch_size} must be a positive multiple of scale {scale}")
        if downscale < 1:
            raise DatasetError(f"downscale must be >= 1, got {downscale}")
        if patches_per_image < 1:
            raise DatasetError(f"patches_per_image must be >= 1, got {patches_per_image}")
        self.patch_size, self.mode, self.scale, self.augment = patch_size, mode, scale, augment
        self.patches_per_image, self.seed = patches_per_image, seed
        files = _expand(sources)
        if not files:
            raise DatasetError(f"no images (jpg/png/bmp/tif) in {sources}; check the path or --data-dir")
        self.files: list[Path] = []
        self.images: list[np.ndarray] = []
        unreadable, too_small = [], []
        for path in files:
            try:
                image = load_image(path, mode)
            except DatasetError:
                unreadable.append(path)
                continue
            if downscale > 1:  # area average: also averages away mild JPEG artefacts of a re-encoded source
                size = (image.width // downscale, image.height // downscale)
                image = image.resize(size, Image.Resampling.BOX)
            if min(image.size) < patch_size:
                too_small.append(path)
                continue
            self.files.append(path)
            self.images.append(np.asarray(image, dtype=np.uint8))
        where = files[0].parent
        warn_skipped(unreadable, where)
        warn_skipped(too_small, where, reason=f"smaller than {patch_size}x{patch_size}")
        if not self.images:
            raise DatasetError(f"none of the {len(files)} image(s) in {where} is readable and at least {patch_size} px")

    def __len__(self) -> int:
        return len(self.images) * self.patches_per_image

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} patches")
        image = self.images[index % len(self.images)]
        rng = item_rng(self.seed, self.epoch, index)
        size = self.patch_size
        top = int(rng.integers(0, image.shape[0] - size + 1))
        left = int(rng.integers(0, image.shape[1] - size + 1))
        patch = image[top : top + size, left : left + size]
        patch = dihedral(patch, int(rng.integers(8))) if self.augment else np.ascontiguousarray(patch)
        item = {"image": image_to_tensor(patch)}
        if self.scale > 1:
            low = size // self.scale
            item["lr"] = image_to_tensor(Image.fromarray(patch).resize((low, low), Image.Resampling.BICUBIC))
        return item


def grouped_patch_datasets(
    folders: list[Path], names: list[str], downscaled: Iterable[str] = (), **kwargs
) -> list[ImagePatchDataset]:
    """One ``ImagePatchDataset`` for the folders used as they are and one for those whose ``--dataset`` name is in
    ``downscaled`` (loaded 2x smaller, area average); ``kwargs`` go to both."""
    shrink = {name.strip() for name in downscaled if name.strip()}
    groups: dict[int, list[Path]] = {}
    names = [name.strip() for name in names if name.strip()]
    for name, folder in zip(names, folders, strict=True):
        groups.setdefault(2 if name in shrink else 1, []).append(folder)
    return [ImagePatchDataset(group, downscale=factor, **kwargs) for factor, group in sorted(groups.items())]


class DegradedPatchDataset(EpochMixin, Dataset):
    """Clean patches from one or more ``ImagePatchDataset`` (concatenated) and a degraded copy of each:
    ``{"image": clean [C, p, p], key: degraded [C, h, w], "strength": float tensor (0-1 scale)}``.

    ``degrade(clean_hwc, rng) -> (degraded_hwc, info)`` is e.g. ``zoo.degradations.DenoiseMix()`` (``key``
    "degraded") or ``SuperResMix(scale=4)`` (``key`` "lr"); its random draws come from ``item_rng(seed + 1, epoch,
    index)``, so an item is the same in every worker and on resume. ``strength`` is ``info["strength"] / 255`` (the
    RMS error the denoiser is conditioned on), present when the degradation reports it.
    """

    def __init__(self, parts: list[ImagePatchDataset], degrade, seed: int = 0, key: str = "degraded") -> None:
        if not parts:
            raise DatasetError("DegradedPatchDataset needs at least one patch dataset")
        self.parts, self.degrade, self.seed, self.key = parts, degrade, seed, key
        self.offsets = np.cumsum([0, *(len(part) for part in parts)])

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        for part in self.parts:
            part.set_epoch(epoch)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} patches")
        which = int(np.searchsorted(self.offsets, index, side="right") - 1)
        item = self.parts[which][index - int(self.offsets[which])]
        clean = item["image"].numpy().transpose(1, 2, 0)
        degraded, info = self.degrade(clean, item_rng(self.seed + 1, self.epoch, index))
        item[self.key] = torch.from_numpy(np.ascontiguousarray(degraded.transpose(2, 0, 1), dtype=np.float32))
        if "strength" in info:
            item["strength"] = torch.tensor(float(info["strength"]) / 255.0)
        return item
