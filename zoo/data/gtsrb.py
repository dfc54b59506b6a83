"""GTSRB traffic signs, the four classes of the course's conditional GAN (``../shared/data/gtsrb4``): every image
cropped to its sign's ROI box from ``labels/<split>.csv`` and resized to a square, returned as uint8 arrays like
``load_mnist``'s.

The folder holds the original GTSRB PNGs (25-197 px, a border of about 10 % around the sign) in class folders named
by the GTSRB class ids 1, 7, 14, 16; labels here are the positions of those ids in ``SIGN_CLASS_IDS`` (numeric
order, not the folder names' string order).

>>> images, labels = load_gtsrb4("gtsrb4", "test")  # doctest: +SKIP
>>> images.shape, SIGN_CLASSES[labels[0]]
((528, 32, 32, 3), 'speed limit 30')
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from zoo.data.errors import DatasetError
from zoo.data.paths import resolve_dataset

__all__ = ["SIGN_CLASSES", "SIGN_CLASS_IDS", "SIGN_SIZE", "load_gtsrb4"]

SIGN_CLASS_IDS = (1, 7, 14, 16)  # GTSRB class ids, in label order
SIGN_CLASSES = ["speed limit 30", "speed limit 100", "stop", "no trucks"]
SIGN_SIZE = 32
_COLUMNS = ("path", "roi_x1", "roi_y1", "roi_x2", "roi_y2", "class_id")


def load_gtsrb4(
    root_or_name: str | Path = "gtsrb4", split: str = "train", data_dir: str | Path | None = None, size: int = SIGN_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 ``[N, size, size, 3]`` (each sign cropped to its ROI box, then resized with Lanczos) and labels
    int64 ``[N]`` (indices into ``SIGN_CLASSES``), in the order of ``labels/<split>.csv``.

    The ROI corners are GTSRB's inclusive pixel coordinates: the crop is ``(x1, y1, x2 + 1, y2 + 1)``, clipped to
    the image. ``split`` is ``"train"`` or ``"test"``. Raises ``DatasetError`` naming the file at fault."""
    if split not in ("train", "test"):
        raise DatasetError(f"unknown split {split!r}; use 'train' or 'test'")
    if not 4 <= int(size) <= 512:
        raise DatasetError(f"size must be between 4 and 512 pixels, got {size}")
    folder = resolve_dataset(root_or_name, data_dir)
    images, labels = _load(str(folder), split, int(size))
    return images.copy(), labels.copy()


@lru_cache(maxsize=4)
def _load(folder: str, split: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    root = Path(folder)
    table = root / "labels" / f"{split}.csv"
    try:
        with open(table, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise DatasetError(f"cannot read {table}: {error.strerror or error}; is {root} a gtsrb4 folder?") from error
    if not rows:
        raise DatasetError(f"{table} lists no images")
    absent = [column for column in _COLUMNS if column not in rows[0]]
    if absent:
        raise DatasetError(f"{table} lacks the column(s) {', '.join(absent)}")
    images = np.empty((len(rows), size, size, 3), dtype=np.uint8)
    labels = np.empty(len(rows), dtype=np.int64)
    for index, row in enumerate(rows):
        images[index], labels[index] = _sign(root, row, table, index + 2, size)
    return images, labels


def _sign(root: Path, row: dict, table: Path, line: int, size: int) -> tuple[np.ndarray, int]:
    where = f"{table} line {line}"
    try:
        x1, y1, x2, y2, class_id = (int(row[key]) for key in _COLUMNS[1:])
    except (TypeError, ValueError) as error:
        raise DatasetError(f"{where}: the ROI and class_id must be integers ({error})") from error
    if class_id not in SIGN_CLASS_IDS:
        raise DatasetError(f"{where}: class_id {class_id} is not one of the four classes {SIGN_CLASS_IDS}")
    path = root / row["path"]
    try:
        with Image.open(path) as image:
            picture = image.convert("RGB")
    except (OSError, UnidentifiedImageError) as error:
        raise DatasetError(f"{where}: cannot read {path} ({error})") from error
    box = (max(x1, 0), max(y1, 0), min(x2 + 1, picture.width), min(y2 + 1, picture.height))
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        raise DatasetError(f"{where}: the ROI box {x1, y1, x2, y2} is empty in the {picture.size} image {path}")
    sign = picture.crop(box).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(sign, dtype=np.uint8), SIGN_CLASS_IDS.index(class_id)
