"""Image helpers shared by the dataset classes: listing, loading, probing, tensor conversion, dihedral transforms."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from zoo.data.errors import DatasetError, DatasetWarning

__all__ = [
    "IMAGE_EXTENSIONS",
    "dihedral",
    "image_to_tensor",
    "list_images",
    "load_image",
    "readable_images",
    "split_pair",
    "warn_skipped",
]  # fmt: skip

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
_READ_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _natural_key(path: Path) -> tuple[list[int | str], str]:
    # Text and digit runs alternate from a (possibly empty) text run, so equal positions always hold equal types.
    parts = re.split(r"(\d+)", path.name)
    return [int(part) if i % 2 else part.lower() for i, part in enumerate(parts)], path.name


def list_images(folder: str | Path) -> list[Path]:
    """The image files (jpg/jpeg/png/bmp/tif/tiff, any case) directly in ``folder``, in natural order (2 before 10)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"image folder {folder} does not exist; check the path or --data-dir")
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(files, key=_natural_key)


def load_image(path: str | Path, mode: str | None = "RGB") -> Image.Image:
    """Open and fully decode an image, apply its EXIF orientation, convert to ``mode`` (``None`` keeps it).

    Raises ``DatasetError`` (with the path) for missing, truncated or non-image files.
    """
    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)  # a new image, so closing ``opened`` is fine
    except _READ_ERRORS as error:
        raise DatasetError(f"cannot read image {path}: {error}") from error
    if mode is not None and image.mode != mode:
        image = image.convert(mode)
    return image


def _probe(path: Path) -> None:
    with Image.open(path) as image:
        # JPEG: decode at 1/8 scale, which still reads the whole entropy-coded stream (truncation is caught) but is
        # several times faster than a full decode. Other formats ignore ``draft`` and decode fully.
        image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()


def readable_images(files: Iterable[Path], folder: str | Path) -> list[Path]:
    """The files that decode; the others are left out with one counted ``DatasetWarning`` (see ``warn_skipped``)."""
    readable, unreadable = [], []
    for path in files:
        try:
            _probe(path)
        except _READ_ERRORS:
            unreadable.append(path)
        else:
            readable.append(path)
    warn_skipped(unreadable, folder)
    return readable


def warn_skipped(skipped: list[Path], folder: str | Path, reason: str = "unreadable") -> None:
    """One warning for all skipped files: ``skipped 2 unreadable image(s) in <folder>: <first name>``."""
    if skipped:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        message = f"skipped {len(skipped)} {reason} image(s) in {folder}: {skipped[0].name}{more}"
        warnings.warn(message, DatasetWarning, stacklevel=3)


def split_pair(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The left and right halves of a pix2pix side-by-side ``left|right`` image."""
    half = image.width // 2
    return image.crop((0, 0, half, image.height)), image.crop((half, 0, 2 * half, image.height))


def image_to_tensor(image: Image.Image | np.ndarray, signed: bool = False) -> torch.Tensor:
    """uint8 ``[H, W]`` / ``[H, W, C]`` (array or PIL) -> float32 ``[C, H, W]`` in [0, 1], or [-1, 1] if ``signed``."""
    array = np.array(image, dtype=np.uint8)  # a copy: torch.from_numpy needs a writable array
    if array.ndim == 2:
        array = array[:, :, None]
    tensor = torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0)
    return tensor.mul_(2.0).sub_(1.0) if signed else tensor


def dihedral(array: np.ndarray, transform: int) -> np.ndarray:
    """One of the 8 rotations/mirrors of a square's symmetry group: ``transform`` in 0..7 (0 = identity)."""
    out = np.rot90(array, k=transform % 4, axes=(0, 1))
    if transform >= 4:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)
