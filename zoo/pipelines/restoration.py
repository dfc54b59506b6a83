"""Restoration pipelines: denoise and super-resolve (photos and 28x28 digits), PIL in, PIL out."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.errors import InputError
from zoo.pipelines.base import Pipeline
from zoo.pipelines.images import (
    from_array,
    is_gray,
    open_image,
    run_in_tiles,
    split_alpha,
    to_array,
    to_numpy,
    to_tensor,
)

# Blind mode estimates the noise level on a central crop of at most this many pixels a side: the estimate of a
# 4000x3000 photo then takes about a second instead of a minute, and Gaussian noise is the same everywhere.
ESTIMATE_CROP = 1024
# The smallest image the blind noise-level estimator accepts (zoo.noise.estimate_sigma needs 32x32).
ESTIMATE_MIN_SIZE = 32
# A learned strength estimator (denoise-real) reads a central crop of at most this many pixels a side: its 8x8-block
# statistics settle well before that, and a 12-megapixel photo costs no more than a 512x512 one.
STRENGTH_CROP = 512
# JPEG compresses 8x8 blocks counted from the image's top-left corner. The strength estimator (and the denoiser) learnt
# blocking on patches cut on that grid: a square read off the grid sees no blocks (on kodak24 at jpeg q20 a crop
# shifted by 4 pixels reads 0.1 where the grid-aligned one reads 12.2; the true RMS error is 11.8), so the squares it
# reads start on it.
JPEG_BLOCK = 8


# jpeg_grid_offset looks for the block grid in a central crop of at most this many pixels a side, and believes a
# phase whose mean step is this many times the mean of the other phases' (bsds500/test cropped by 3 and 5 pixels
# after JPEG: median 1.33 at q50, 1.18 at q70, 1.09 at q80, 1.03 at q90; the same photos under noise alone, no JPEG:
# 1.06 at most, and a phase read from noise shifts the denoiser's grid for nothing, -0.1 dB on such a photo).
GRID_CROP = 1024
GRID_CONTRAST = 1.1
# ... and by at least this much (0-1 scale): a smooth drawing's tiny steps can differ by chance by 10% (by 0.01 / 255;
# bsds500/test at jpeg q70, where the contrast passes: 0.9 / 255 and more).
GRID_STEP = 0.25 / 255
# A side shorter than this gives no phase: white noise (sigma 25) on 32x32 pixels beat the other phases by up to 22%
# by chance, on 64x64 by up to 6.5% (3 draws each).
GRID_MIN = 64


def jpeg_grid_offset(array: np.ndarray) -> tuple[int, int]:
    """``(rows, cols)`` in 0-7: where the 8x8 block grid of a JPEG'd float ``[H, W(, C)]`` image starts (block
    boundaries at rows ``rows + 8k``, columns ``cols + 8k``), found as the phase of the largest mean step between
    neighbouring pixels. A photo JPEG'd as it is gives (0, 0); a crop or screenshot of one usually does not. A side
    without a clear phase (no blocking; under ``GRID_MIN`` pixels) gives 0."""
    height, width = array.shape[:2]
    top, left = (max(height - GRID_CROP, 0) // 2) // JPEG_BLOCK, (max(width - GRID_CROP, 0) // 2) // JPEG_BLOCK
    crop = array[top * JPEG_BLOCK : top * JPEG_BLOCK + GRID_CROP, left * JPEG_BLOCK : left * JPEG_BLOCK + GRID_CROP]
    gray = crop.mean(axis=2) if crop.ndim == 3 else crop  # the crop only: a 12-megapixel photo's mean took 0.17 s

    def phase(steps: np.ndarray) -> int:  # steps[i]: mean step between pixel i and i + 1 along one axis
        if steps.size < GRID_MIN:
            return 0
        boundary = (np.arange(steps.size) + 1) % JPEG_BLOCK
        means = np.array([steps[boundary == p].mean() for p in range(JPEG_BLOCK)])
        best = int(np.argmax(means))
        others = (means.sum() - means[best]) / (JPEG_BLOCK - 1)
        clear = means[best] > GRID_CONTRAST * others and means[best] - others > GRID_STEP
        return best if clear else 0

    rows = phase(np.abs(np.diff(gray, axis=0)).mean(axis=1))
    cols = phase(np.abs(np.diff(gray, axis=1)).mean(axis=0))
    return rows, cols


def tile_grid(height: int, width: int, tile: int, align: int = 1) -> list[tuple[int, int]]:
    """Top-left corners of the whole ``tile`` x ``tile`` squares that fit a ``height`` x ``width`` area, as a grid
    centred in it (the leftover rows and columns split between the sides, the first corner moved up and left to a
    multiple of ``align``); empty when a side is under ``tile``."""
    rows, cols = height // tile, width // tile
    top, left = (height - rows * tile) // 2, (width - cols * tile) // 2
    top, left = top - top % align, left - left % align
    return [(top + i * tile, left + j * tile) for i in range(rows) for j in range(cols)]


def prepare_array(image: Any, channels: int) -> tuple[np.ndarray, Image.Image | None, bool]:
    """(float array with the network's channel count, alpha or None, whether the input was gray)."""
    image = open_image(image)
    gray = is_gray(image)
    image, alpha = (image, None) if image.mode in ("I", "F") or image.mode.startswith("I;16") else split_alpha(image)
    return to_array(image, channels), alpha, gray


def finish(array: np.ndarray, alpha: Image.Image | None, gray: bool) -> Image.Image:
    """Back to PIL in the input's mode family: gray stays L (LA with alpha), colour stays RGB (RGBA)."""
    if gray and array.ndim == 3:
        array = array @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return from_array(array, alpha)


def digit_polarity(pipe: Pipeline, array: np.ndarray, prepare: bool) -> bool:
    """True when a digit model (``options["dataset"]`` in ``zoo.digits.DIGIT_DATASETS``) is given a dark-on-light
    picture, which it must see inverted (MNIST is white on black); the caller inverts the result back."""
    from zoo.digits import DIGIT_DATASETS, is_dark_on_light

    if not prepare or pipe.options.get("dataset") not in DIGIT_DATASETS:
        return False
    gray = array if array.ndim == 2 else array.mean(axis=2)
    return is_dark_on_light(gray)


def probe_image(size: int = 32, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A fixed, seeded test image (smooth gradients plus noise) for golden outputs."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.1, 0.9, size, dtype=np.float32)
    base = 0.5 * (ramp[None, :] + ramp[:, None])
    noise = rng.normal(0.0, 0.1, (size, size, channels)).astype(np.float32)
    array = np.clip(base[..., None] + noise, 0.0, 1.0)
    return array[..., 0] if channels == 1 else array


def receptive_radius(net: torch.nn.Module, default: int = 32) -> int:
    """How many input pixels on each side influence one output pixel (for a super-resolver: low-resolution pixels).

    The network's own ``receptive_radius`` (FFDNet, DRUNet, SuperResNet compute it from their config); other
    networks get ``default``.
    """
    return int(getattr(net, "receptive_radius", default))


def fold_batch_norm(net: torch.nn.Module) -> torch.nn.Module:
    """An inference copy of ``net`` with every BatchNorm2d that follows a Conv2d folded into that convolution.

    Same function (to float rounding), ~10% faster on a CPU for FFDNet (one pass over the activations less per
    layer). Made per call: copying a denoiser costs about a millisecond, and a copy never goes stale when the
    pipeline's weights change.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    if net.training or not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()):
        return net
    folded = copy.deepcopy(net)
    for module in folded.modules():
        if not isinstance(module, torch.nn.Sequential):
            continue
        for index in range(len(module) - 1):
            conv, norm = module[index], module[index + 1]
            if isinstance(conv, torch.nn.Conv2d) and isinstance(norm, torch.nn.BatchNorm2d):
                module[index] = fuse_conv_bn_eval(conv, norm)
                module[index + 1] = torch.nn.Identity()
    return folded


def estimate_noise_level(array: np.ndarray, max_sigma: float = 255.0) -> float:
    """Blind noise-level estimate (0-255 scale) of a [0, 1] image, clamped to ``[0, max_sigma]``.

    Liu et al.'s weak-texture patch method (``zoo.noise.estimate_sigma``) on a central crop of at most
    ``ESTIMATE_CROP`` pixels a side, colour images as the mean of their channels. Raises ``InputError`` for images
    smaller than 32x32, where no estimate can be trusted: pass ``sigma`` explicitly. The array is used as given: a
    float noisy image that was never clipped (the evaluation protocol) gives an unbiased estimate; the clipping of a
    uint8 photo at 0 and 255 makes strong noise read lower (about -10% at sigma 50 on a BSD68 image).
    """
    from zoo.noise import estimate_sigma

    height, width = array.shape[:2]
    if min(height, width) < ESTIMATE_MIN_SIZE:
        raise InputError(
            f"the image is {width}x{height}: too small to estimate its noise level (needs at least "
            f"{ESTIMATE_MIN_SIZE}x{ESTIMATE_MIN_SIZE}); pass sigma= (noise std on the 0-255 scale) explicitly"
        )
    top, left = max((height - ESTIMATE_CROP) // 2, 0), max((width - ESTIMATE_CROP) // 2, 0)
    crop = array[top : top + ESTIMATE_CROP, left : left + ESTIMATE_CROP]
    return float(min(max(estimate_sigma(crop), 0.0), max_sigma))


class DenoisePipeline(Pipeline):
    """Remove Gaussian noise: ``pipe(image, sigma=None) -> Image``.

    ``sigma`` is the noise standard deviation on the 0-255 scale (clamped to ``pipe.max_sigma``, 75 for the photo
    models); ``None`` estimates it from the image (blind mode, ``estimate_noise_level``). Output has the input's size
    and mode family: gray (L, 16-bit, LA) comes back as L (LA with its alpha), colour (RGB, palette, CMYK, RGBA) as
    RGB (RGBA with its alpha). A gray model denoises each channel of a colour photo on its own.

    Noise-level-aware photo models (FFDNet, ``options["noise_aware"]``) run on the image reflect-padded to the
    network's multiple and cropped back. Images larger than ``options["tile"]`` (512) pixels a side run tile by tile,
    each tile with ``options["margin"]`` pixels of context (default: the network's receptive radius), so memory stays
    bounded (a 4000x3000 photo needs well under 2 GB) and the result equals whole-image inference. The digit model
    (``options["image_size"]``) resizes to its fixed input size and back. With ``options["self_ensemble"]``
    (denoise-real) the network also runs on the transposed image and the two outputs are averaged (twice the time).
    With ``options["jpeg_constraint"]`` (denoise-real; keyword arguments of ``zoo.quantization.jpeg_constraint``) the
    output of a JPEG'd input is kept inside the file's quantisation cells.

    >>> pipe = zoo.load("denoise-gray")  # doctest: +SKIP
    >>> clean = pipe(Image.open("noisy.png"), sigma=25)  # doctest: +SKIP
    >>> pipe.estimate_sigma(Image.open("noisy.png"))  # doctest: +SKIP
    24.6
    """

    task = "denoise"

    @property
    def channels(self) -> int:
        return int(self.options.get("channels", 1))

    @property
    def max_sigma(self) -> float:
        return float(self.options.get("max_sigma", 75.0))

    @property
    def noise_aware(self) -> bool:
        """True for networks that take the noise level as an input (FFDNet); digit autoencoders are blind."""
        return bool(self.options.get("noise_aware", False))

    def check_sigma(self, sigma: float | None) -> float | None:
        if sigma is None:
            return None
        try:
            sigma = float(sigma)
        except (TypeError, ValueError) as error:
            raise InputError(f"sigma must be a number on the 0-255 scale or None, got {sigma!r}") from error
        if not math.isfinite(sigma) or sigma < 0 or sigma > self.max_sigma:
            raise InputError(
                f"sigma must be between 0 and {self.max_sigma:g} (noise std on the 0-255 scale, the range "
                f"{self.name or 'this model'} was trained on), got {sigma:g}; or None to estimate it"
            )
        return sigma

    @property
    def learned_strength(self) -> bool:
        """True when the checkpoint carries its own strength estimator (``denoise-real``): blind mode asks it
        instead of the white-noise estimator, and ``sigma`` means the effective strength (RMS error, 0-255)."""
        return "estimator" in self.models

    def blind_description(self) -> str:
        """One sentence on how blind mode runs, from the pipeline options (for the model card)."""
        if not self.learned_strength:
            return "Blind mode estimates the white-noise level from weak-texture patches (`estimate_noise_level`)."
        tile = int(self.options.get("strength_tile") or 0)
        crop = f"the learned estimator reads the central crop (at most {STRENGTH_CROP} pixels a side, on the JPEG grid)"
        if not tile:
            reading = f"{crop} whole"
        elif self.options.get("strength_pooling") == "geometric":
            reading = (f"{crop} in {tile}x{tile} squares and whole, and takes the geometric mean of the squares' RMS "
                       "and the whole reading")  # fmt: skip
        else:
            reading = f"{crop} in {tile}x{tile} squares and takes their RMS"
        ensemble = ("; the network also runs on the transposed image and the two outputs are averaged "
                    "(self-ensemble)") if self.options.get("self_ensemble") else ""  # fmt: skip
        jpeg = ""
        if self.options.get("jpeg_constraint"):
            slack = float(self.options["jpeg_constraint"].get("slack", 1.0))
            jpeg = (" A JPEG input (its IJG quality read from the pixels) gets its restoration kept inside the file's "
                    f"quantisation cells (`zoo.quantization.jpeg_constraint`, luminance cells narrowed to {slack:g} "
                    "of their width, 4:2:0 chroma), unless the JPEG was made from a noisy photo.")  # fmt: skip
        return f"Blind mode (the app's default): {reading}{ensemble}.{jpeg}"

    def estimate_sigma(self, image: Any) -> float:
        """Blind noise-level (or, for ``denoise-real``, strength) estimate on the 0-255 scale, clamped to the
        model's range."""
        array, _, _ = prepare_array(image, self.channels)
        return self.blind_level(array)

    @torch.no_grad()
    def strength_readings(self, array: np.ndarray, tile: int | None = None) -> np.ndarray:
        """The learned estimator's readings (0-255 scale) of a float [0, 1] array's central crop of at most
        ``STRENGTH_CROP`` pixels a side: one per ``tile`` x ``tile`` square of a centred grid, or one for the crop
        read whole (no ``tile``, or a crop smaller than one square). The crop and the squares start on the image's
        JPEG block grid (``jpeg_grid_offset``; the corner's grid when there are no blocks)."""
        from zoo.quantization import grid_crop

        crop = grid_crop(array, jpeg_grid_offset(array), STRENGTH_CROP, JPEG_BLOCK)
        crop_h, crop_w = crop.shape[:2]
        corners = tile_grid(crop_h, crop_w, tile, JPEG_BLOCK) if tile else []
        squares = [crop[y : y + tile, x : x + tile] for y, x in corners] or [crop]
        batch = torch.cat([to_tensor(square, self.device) for square in squares])
        return self.models["estimator"](batch.float()).double().cpu().numpy() * 255.0

    def blind_level(self, array: np.ndarray) -> float:
        """The level blind mode uses for a float [0, 1] array: ``estimate_noise_level``, or for a model with a learned
        estimator (``denoise-real``) the root mean square of its ``strength_readings``.

        With ``options["strength_tile"]`` (128 for the published denoise-real; docs/EVALUATION.md) the crop is read
        square by square and the RMS of the readings is the RMS error over the grid, as each reading is the RMS error
        the estimator was trained to give for a patch of that size. Read whole, a larger crop is pooled differently
        from anything seen in training and under-reads signal-dependent and mixed damage (on bsds500/test: 0.83 and
        0.85 of the true RMS error, against 0.96 and 0.97 square by square; ``tools/probes/strength_pooling.py``).
        Square by square over-reads white and correlated noise a little, where the whole reading is the better one;
        ``options["strength_pooling"] = "geometric"`` (published) takes the geometric mean of the two."""
        if not self.learned_strength:
            return estimate_noise_level(array, self.max_sigma)
        tile = int(self.options.get("strength_tile") or 0)
        level = float(np.sqrt(np.mean(np.square(self.strength_readings(array, tile)))))
        if tile and self.options.get("strength_pooling") == "geometric":
            level = float(np.sqrt(level * max(float(self.strength_readings(array)[0]), 0.0)))
        return float(min(max(level, 0.0), self.max_sigma))

    @torch.no_grad()
    def denoise_array(self, array: np.ndarray, sigma: float | None, progress=None) -> np.ndarray:
        """Float [H,W] or [H,W,C] in [0,1] (noisy, unclipped values allowed) -> denoised float array in [0, 1].
        ``progress(fraction)`` is called after each tile."""
        net = self.models["model"]
        size = self.options.get("image_size")
        x = to_tensor(array, self.device)
        if size:  # fixed-size digit autoencoder: resize in, resize back
            height, width = x.shape[-2:]
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="area" if height >= size else "bilinear")
            out = net(x)
            out = torch.nn.functional.interpolate(out, size=(height, width), mode="bilinear", align_corners=False)
            return to_numpy(out.clamp(0, 1))
        if sigma is None and self.noise_aware:
            sigma = self.blind_level(array)
        shift, grid = (0, 0), None
        if self.learned_strength:  # trained on JPEGs of its patches: the block grid must start where it learnt it
            grid = jpeg_grid_offset(array)
            shift = (-grid[0] % JPEG_BLOCK, -grid[1] % JPEG_BLOCK)
            if shift != (0, 0):  # pad up and left (mirrored) so the grid starts at the corner; cut it off after
                padding = ((shift[0], 0), (shift[1], 0), *((0, 0),) * (array.ndim - 2))
                x = to_tensor(np.pad(array, padding, "reflect"), self.device)
        level = torch.tensor([float(sigma or 0.0) / 255.0], device=self.device)
        net = fold_batch_norm(net)

        def apply(t: torch.Tensor) -> torch.Tensor:
            return net(t, level.expand(t.shape[0]))

        # self-ensemble (options["self_ensemble"]): also run the transposed image and average; a transpose keeps an
        # 8x8 JPEG grid that starts at the corner on the grid, where a flip would move it
        views = 2 if self.options.get("self_ensemble") else 1

        def tiles(t: torch.Tensor, view: int) -> torch.Tensor:
            share = None if progress is None else (lambda done: progress((view + done) / views))
            return run_in_tiles(
                apply,
                t,
                tile=int(self.options.get("tile", 512)),
                margin=int(self.options.get("margin", receptive_radius(net))),
                multiple=int(getattr(net, "required_multiple", 1)),
                progress=share,
            ).float()

        with self.autocast():
            out = tiles(x, 0)
            if views == 2:
                out = (out + tiles(x.transpose(-1, -2).contiguous(), 1).transpose(-1, -2)) / 2
        out = to_numpy(out[..., shift[0] :, shift[1] :].clamp(0, 1))
        if self.options.get("jpeg_constraint"):  # keep a JPEG's restoration inside the file's quantisation cells
            from zoo.quantization import jpeg_constraint

            offset = grid if grid is not None else jpeg_grid_offset(array)
            out, _ = jpeg_constraint(out, array, offset, **self.options["jpeg_constraint"])
        return out

    def __call__(self, image: Any, sigma: float | None = None, progress=None, prepare: bool = True) -> Image.Image:
        """``progress(fraction)``, when given, is called as the tiles of a large image are done (0 to 1). A digit
        model inverts a dark-on-light input in and its result back out, unless ``prepare=False``."""
        sigma = self.check_sigma(sigma)
        opened = open_image(image)
        channels = 3 if self.channels == 1 and not is_gray(opened) else self.channels
        array, alpha, gray = prepare_array(opened, channels)
        invert = digit_polarity(self, array, prepare)
        array = 1.0 - array if invert else array
        if channels != self.channels:  # a gray model on a colour photo: each channel on its own

            def channel(c: int) -> np.ndarray:
                share = None if progress is None else (lambda done: progress((c + done) / 3))
                return self.denoise_array(array[..., c], sigma, progress=share)

            out = np.stack([channel(c) for c in range(3)], axis=2)
        else:
            out = self.denoise_array(array, sigma, progress=progress)
        return finish(1.0 - out if invert else out, alpha, gray)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        array = probe_image(32, self.channels)
        out = self.denoise_array(array, 25.0)
        return {"image": torch.from_numpy(array)}, torch.from_numpy(out)


class SuperResolutionPipeline(Pipeline):
    """Upscale by ``pipe.scale``: ``pipe(image) -> Image`` exactly ``scale`` x the input size.

    Colour networks process RGB (gray inputs are replicated and returned as L); alpha is upscaled bicubically and
    re-attached. Inputs larger than ``options["tile"]`` (default ``1024 // scale``: 512 for x2, 256 for x4, so a tile's
    high-resolution feature maps stay near 1024x1024) pixels a side run tile by tile with
    ``options["margin"]`` pixels of context (default: the network's receptive radius), so memory stays bounded and
    the result equals whole-image inference.

    >>> pipe = zoo.load("superres-x4")  # doctest: +SKIP
    >>> large = pipe(Image.open("small.png"))  # doctest: +SKIP
    >>> large.size == (4 * small.width, 4 * small.height)  # doctest: +SKIP
    True
    """

    task = "super-resolution"

    @property
    def scale(self) -> int:
        return int(self.options.get("scale", getattr(self.models["model"].config, "scale", 2)))

    @property
    def channels(self) -> int:
        return int(self.options.get("channels", 3))

    @torch.no_grad()
    def upscale_array(self, array: np.ndarray, progress=None) -> np.ndarray:
        net = self.models["model"]
        with self.autocast():
            out = run_in_tiles(
                net,
                to_tensor(array, self.device),
                tile=int(self.options.get("tile", max(64, 1024 // self.scale))),
                margin=int(self.options.get("margin", receptive_radius(net))),
                multiple=int(getattr(net, "required_multiple", 1)),
                scale=self.scale,
                progress=progress,
            )
        return to_numpy(out.float().clamp(0, 1))

    def __call__(self, image: Any, progress=None, prepare: bool = True) -> Image.Image:
        """``progress(fraction)`` as the tiles are done. A digit model inverts a dark-on-light input in and its result
        back out, unless ``prepare=False``."""
        array, alpha, gray = prepare_array(image, self.channels)
        invert = digit_polarity(self, array, prepare)
        out = self.upscale_array(1.0 - array if invert else array, progress=progress)
        out = 1.0 - out if invert else out
        if alpha is not None:
            alpha = alpha.resize((alpha.width * self.scale, alpha.height * self.scale), Image.Resampling.BICUBIC)
        return finish(out, alpha, gray)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        array = probe_image(16, self.channels)
        return {"image": torch.from_numpy(array)}, torch.from_numpy(self.upscale_array(array))
