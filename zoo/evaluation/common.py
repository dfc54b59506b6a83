"""What every protocol shares: the seed, and saving figures next to a checkpoint for its card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEED = 0

# A protocol: (pipe, data_dir=None, limit=None, folder=None) -> (records, notes, images), where images are
# [{"alt": ..., "path": "images/<name>.png"}] written into folder/images when a folder is given.


def save_image(image: Any, folder: Path | None, name: str, alt: str) -> list[dict[str, str]]:
    if folder is None or image is None:
        return []
    (Path(folder) / "images").mkdir(parents=True, exist_ok=True)
    image.save(Path(folder) / "images" / name)
    return [{"alt": alt, "path": f"images/{name}"}]
