"""Bring any picture of a digit to the MNIST convention that the digit models were trained on.

MNIST digits are white on black, their strokes scaled to fit a 20x20 box and centred by their centre of mass in a
28x28 frame. A drawing (dark on light, any size, off-centre) fed to a digit model as it is gives wrong answers without
any error: every drawing encodes to about the same latent. ``prepare_digit`` does what MNIST did; the digit pipelines
that read images (``VAEPipeline.encode`` / ``interpolate``, ``AutoencoderPipeline``, ``ClassifierPipeline`` of the
``mnist`` models) apply it to every input that is not already in that form (``is_mnist_form``), unless called with
``prepare=False``. The digit denoiser and upscaler (``denoise-mnist``, ``superres-mnist``, ``superres-fashion``) keep
the picture's framing, so they only invert a dark-on-light input (``is_dark_on_light``) in and their result back out
(``prepare=False`` turns that off too).

>>> from PIL import Image, ImageFilter
>>> from zoo.digits import prepare_digit
>>> prepare_digit(Image.open("examples/vae/digit_3.png")).size  # doctest: +SKIP
(28, 28)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from zoo.errors import InputError

DIGIT_SIZE, DIGIT_BOX = 28, 20  # MNIST: digits fit a 20x20 box, centred by mass in 28x28
# MNIST strokes are about 2 pixels wide at 28x28 (median 1.8 over the test set, measured as 2 x area / perimeter of
# the pixels above 127); a marker or a bold font gives strokes twice that, which the models read as another digit.
STROKE_WIDTH, MAX_STROKE_WIDTH = 2.2, 2.8


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary ink mask in pixels: 2 x area / perimeter (exact for long thin strokes)."""
    perimeter = (mask[:, 1:] != mask[:, :-1]).sum() + (mask[1:] != mask[:-1]).sum()
    return float(2.0 * mask.sum() / max(perimeter, 1))


def _border(gray: np.ndarray) -> np.ndarray:
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def is_mnist_form(gray: np.ndarray, size: int = DIGIT_SIZE) -> bool:
    """True for a ``size`` x ``size`` [0, 1] gray array with a dark border (white strokes on black), as MNIST."""
    return gray.shape == (size, size) and float(_border(gray).mean()) < 0.25


DIGIT_DATASETS = ("mnist", "fashion-mnist")  # pipelines with options["dataset"] among these read MNIST-form images


def is_dark_on_light(gray: np.ndarray) -> bool:
    """True for a [0, 1] gray array whose border is light: a drawing or a scan (dark strokes on paper), the opposite
    of MNIST's white on black. A digit denoiser or upscaler inverts such an image in and its result back out."""
    return float(_border(gray).mean()) > 0.5


def prepare_digit(image: Any) -> Image.Image:
    """A 28x28 white-on-black L image, MNIST style, from a drawing or a photo of a digit (any mode and size).

    Dark-on-light drawings (a light border) are inverted; a gray paper background becomes black; the strokes are
    cropped, thinned when they are much bolder than MNIST's pen (``STROKE_WIDTH``), scaled to fit a 20x20 box and
    centred by their centre of mass. An empty drawing is an ``InputError``.
    """
    from zoo.pipelines.images import open_image, to_array

    gray = to_array(open_image(image), 1).astype(np.float32)
    if gray.ndim == 3:
        gray = gray[..., 0]
    if _border(gray).mean() > 0.5:
        gray = 1.0 - gray
    gray = np.clip(gray - np.median(_border(gray)), 0.0, 1.0)
    if gray.max() < 0.1:
        raise InputError("The drawing is empty: draw a digit (white on black or dark on light) or upload one.")
    rows, cols = np.nonzero(gray > 0.1 * gray.max())
    crop = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = DIGIT_BOX / max(crop.shape)
    width = stroke_width(crop > 0.5 * crop.max())
    if width * scale > MAX_STROKE_WIDTH:  # thin bold strokes to MNIST's width by a grey-level erosion, then recrop
        # capped where the filter covers the whole crop (a filled block): what a larger one gave, without its error
        radius = min(round((width - STROKE_WIDTH / scale) / 2), min(crop.shape) // 2 + 1)
        eroded = Image.fromarray((crop * 255).astype(np.uint8)).filter(ImageFilter.MinFilter(2 * radius + 1))
        thinned = np.asarray(eroded, dtype=np.float32) / 255.0
        if thinned.max() >= 0.1:
            rows, cols = np.nonzero(thinned > 0.1 * thinned.max())
            crop = thinned[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
            scale = DIGIT_BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(
        Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS), dtype=np.float32
    )
    total = small.sum() or 1.0
    cy = float((small.sum(axis=1) * np.arange(small.shape[0])).sum() / total)
    cx = float((small.sum(axis=0) * np.arange(small.shape[1])).sum() / total)
    top = int(np.clip(round(DIGIT_SIZE / 2 - cy), 0, DIGIT_SIZE - small.shape[0]))
    left = int(np.clip(round(DIGIT_SIZE / 2 - cx), 0, DIGIT_SIZE - small.shape[1]))
    canvas = np.zeros((DIGIT_SIZE, DIGIT_SIZE), dtype=np.float32)
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
