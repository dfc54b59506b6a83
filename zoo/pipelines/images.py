"""Image conversions shared by every pipeline: any PIL input in, float arrays/tensors, PIL out; padding and tiling.

Inputs are accepted as ``PIL.Image``, a path, raw bytes or a numpy array. EXIF orientation is applied, animated images
use their first frame, 16-bit and float images are scaled to [0, 1], palette/CMYK images are converted, and an alpha
channel is split off so that it can be re-attached to the output.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from zoo.errors import InputError

GRAY_MODES = {"1", "L", "LA", "La", "I", "F"}  # plus every "I;16*" mode


def is_gray(image: Image.Image) -> bool:
    return image.mode in GRAY_MODES or image.mode.startswith("I;16")


def open_image(source: Image.Image | str | os.PathLike | bytes | np.ndarray) -> Image.Image:
    """A fully decoded, upright PIL image from any supported source, or an ``InputError`` saying what is wrong."""
    if isinstance(source, np.ndarray):
        return _from_numpy(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if isinstance(source, Image.Image):
                image = source
            elif isinstance(source, bytes | bytearray):
                if not source:
                    raise InputError("the image file is empty (0 bytes)")
                image = Image.open(io.BytesIO(source))
            elif isinstance(source, str | os.PathLike):
                if os.path.getsize(source) == 0:
                    raise InputError(f"the image file {os.fspath(source)!r} is empty (0 bytes)")
                image = Image.open(source)
            else:
                raise InputError(f"expected a PIL image, a path, bytes or a numpy array, got {type(source).__name__}")
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/WebP/APNG: the first frame
            image.load()
            image = ImageOps.exif_transpose(image) or image
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(f"the image is too large to open safely ({error})") from error
    except UnidentifiedImageError as error:
        raise InputError("the file is not an image this can read (PNG, JPEG, WebP, GIF, BMP or TIFF)") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InputError(f"the image could not be decoded (truncated or corrupt?): {error}") from error
    if image.width < 1 or image.height < 1:
        raise InputError(f"the image has no pixels ({image.width}x{image.height})")
    return image


def _from_numpy(array: np.ndarray) -> Image.Image:
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape:
        raise InputError(f"a numpy image must be [H,W], [H,W,1], [H,W,3] or [H,W,4]; got shape {array.shape}")
    if array.dtype != np.uint8:
        values = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        array = np.clip(values * scale + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """(image without alpha, alpha or None); palette images with transparency count as having alpha."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        alpha = image.getchannel("A")
        return image.convert("L" if image.mode in ("LA", "La") else "RGB"), alpha
    return image, None


def to_array(image: Image.Image, channels: int) -> np.ndarray:
    """Float32 array in [0, 1]: [H, W] for ``channels=1``, [H, W, 3] for ``channels=3``."""
    if image.mode.startswith("I;16") or image.mode == "I":
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        gray = np.clip(values / peak, 0.0, 1.0).astype(np.float32)
        return gray if channels == 1 else np.repeat(gray[..., None], 3, axis=2)
    if image.mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        gray = values if values.max(initial=0) <= 1.0 else values / 255.0
        gray = np.clip(gray, 0.0, 1.0).astype(np.float32)
        return gray if channels == 1 else np.repeat(gray[..., None], 3, axis=2)
    image, _ = split_alpha(image)
    target = "L" if channels == 1 else "RGB"
    if image.mode != target:
        image = image.convert(target)
    return np.asarray(image, dtype=np.float32) / 255.0


