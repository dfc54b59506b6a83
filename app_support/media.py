"""Pictures the app shows: enlarged digits, sample grids, interpolation strips and animated GIFs."""

from __future__ import annotations

import math
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

GIF_FOLDER = Path(tempfile.gettempdir()) / "zoo-app-gifs"  # the system temp dir: gradio serves files from there
GIF_MAX_AGE_S = 3600  # gradio copies a returned file into its own cache, so ours are only needed briefly


def enlarge(image: Image.Image, min_side: int) -> Image.Image:
    """Scale small images up by a whole factor (nearest neighbour, so 28x28 digits stay crisp) to reach ``min_side``."""
    factor = max(1, math.ceil(min_side / max(1, min(image.size))))
    if factor == 1:
        return image
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink (Lanczos) so neither side exceeds ``max_side``; smaller images are returned unchanged."""
    if max(image.size) <= max_side:
        return image
    factor = max_side / max(image.size)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def grid(images: list[Image.Image], columns: int | None = None, min_side: int = 0, padding: int = 2) -> Image.Image:
    """Equally sized images pasted row-major into one picture, each enlarged to at least ``min_side`` first."""
    from zoo.pipelines.images import image_grid

    images = [enlarge(image, min_side) for image in images]
    return image_grid(images, columns=columns or math.ceil(math.sqrt(len(images))), padding=padding)


def strip(images: list[Image.Image], min_side: int = 0, padding: int = 2) -> Image.Image:
    """Images side by side in one row (an interpolation path read left to right)."""
    return grid(images, columns=len(images), min_side=min_side, padding=padding)


def save_gif(frames: list[Image.Image], min_side: int = 0, frame_ms: int = 120, boomerang: bool = True) -> str:
    """Write an endlessly looping animated GIF (forth and back with ``boomerang``) and return its path."""
    if not frames:
        raise ValueError("save_gif needs at least one frame")
    frames = [enlarge(frame, min_side).convert("RGB") for frame in frames]
    if boomerang and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    GIF_FOLDER.mkdir(parents=True, exist_ok=True)
    _prune(GIF_FOLDER, GIF_MAX_AGE_S)
    path = GIF_FOLDER / f"{uuid.uuid4().hex}.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0, disposal=2)
    return str(path)


def _prune(folder: Path, max_age_s: float) -> None:
    """Delete GIFs older than ``max_age_s`` so a long-running app does not fill the disk."""
    cutoff = time.time() - max_age_s
    for old in folder.glob("*.gif"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another request pruned it first
            pass


DOWNLOAD_NAME = "zoo_download_name"  # Image.info key: the file name (without .png) the app's cache writer uses
TINY_SIDE = 64  # results smaller than this on a side are shown enlarged (nearest neighbour)
SHOWN_SIDE = 256


def _file_safe(text: Any) -> str:
    """``text`` with every run of characters outside ``A-Za-z0-9._-`` made one "-", trimmed of "-" and "."."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.")


def source_stem(source: Any) -> str:
    """A short file-name-safe stem of an upload (its file name without the suffix), or "image"."""
    raw = Path(str(source)).stem if isinstance(source, str | Path) and str(source).strip() else ""
    return _file_safe(raw)[:48] or "image"


def named(image: Image.Image, *parts: Any) -> Image.Image:
    """``image`` with its download name set: the parts joined by "-" (e.g. ``astronaut-denoise-color``), each made
    file-name safe; the app's cache writer (``gradio_patch``) names the PNG after it."""
    words = [_file_safe(part) for part in parts if part]
    image.info[DOWNLOAD_NAME] = "-".join(word for word in words if word)[:100] or "image"
    return image


def for_display(image: Image.Image) -> tuple[Image.Image, str]:
    """A tiny result (under ``TINY_SIDE`` pixels on a side, e.g. a 28x28 digit) enlarged by a whole factor with
    nearest neighbour to about ``SHOWN_SIDE``, and a sentence with its true size; other images as they are, and ""."""
    if min(image.size) >= TINY_SIDE:
        return image, ""
    shown = enlarge(image, SHOWN_SIDE)
    shown.info.update(image.info)
    factor = shown.width // image.width
    return shown, (
        f"The result is {image.width}x{image.height} pixels: shown and saved enlarged x{factor} (nearest neighbour, "
        f"{shown.width}x{shown.height}), each {factor}x{factor} block one pixel."
    )
