"""Input normalisation for the app: whatever a visitor uploads becomes an upright 8-bit L or RGB image of a bounded
size, or a ``zoo.InputError`` whose message is a sentence the visitor can act on.

- decoding, EXIF orientation, first frame of animations: ``zoo.pipelines.images.open_image``;
- modes: 16-bit/32-bit gray -> 8-bit L; palette, CMYK, YCbCr, Lab, HSV -> RGB; transparency flattened onto white;
- size: inputs with more than ``max_pixels`` (``ZOO_APP_MAX_PIXELS``, default 4 megapixels) are downscaled, with a
  notice; images beyond Pillow's decompression-bomb limit (about 89 megapixels) are refused before decoding; images
  smaller than ``MIN_SIDE`` pixels on a side are refused.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from zoo.errors import InputError

MIN_SIDE = 8


@dataclass
class Prepared:
    """A normalised input and what happened to it on the way (shown to the visitor)."""

    image: Image.Image
    original_size: tuple[int, int]
    notices: list[str] = field(default_factory=list)
    preview: str = ""  # what the preview size did to the image (empty: worked at the uploaded size)


def megapixels(pixels: float) -> str:
    return f"{pixels / 1e6:.1f} megapixels"


def _peek(source: Any) -> tuple[tuple[int, int], int] | None:
    """(width and height, frame count) from the file header without decoding, or None when unreadable here."""
    if isinstance(source, Image.Image):
        return source.size, getattr(source, "n_frames", 1)
    if not isinstance(source, str | os.PathLike):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(source) as image:
                return image.size, getattr(image, "n_frames", 1)
    except Exception:  # unreadable files get open_image's message
        return None


def peek_size(source: Any) -> tuple[int, int] | None:
    """Width and height from the file header (no decoding), or None when unreadable here."""
    header = _peek(source)
    return header[0] if header else None


def _refuse_bombs(size: tuple[int, int] | None) -> None:
    if size is None or Image.MAX_IMAGE_PIXELS is None:
        return
    width, height = size
    if width * height > Image.MAX_IMAGE_PIXELS:
        raise InputError(
            f"The image is {width}x{height} pixels ({megapixels(width * height)}), too large to open safely "
            f"(the limit is {megapixels(Image.MAX_IMAGE_PIXELS)}). Downscale it before uploading."
        )


def to_8bit(image: Image.Image, notices: list[str] | None = None) -> Image.Image:
    """An 8-bit ``L`` or ``RGB`` image from any Pillow mode; transparent areas are composited onto white."""
    notices = notices if notices is not None else []
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        from zoo.pipelines.images import to_array

        notices.append(f"The {image.mode} ({'16' if '16' in image.mode else '32'}-bit) image was converted to 8-bit.")
        return Image.fromarray(np.rint(to_array(image, 1) * 255.0).astype(np.uint8))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            notices.append("Transparent areas were filled with white.")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        return flat.convert("L" if image.mode in ("LA", "La") else "RGB")
    if image.mode in ("1", "L"):
        return image.convert("L")
    return image.convert("RGB")


def downscale_to(image: Image.Image, max_pixels: int) -> Image.Image:
    """The image shrunk (aspect kept, Lanczos) to at most ``max_pixels`` pixels; unchanged when already small enough."""
    pixels = image.width * image.height
    if pixels <= max_pixels:
        return image
    factor = math.sqrt(max_pixels / pixels)
    size = (max(1, math.floor(image.width * factor)), max(1, math.floor(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def load_input(source: Any, max_pixels: int, what: str = "an image", preview_pixels: int | None = None) -> Prepared:
    """Open and normalise one uploaded image (path, PIL image, bytes or numpy array); with ``preview_pixels``, an
    image larger than that is downscaled to it too, and ``Prepared.preview`` says so.

    >>> load_input("examples/denoise/house.png", max_pixels=4_000_000).image.mode  # doctest: +SKIP
    'RGB'
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise InputError(f"Upload {what} first (or pick one of the examples).")
    from zoo.pipelines.images import open_image

    header = _peek(source)
    _refuse_bombs(header[0] if header else None)
    try:
        image = open_image(source)
    except InputError as error:
        raise InputError(f"The uploaded file could not be used: {error}.") from error
    notices: list[str] = []
    frames = header[1] if header else 1
    if frames > 1:
        notices.append(f"The image is animated ({frames} frames); the first frame is used.")
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise InputError(f"The image is only {width}x{height} pixels; this app needs at least {MIN_SIDE}x{MIN_SIDE}.")
    image = to_8bit(image, notices)
    if width * height > max_pixels:
        image = downscale_to(image, max_pixels)
        notices.append(
            f"The image is {width}x{height} ({megapixels(width * height)}), above this app's limit of "
            f"{megapixels(max_pixels)}; it was downscaled to {image.width}x{image.height}."
        )
    prepared = Prepared(image=image, original_size=(width, height), notices=notices)
    if preview_pixels and image.width * image.height > preview_pixels:
        small = downscale_to(image, preview_pixels)
        prepared.preview = (
            f"Preview: your {width}x{height} image was worked on at {small.width}x{small.height}; the 'at full "
            "resolution' button works on the whole image (slower)."
        )
        prepared.image = small
    return prepared


def editor_image(value: Any) -> Any:
    """The picture of an ImageEditor/Sketchpad value (``{"background", "layers", "composite"}``): its composite,
    else its background; other values (a path, a PIL image) are returned as they are."""
    if isinstance(value, dict):
        composite = value.get("composite")
        return composite if composite is not None else value.get("background")
    return value


def digit_from_drawing(image: Image.Image) -> Image.Image:
    """A 28x28 white-on-black digit, MNIST style, from a drawing or a photo of one: ``zoo.digits.prepare_digit``
    after the app's 8-bit normalisation."""
    from zoo.digits import prepare_digit

    return prepare_digit(to_8bit(image))
