"""Colour hints for the app's Colorize tab, as data and as a picture (no gradio here; ``app_support/tabs/colorize.py``
wires them to the page).

A hint is ``(x, y, (r, g, b))``: a pixel of the upload as the visitor sees it (upright, before any downscaling by
the app) and a colour in 0-255. The API and the page carry hints as JSON, ``[[x, y, "#rrggbb"], ...]`` (a colour may
also be ``[r, g, b]``, ``"#rgb"`` or ``"rgb(r, g, b)"``), at most ``MAX_HINTS``. The preview shows the latest
colourisation with its longer side ``PREVIEW_SIDE`` pixels and each hint as a numbered dot; a click's pixel on it
(gradio's ``SelectData.index``: pixels of the picture the browser shows) maps back to the upload's pixel by the ratio
of their sizes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from app_support.params import quote
from zoo.errors import InputError

MAX_HINTS = 64
PREVIEW_SIDE = 512  # the preview's longer side in pixels
DOT_RADIUS = 7  # preview pixels; the page selects a hint clicked within this (plus its ring) instead of adding one
HINT_FORMAT = '[[x, y, "#rrggbb"], ...]'
Hint = tuple[float, float, tuple[int, int, int]]


def parse_colour(value: Any) -> tuple[int, int, int]:
    """``"#rrggbb"``, ``"#rgb"``, ``"rgb(r, g, b)"``/``"rgba(...)"`` or ``[r, g, b]`` -> (r, g, b) in 0-255."""
    given = value
    if isinstance(value, str):
        text = value.strip().lower()
        if re.fullmatch(r"#?[0-9a-f]{3}", text):
            return tuple(int(c * 2, 16) for c in text.lstrip("#"))
        if re.fullmatch(r"#?[0-9a-f]{6}([0-9a-f]{2})?", text):
            digits = text.lstrip("#")
            return tuple(int(digits[k : k + 2], 16) for k in (0, 2, 4))
        match = re.fullmatch(r"rgba?\(([^)]*)\)", text)
        value = match.group(1).split(",")[:3] if match else None
    try:
        rgb = [float(v) for v in value]
    except (TypeError, ValueError, OverflowError):
        rgb = []
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise InputError(f"{quote(given)} is not a colour: give '#rrggbb' or three numbers in 0-255.")
    return tuple(round(v) for v in rgb)


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def parse_hints(hints: Any, size: tuple[int, int]) -> list[Hint]:
    """Validate hints ``[[x, y, colour], ...]`` (or ``{"x", "y", "colour"}`` objects, or that list as JSON text) for
    an image of ``size`` = (width, height): a list of ``(x, y, (r, g, b))``, or an ``InputError`` sentence."""
    if isinstance(hints, str):
        try:
            hints = json.loads(hints) if hints.strip() else []
        except ValueError as error:
            raise InputError(f"Hints must be a JSON list like {HINT_FORMAT}.") from error
    if hints is None:
        return []
    if not isinstance(hints, list | tuple):
        raise InputError(f"Hints must be a list like {HINT_FORMAT}, not {type(hints).__name__}.")
    if len(hints) > MAX_HINTS:
        raise InputError(f"At most {MAX_HINTS} colour hints at a time; there are {len(hints)}. Reset some.")
    width, height = size
    parsed = []
    for number, hint in enumerate(hints, 1):
        if isinstance(hint, dict):
            hint = [hint.get("x"), hint.get("y"), hint.get("colour", hint.get("color"))]
        try:
            x, y, colour = hint
            x, y = float(x), float(y)
        except (TypeError, ValueError, OverflowError) as error:
            raise InputError(f"Hint {number} must be [x, y, colour] like {HINT_FORMAT}, not {quote(hint)}.") from error
        if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < width and 0 <= y < height):
            raise InputError(
                f"Hint {number} at ({x:g}, {y:g}) is outside the {width}x{height} image "
                f"(x from 0 to {width - 1}, y from 0 to {height - 1})."
            )
        parsed.append((x, y, parse_colour(colour)))
    return parsed


def as_json(hints: list[Hint]) -> list[list[Any]]:
    """Hints as the JSON list the API takes (whole pixels stay integers)."""
    return [[int(x) if float(x).is_integer() else x, int(y) if float(y).is_integer() else y, hex_of(rgb)]
            for x, y, rgb in hints]  # fmt: skip


def hint_list(hints: list[Hint]) -> str:
    """The hints as a numbered Markdown list, ``1. (x, y) #rrggbb``."""
    if not hints:
        return "No hints yet."
    lines = [f"{k}. ({x:g}, {y:g}) {hex_of(rgb)}" for k, (x, y, rgb) in enumerate(hints, 1)]
    head = f"**{len(hints)} of at most {MAX_HINTS} hints** (the last one takes the picker's colour):"
    return head + "\n\n" + "\n".join(lines)


def preview_size(size: tuple[int, int]) -> tuple[int, int]:
    """The preview's size: the longer side ``PREVIEW_SIDE``, the aspect ratio of ``size``."""
    scale = PREVIEW_SIDE / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def to_image(index: Any, shown: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """A click's ``SelectData.index`` (pixels of the picture the browser shows, ``shown`` = its width and height)
    -> the pixel of an image of ``size`` under it."""
    px, py = (float(v) for v in index)
    return (
        min(max(int((px + 0.5) * size[0] / shown[0]), 0), size[0] - 1),
        min(max(int((py + 0.5) * size[1] / shown[1]), 0), size[1] - 1),
    )


def draw_preview(canvas: dict, hints: list[Hint]) -> Image.Image:
    """The latest colourisation at preview size, each hint a numbered dot of its colour (the selected one, the last,
    with a yellow ring). ``canvas``: ``{"image": the colourisation (at the size the model got), "size": the upload's
    (width, height)}``, which the hints' coordinates refer to."""
    base = canvas["image"].convert("RGB")
    shown = preview_size(base.size)
    smaller = shown[0] < base.width
    picture = base.resize(shown, Image.Resampling.LANCZOS if smaller else Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=13)
    width, height = canvas["size"]
    r = DOT_RADIUS
    for number, (x, y, rgb) in enumerate(hints, 1):
        cx, cy = (x + 0.5) * shown[0] / width, (y + 0.5) * shown[1] / height
        ring = "#ffd400" if number == len(hints) else "white"
        draw.ellipse((cx - r - 2, cy - r - 2, cx + r + 2, cy + r + 2), fill=ring)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rgb, outline="black", width=2)
        draw.text((cx + r + 3, cy - r - 4), str(number), fill="white", font=font, stroke_width=2, stroke_fill="black")
    return picture