def from_array(array: np.ndarray, alpha: Image.Image | None = None) -> Image.Image:
    """PIL image (L or RGB, with alpha re-attached when given) from a float array in [0, 1]."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    image = Image.fromarray(np.clip(np.rint(np.nan_to_num(array) * 255.0), 0, 255).astype(np.uint8))
    if alpha is not None:
        if alpha.size != image.size:
            alpha = alpha.resize(image.size, Image.Resampling.BICUBIC)
        image.putalpha(alpha)
    return image


def to_tensor(array: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """[1, C, H, W] float tensor from an [H, W] or [H, W, C] array."""
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    tensor = tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    return tensor[None].float().to(device)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """[H, W] or [H, W, C] float array from a [1, C, H, W] tensor."""
    array = tensor.detach().float().cpu()[0].numpy()
    return array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)


# ------------------------------------------------------------------------------------------------ padding & tiling
def pad_to_multiple(x: torch.Tensor, multiple: int, minimum: int = 0) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad [N,C,H,W] on the bottom/right to a multiple of ``multiple`` (at least ``minimum``); returns (padded, (H, W)).

    Reflect padding where the image is large enough, replicate otherwise (reflect needs pad < size).
    """
    height, width = x.shape[-2:]
    target_h = max(math.ceil(height / multiple) * multiple, minimum)
    target_w = max(math.ceil(width / multiple) * multiple, minimum)
    pad_h, pad_w = target_h - height, target_w - width
    if pad_h or pad_w:
        while pad_h or pad_w:  # reflect in steps when the pad exceeds the image (tiny inputs)
            step_h, step_w = min(pad_h, x.shape[-2] - 1), min(pad_w, x.shape[-1] - 1)
            if (step_h <= 0 and pad_h) or (step_w <= 0 and pad_w):
                x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
                break
            x = F.pad(x, (0, step_w, 0, step_h), mode="reflect")
            pad_h, pad_w = pad_h - step_h, pad_w - step_w
    return x, (height, width)


def run_padded(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, multiple: int, scale: int = 1, minimum: int = 0
) -> torch.Tensor:
    """Pad ``x`` to the network's multiple, apply ``fn``, crop the output back (``scale`` x the input size)."""
    padded, (height, width) = pad_to_multiple(x, multiple, minimum)
    return fn(padded)[..., : height * scale, : width * scale]


def run_in_tiles(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    tile: int,
    margin: int,
    multiple: int = 1,
    scale: int = 1,
    progress: Callable[[float], None] | None = None,
) -> torch.Tensor:
    """Apply a fully convolutional ``fn`` tile by tile with the same result as on the whole image, in bounded memory.

    Each ``tile`` x ``tile`` block is computed with ``margin`` pixels of real image context around it (a margin at
    least the network's receptive radius makes the block's output exact) and only the block is kept: no blending,
    so no seams. Context windows start on the network's grid (multiples of ``multiple``, e.g. FFDNet's 2x2 pixel
    unshuffle) and are reflect-padded like the whole image, so they compute the very same function. Inputs no larger
    than one tile run in one piece. ``scale``: the output is ``scale`` x the input (super-resolution).
    """
    height, width = x.shape[-2:]
    if height <= tile and width <= tile:
        return run_padded(fn, x, multiple, scale)
    out = None
    blocks = [(top, left) for top in range(0, height, tile) for left in range(0, width, tile)]
    for done, (top, left) in enumerate(blocks, start=1):
        bottom, right = min(top + tile, height), min(left + tile, width)
        top0, left0 = max(top - margin, 0), max(left - margin, 0)
        top0, left0 = top0 - top0 % multiple, left0 - left0 % multiple
        piece = run_padded(
            fn, x[..., top0 : min(bottom + margin, height), left0 : min(right + margin, width)], multiple, scale
        )
        if out is None:
            out = torch.empty(
                (x.shape[0], piece.shape[1], height * scale, width * scale), dtype=piece.dtype, device=x.device
            )
        rows, cols = (
            slice((top - top0) * scale, (bottom - top0) * scale),
            slice((left - left0) * scale, (right - left0) * scale),
        )
        out[..., top * scale : bottom * scale, left * scale : right * scale] = piece[..., rows, cols]
        if progress is not None:
            progress(done / len(blocks))
    return out


def image_grid(
    images: list[Image.Image], columns: int | None = None, padding: int = 2, background: int | tuple[int, ...] = 0
) -> Image.Image:
    """Paste equally sized images into one grid image (row-major)."""
    if not images:
        raise InputError("image_grid needs at least one image")
    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    width, height = images[0].size
    mode = "RGB" if any(im.mode not in ("L", "1") for im in images) else "L"
    fill = background if mode == "L" or isinstance(background, tuple) else (background,) * 3
    grid = Image.new(mode, (columns * width + (columns + 1) * padding, rows * height + (rows + 1) * padding), fill)
    for index, image in enumerate(images):
        row, col = divmod(index, columns)
        box = (padding + col * (width + padding), padding + row * (height + padding))
        grid.paste(image.convert(mode).resize((width, height)), box)
    return grid


def tensors_to_images(batch: torch.Tensor) -> list[Image.Image]:
    """[N, C, H, W] in [0, 1] -> N PIL images (L for one channel, RGB for three), e.g. for sample grids."""
    return [from_array(to_numpy(item[None])) for item in batch.detach().float().cpu().clamp(0, 1)]
