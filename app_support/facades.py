"""The CMP facade label palette used by pix2pix's ``facades`` set, snapping painted label maps to it, and a procedural
facade label-map generator (for the app's examples and the painter's starting canvas).

How the palette was derived (``measure_palette`` repeats it; tests/app/test_facades.py checks it when the data is
present): the right half (256x256, the label map) of each of the 400 files of ``../shared/data/facades/train`` was
read; only pixels in flat 7x7 neighbourhoods were kept (JPEG ringing at region borders left out); those pixels fall
into 12 tight clusters, whose median colours are below. They are MATLAB ``jet`` sampled at 12 evenly spaced points,
in the order of the CMP Facade Database's label indices 1-12. The names were checked against the photos: the darkest
red spans ground-floor shop fronts, the light blue at the bottom is doors, red verticals are pillars, lime strips in
front of windows are balconies, thin green bars under windows are sills, yellow beside windows are blinds (shutters).
Background and facade cover about 22% and 36% of the pixels, windows 13%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# (CMP label index, name, RGB as found in the pix2pix facades files)
FACADE_CLASSES: tuple[tuple[int, str, tuple[int, int, int]], ...] = (
    (1, "background", (0, 0, 222)),
    (2, "facade", (0, 48, 255)),
    (3, "window", (0, 128, 255)),
    (4, "door", (1, 207, 255)),
    (5, "cornice", (32, 255, 224)),
    (6, "sill", (112, 254, 142)),
    (7, "balcony", (192, 255, 63)),
    (8, "blind", (255, 240, 1)),
    (9, "deco", (255, 159, 0)),
    (10, "molding", (255, 80, 0)),
    (11, "pillar", (254, 0, 0)),
    (12, "shop", (174, 0, 1)),
)
COLOURS = {name: rgb for _, name, rgb in FACADE_CLASSES}
_PALETTE = np.array([rgb for _, _, rgb in FACADE_CLASSES], dtype=np.int32)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def palette_hex() -> list[str]:
    """The 12 label colours as ``#rrggbb`` strings, in label order (an ImageEditor brush palette)."""
    return [hex_colour(rgb) for _, _, rgb in FACADE_CLASSES]


def snap_to_palette(image: Image.Image) -> Image.Image:
    """Each pixel replaced by the nearest label colour: painted strokes have anti-aliased edges and uploads may be
    JPEG-compressed, but the model was trained on (almost) pure label colours."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
    distance = ((rgb[:, :, None, :] - _PALETTE[None, None]) ** 2).sum(axis=-1)
    return Image.fromarray(_PALETTE[distance.argmin(axis=-1)].astype(np.uint8))


def facade_label_map(seed: int = 0, size: int = 256) -> Image.Image:
    """A plausible facade label map drawn from ``seed``: a facade with floors of windows (sills, sometimes blinds,
    balconies and decorations), moldings between floors, a cornice, a ground floor with shops or a door, pillars."""
    rng = np.random.default_rng(seed)
    labels = np.full((size, size), 1, dtype=np.int64)  # background

    def fill(top: float, left: float, bottom: float, right: float, label: int) -> None:
        t, b = (int(np.clip(round(v), 0, size)) for v in (top, bottom))
        lft, r = (int(np.clip(round(v), 0, size)) for v in (left, right))
        labels[t:b, lft:r] = label

    index = {name: number for number, name, _ in FACADE_CLASSES}
    margin = rng.uniform(0.0, 0.06) * size
    roof = rng.uniform(0.02, 0.14) * size
    fill(roof, margin, size, size - margin, index["facade"])
    fill(roof, margin, roof + 0.03 * size, size - margin, index["cornice"])
    ground = size - rng.uniform(0.18, 0.26) * size
    floors = int(rng.integers(3, 6))
    columns = int(rng.integers(3, 7))
    floor_height = (ground - roof - 0.04 * size) / floors
    column_width = (size - 2 * margin) / columns
    blinds, balconies, deco = rng.random() < 0.4, rng.random() < 0.5, rng.random() < 0.4
    for floor in range(floors):
        top = roof + 0.04 * size + floor * floor_height
        if floor:
            fill(top - 0.012 * size, margin, top + 0.008 * size, size - margin, index["molding"])
        for column in range(columns):
            left = margin + column * column_width
            w_left, w_right = left + 0.3 * column_width, left + 0.7 * column_width
            w_top, w_bottom = top + 0.22 * floor_height, top + 0.8 * floor_height
            if deco:
                fill(w_top - 0.1 * floor_height, w_left, w_top - 0.02 * floor_height, w_right, index["deco"])
            fill(w_top, w_left, w_bottom, w_right, index["window"])
            if blinds:
                fill(w_top, w_left - 0.12 * column_width, w_bottom, w_left, index["blind"])
                fill(w_top, w_right, w_bottom, w_right + 0.12 * column_width, index["blind"])
            if balconies and floor % 2 == 1:
                fill(w_bottom - 0.25 * floor_height, w_left - 0.08 * column_width, w_bottom + 0.04 * floor_height,
                     w_right + 0.08 * column_width, index["balcony"])  # fmt: skip
            else:
                fill(w_bottom, w_left - 0.04 * column_width, w_bottom + 0.06 * floor_height,
                     w_right + 0.04 * column_width, index["sill"])  # fmt: skip
    fill(ground - 0.015 * size, margin, ground + 0.01 * size, size - margin, index["molding"])
    door = int(rng.integers(0, columns))
    for column in range(columns):
        left = margin + column * column_width
        if column == door:
            fill(ground + 0.3 * (size - ground), left + 0.25 * column_width, size, left + 0.75 * column_width,
                 index["door"])  # fmt: skip
        else:
            fill(ground + 0.2 * (size - ground), left + 0.12 * column_width, size, left + 0.88 * column_width,
                 index["shop"])  # fmt: skip
        if rng.random() < 0.5:
            fill(ground + 0.05 * size, left - 0.03 * column_width, size, left + 0.05 * column_width, index["pillar"])
    return Image.fromarray(_PALETTE[labels - 1].astype(np.uint8))


def measure_palette(folder: str | Path, limit: int | None = None) -> dict[str, tuple[int, int, int]]:
    """Median colour of each label class in the label halves of a pix2pix facades folder (how ``FACADE_CLASSES``
    was derived): flat pixels only, each assigned to the nearest palette colour."""
    from PIL import ImageFilter

    files = sorted(Path(folder).glob("*.jpg"))[:limit]
    found: list[list[np.ndarray]] = [[] for _ in FACADE_CLASSES]
    for path in files:
        with Image.open(path) as pair:
            half = pair.convert("RGB").crop((pair.width // 2, 0, pair.width, pair.height))
        rgb = np.asarray(half, dtype=np.int32)
        spread = np.asarray(half.filter(ImageFilter.MaxFilter(7)), dtype=np.int32) - np.asarray(
            half.filter(ImageFilter.MinFilter(7)), dtype=np.int32
        )
        flat = rgb[spread.max(axis=-1) < 24]
        nearest = ((flat[:, None, :] - _PALETTE[None]) ** 2).sum(-1).argmin(-1)
        for k in range(len(FACADE_CLASSES)):
            found[k].append(flat[nearest == k])
    measured = {}
    for (_, name, _), pixels in zip(FACADE_CLASSES, found, strict=True):
        stacked = np.concatenate(pixels) if pixels else np.zeros((0, 3))
        if len(stacked):
            measured[name] = tuple(int(v) for v in np.median(stacked, axis=0))
    return measured
