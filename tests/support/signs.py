"""A tiny folder in the layout of ``../shared/data/gtsrb4`` (class folders 1, 7, 14, 16, ``labels/<split>.csv`` with
ROI boxes), made of synthetic signs: each class its own colour of disc inside the ROI box, on a green surround."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from zoo.data import SIGN_CLASS_IDS

COLOURS = [(200, 30, 30), (30, 40, 200), (240, 240, 240), (20, 20, 20)]  # one per label, in SIGN_CLASS_IDS order
SURROUND = (0, 255, 0)
COLUMNS = ["path", "source_path", "width", "height", "roi_x1", "roi_y1", "roi_x2", "roi_y2", "class_id", "class_name"]


def write_gtsrb_folder(folder: Path, per_class: dict[str, int] | None = None, seed: int = 0) -> Path:
    """``per_class`` images of every class per split (default: train 6, test 3), sizes 26-60 px, ROI boxes a border
    of 10 % (at least 3 px) inside the image, rows stored class by class as in the real set."""
    rng = np.random.default_rng(seed)
    for split, count in (per_class or {"train": 6, "test": 3}).items():
        rows = []
        for class_id in SIGN_CLASS_IDS:
            (folder / split / str(class_id)).mkdir(parents=True, exist_ok=True)
            for number in range(count):
                rows.append(_sign(folder, split, class_id, number, rng))
        (folder / "labels").mkdir(parents=True, exist_ok=True)
        with open(folder / "labels" / f"{split}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _sign(folder: Path, split: str, class_id: int, number: int, rng: np.random.Generator) -> dict:
    width, height = (int(v) for v in rng.integers(26, 61, size=2))
    border_x, border_y = max(3, width // 10), max(3, height // 10)
    box = (border_x, border_y, width - 1 - border_x, height - 1 - border_y)  # inclusive corners, as GTSRB's
    image = Image.new("RGB", (width, height), SURROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, fill=(128, 128, 128))
    draw.ellipse(box, fill=COLOURS[SIGN_CLASS_IDS.index(class_id)])
    relative = f"{split}/{class_id}/{class_id:05d}_{number:05d}.png"
    image.save(folder / relative)
    x1, y1, x2, y2 = box
    corners = {"roi_x1": x1, "roi_y1": y1, "roi_x2": x2, "roi_y2": y2}
    size = {"width": width, "height": height}
    return {"path": relative, "source_path": relative, **size, **corners, "class_id": class_id,
            "class_name": f"class {class_id}"}  # fmt: skip
