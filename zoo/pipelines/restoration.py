"""Restoration pipelines: denoise and super-resolve (photos and 28x28 digits), PIL in, PIL out."""

from __future__ import annotations

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
    run_tiled,
    split_alpha,
    to_array,
    to_numpy,
    to_tensor,
)


def prepare(image: Any, channels: int) -> tuple[np.ndarray, Image.Image | None, bool]:
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


def probe_image(size: int = 32, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A fixed, seeded test image (smooth gradients plus noise) for golden outputs."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.1, 0.9, size, dtype=np.float32)
    base = 0.5 * (ramp[None, :] + ramp[:, None])
    noise = rng.normal(0.0, 0.1, (size, size, channels)).astype(np.float32)
    array = np.clip(base[..., None] + noise, 0.0, 1.0)
    return array[..., 0] if channels == 1 else array


class DenoisePipeline(Pipeline):
    """Remove Gaussian noise: ``pipe(image, sigma=None) -> Image``.

    ``sigma`` is the noise standard deviation on the 0-255 scale; ``None`` estimates it from the image (blind mode,
    see ``zoo.noise.estimate_sigma``). Output has the input's size and mode family. Large images are processed in
    overlapping tiles so memory stays bounded.

    >>> pipe = zoo.load("denoise-gray")  # doctest: +SKIP
    >>> clean = pipe(Image.open("noisy.png"), sigma=25)  # doctest: +SKIP
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
        if not math.isfinite(sigma) or sigma < 0 or sigma > 255:
            raise InputError(f"sigma must be between 0 and 255 (noise std on the 0-255 scale), got {sigma}")
        return min(sigma, self.max_sigma)

    def estimate_sigma(self, image: Any) -> float:
        """Blind noise-level estimate (0-255 scale) of an image, clamped to the model's range."""
        from zoo.noise import estimate_sigma

        array, _, _ = prepare(image, self.channels)
        return float(min(estimate_sigma(array), self.max_sigma))

    @torch.no_grad()
    def denoise_array(self, array: np.ndarray, sigma: float | None) -> np.ndarray:
        """Float [H,W] or [H,W,C] in [0,1] (noisy, unclipped values allowed) -> denoised float array."""
        if sigma is None and self.noise_aware:
            from zoo.noise import estimate_sigma

            sigma = min(estimate_sigma(np.clip(array, 0, 1)), self.max_sigma)
        net = self.models["model"]
        size = self.options.get("image_size")
        x = to_tensor(array, self.device)
        if size:  # fixed-size digit autoencoder: resize in, resize back
            height, width = x.shape[-2:]
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="area" if height >= size else "bilinear")
            out = net(x)
            out = torch.nn.functional.interpolate(out, size=(height, width), mode="bilinear", align_corners=False)
            return to_numpy(out.clamp(0, 1))
        level = torch.tensor([float(sigma or 0.0) / 255.0], device=self.device)
        multiple = int(getattr(net, "required_multiple", 2))
        tile = int(self.options.get("tile", 512))
        out = run_tiled(lambda t: net(t, level.expand(t.shape[0])), x, multiple=multiple, tile=tile, overlap=32)
        return to_numpy(out.clamp(0, 1))

    def __call__(self, image: Any, sigma: float | None = None) -> Image.Image:
        sigma = self.check_sigma(sigma)
        opened = open_image(image)
        if self.channels == 1 and not is_gray(opened):  # a gray model on a colour photo: each channel on its own
            array, alpha, gray = prepare(opened, 3)
            out = np.stack([self.denoise_array(array[..., c], sigma) for c in range(3)], axis=2)
        else:
            array, alpha, gray = prepare(opened, self.channels)
            out = self.denoise_array(array, sigma)
        return finish(out, alpha, gray)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        array = probe_image(32, self.channels)
        out = self.denoise_array(array, 25.0)
        return {"image": torch.from_numpy(array)}, torch.from_numpy(out)


class SuperResolutionPipeline(Pipeline):
    """Upscale by ``pipe.scale``: ``pipe(image) -> Image`` exactly ``scale`` x the input size.

    Colour networks process RGB (gray inputs are replicated and returned as L); alpha is upscaled bicubically and
    re-attached. Large inputs run in overlapping tiles.
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
        multiple = int(getattr(net, "required_multiple", 1))
        tile = int(self.options.get("tile", 256))
        out = run_tiled(
            net,
            to_tensor(array, self.device),
            multiple=multiple,
            scale=self.scale,
            tile=tile,
            overlap=16,
            progress=progress,
        )
        return to_numpy(out.clamp(0, 1))

    def __call__(self, image: Any, progress=None) -> Image.Image:
        array, alpha, gray = prepare(image, self.channels)
        out = self.upscale_array(array, progress=progress)
        if alpha is not None:
            alpha = alpha.resize((alpha.width * self.scale, alpha.height * self.scale), Image.Resampling.BICUBIC)
        return finish(out, alpha, gray)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        array = probe_image(16, self.channels)
        return {"image": torch.from_numpy(array)}, torch.from_numpy(self.upscale_array(array))
