"""Real-world image degradations: blur, resizing, Gaussian / signal-dependent / correlated noise, JPEG, and the random
pipelines that mix them (BSRGAN's shuffled order, Real-ESRGAN's second order) for training and for the real-world
evaluation sets.

Conventions: images are float32 numpy arrays ``[H, W, C]`` (C = 1 or 3) in [0, 1]; noise levels are on the 0-255
scale; every random choice comes from the ``numpy.random.Generator`` passed in, so a pipeline is a pure function of
``(image, seed)``. The operations are cheap enough for a data loader on 2 cores (a 64x64 patch through the mixed
pipeline takes well under a millisecond to a few milliseconds).

Parameter ranges (the defaults of ``DenoiseMix`` and ``SuperResMix``, also written in the model cards):

- blur: isotropic (p 0.5) or anisotropic Gaussian kernel, standard deviations 0.2-3.0 px (SR) / 0.2-1.2 px (denoise,
  where a blur is the lens's softness, not something to undo), rotation uniform, size 2 * ceil(3 * sigma) + 1 <= 21;
- resize: area, bilinear, bicubic or Lanczos (uniform), scale factors as the pipeline says;
- Gaussian noise: sigma 1-50 (denoise: 0-75), gray noise (the same on all channels) with p 0.3, else per channel;
- Poisson-Gaussian (signal-dependent) noise: variance ``a * x + b**2`` with ``a`` log-uniform in [1e-4, 3e-2]
  (photon counts ~ 33-10,000 at white) and ``b`` 0-10 (0-255 scale);
- correlated noise: white noise blurred by a Gaussian of 0.5-1.5 px (like noise after demosaicing or resizing),
  rescaled to its target sigma 2-40, gray with p 0.3;
- JPEG: quality 10-95 (uniform), one round, or two with p 0.25 (a photo re-saved); quantises to uint8.

>>> import numpy as np
>>> from zoo.degradations import DenoiseMix
>>> clean = np.full((64, 64, 3), 0.5, dtype=np.float32)
>>> degraded, info = DenoiseMix()(clean, np.random.default_rng(0))
>>> degraded.shape, sorted(info)
((64, 64, 3), ['ops', 'strength'])
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.errors import InputError

__all__ = [
    "RESIZE_METHODS",
    "DenoiseMix",
    "SuperResMix",
    "add_correlated_noise",
    "add_gaussian_noise",
    "add_poisson_gaussian_noise",
    "blockiness",
    "blur",
    "gaussian_kernel",
    "jpeg",
    "quantize",
    "random_kernel",
    "resize",
    "strength",
]

RESIZE_METHODS: dict[str, Image.Resampling] = {
    "area": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
MAX_KERNEL = 21


def _check(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or not np.issubdtype(image.dtype, np.floating):
        raise InputError(
            f"degradations take a float [H, W, C] image in [0, 1] with C = 1 or 3, got {image.dtype} {image.shape}"
        )
    return image.astype(np.float32, copy=False)


def quantize(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the 256 levels of an 8-bit image (still float32)."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.float32) / 255.0


def strength(degraded: np.ndarray, clean: np.ndarray) -> float:
    """The degradation's effective strength: RMS of ``degraded - clean`` on the 0-255 scale (sigma for white
    Gaussian noise). What ``denoise-real`` is conditioned on and what its estimator learns to predict."""
    return float(np.sqrt(np.mean((np.asarray(degraded, np.float64) - clean) ** 2)) * 255.0)


# ------------------------------------------------------------------------------------------------------------- blur
def gaussian_kernel(sigma_x: float, sigma_y: float | None = None, theta: float = 0.0, size: int | None = None):
    """A normalised 2-D Gaussian kernel ``[size, size]`` (float32) with standard deviations ``sigma_x``, ``sigma_y``
    (pixels) along axes rotated by ``theta`` (radians). ``size`` defaults to ``2 * ceil(3 * max sigma) + 1``, capped
    at 21; it must be odd."""
    sigma_y = sigma_x if sigma_y is None else sigma_y
    if sigma_x <= 0 or sigma_y <= 0:
        raise InputError(f"blur sigmas must be positive, got {sigma_x}, {sigma_y}")
    if size is None:
        size = min(2 * math.ceil(3 * max(sigma_x, sigma_y)) + 1, MAX_KERNEL)
    if size < 1 or size % 2 == 0:
        raise InputError(f"kernel size must be odd and positive, got {size}")
    r = (size - 1) / 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * x + s * y, -s * x + c * y
    kernel = np.exp(-0.5 * ((u / sigma_x) ** 2 + (v / sigma_y) ** 2))
    return (kernel / kernel.sum()).astype(np.float32)


def random_kernel(rng: np.random.Generator, sigma_range: tuple[float, float] = (0.2, 3.0)) -> np.ndarray:
    """Isotropic (p 0.5) or anisotropic Gaussian kernel with sigmas uniform in ``sigma_range`` and a random angle."""
    low, high = sigma_range
    sigma_x = float(rng.uniform(low, high))
    if rng.random() < 0.5:
        return gaussian_kernel(sigma_x)
    return gaussian_kernel(sigma_x, float(rng.uniform(low, high)), float(rng.uniform(0, math.pi)))


def blur(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve every channel with ``kernel`` (reflect padding at the borders); same size as the input."""
    image = _check(image)
    kernel = np.asarray(kernel, dtype=np.float32)
    r = kernel.shape[0] // 2
    if r == 0:
        return image.copy()
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[:, None]  # [C, 1, H, W]
    mode = "reflect" if min(image.shape[:2]) > r else "replicate"
    x = torch.nn.functional.pad(x, (r, r, r, r), mode=mode)
    weight = torch.from_numpy(kernel[::-1, ::-1].copy())[None, None]  # a true convolution, not a correlation
    with torch.no_grad():
        out = torch.nn.functional.conv2d(x, weight)
    return np.ascontiguousarray(out[:, 0].numpy().transpose(1, 2, 0))


# ----------------------------------------------------------------------------------------------------------- resize
def resize(image: np.ndarray, size: tuple[int, int], method: str = "bicubic") -> np.ndarray:
    """Resize to ``size = (width, height)`` with PIL in float (no 8-bit rounding) by ``method`` (``RESIZE_METHODS``:
    area, bilinear, bicubic, lanczos); values may overshoot [0, 1] slightly (bicubic, Lanczos), as in a camera."""
    image = _check(image)
    if method not in RESIZE_METHODS:
        raise InputError(f"unknown resize method {method!r}; use one of {', '.join(RESIZE_METHODS)}")
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise InputError(f"resize needs a positive size, got {size}")
    channels = [
        np.asarray(Image.fromarray(image[..., c], mode="F").resize((width, height), RESIZE_METHODS[method]))
        for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=2).astype(np.float32)


# ------------------------------------------------------------------------------------------------------------ noise
def add_gaussian_noise(image: np.ndarray, sigma255: float, rng: np.random.Generator, gray: bool = False):
    """White Gaussian noise of std ``sigma255 / 255``; ``gray``: the same noise on every channel (luminance noise)."""
    image = _check(image)
    shape = (*image.shape[:2], 1) if gray else image.shape
    return image + rng.normal(0.0, sigma255 / 255.0, shape).astype(np.float32)


def add_poisson_gaussian_noise(image: np.ndarray, a: float, b255: float, rng: np.random.Generator):
    """Signal-dependent sensor noise: variance ``a * x + (b255 / 255) ** 2`` at intensity ``x`` (the usual Gaussian
    approximation of shot noise ``a`` plus read noise ``b``); brighter pixels get more noise, as in a camera raw."""
    image = _check(image)
    std = np.sqrt(a * np.clip(image, 0.0, 1.0) + (b255 / 255.0) ** 2)
    return image + std * rng.standard_normal(image.shape).astype(np.float32)


def add_correlated_noise(
    image: np.ndarray, sigma255: float, correlation: float, rng: np.random.Generator, gray: bool = False
):
    """Spatially correlated Gaussian noise: white noise blurred by a Gaussian of ``correlation`` pixels, rescaled to
    std ``sigma255 / 255`` (grain a few pixels wide, like a phone's noise after demosaicing and denoising)."""
    image = _check(image)
    channels = 1 if gray else image.shape[2]
    noise = rng.standard_normal((*image.shape[:2], channels)).astype(np.float32)
    if correlation > 0:
        kernel = gaussian_kernel(correlation)
        noise = blur(noise, kernel)
        noise /= float(np.sqrt((kernel**2).sum()))  # back to unit variance (exact for stationary white noise)
    return image + noise * (sigma255 / 255.0)


# ------------------------------------------------------------------------------------------------------------- JPEG
def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Save as JPEG at ``quality`` (1-95, PIL's scale, 4:2:0 chroma subsampling for colour) and decode again: clips,
    quantises to 8 bits and adds the codec's blocks and ringing."""
    image = _check(image)
    quality = int(quality)
    if not 1 <= quality <= 95:
        raise InputError(f"JPEG quality must be 1-95, got {quality}")
    uint8 = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    pil = Image.fromarray(uint8[..., 0] if uint8.shape[2] == 1 else uint8)
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    decoded = np.asarray(Image.open(buffer), dtype=np.float32) / 255.0
    return decoded[..., None] if decoded.ndim == 2 else decoded


def blockiness(image: np.ndarray) -> float:
    """How much stronger the luminance steps are across the 8x8 JPEG grid than inside the blocks: the mean absolute
    difference between neighbours at columns/rows 8k-1 | 8k over the same at every other position (1.0: no blocks)."""
    image = _check(image)
    luma = image.mean(axis=2)
    dx, dy = np.abs(np.diff(luma, axis=1)), np.abs(np.diff(luma, axis=0))
    on_x, on_y = (np.arange(dx.shape[1]) % 8) == 7, (np.arange(dy.shape[0]) % 8) == 7
    across = np.concatenate([dx[:, on_x].ravel(), dy[on_y].ravel()]).mean()
    inside = np.concatenate([dx[:, ~on_x].ravel(), dy[~on_y].ravel()]).mean()
    return float(across / max(inside, 1e-8))


# -------------------------------------------------------------------------------------------------------- pipelines
def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


@dataclass(frozen=True)
class NoiseRanges:
    """The noise kinds' parameter ranges (0-255 scale for sigmas); see the module docstring."""

    gaussian: tuple[float, float] = (1.0, 50.0)
    poisson_a: tuple[float, float] = (1e-4, 3e-2)
    poisson_b: tuple[float, float] = (0.0, 10.0)
    correlated: tuple[float, float] = (2.0, 40.0)
    correlation: tuple[float, float] = (0.5, 1.5)
    gray_probability: float = 0.3

    def gaussian_op(self, image, rng, sigma=None):
        sigma = float(rng.uniform(*self.gaussian)) if sigma is None else sigma
        gray = image.shape[2] == 1 or rng.random() < self.gray_probability
        return add_gaussian_noise(image, sigma, rng, gray=gray), f"gaussian sigma={sigma:.1f}" + (" gray" * gray)

    def poisson_op(self, image, rng):
        a, b = _log_uniform(rng, *self.poisson_a), float(rng.uniform(*self.poisson_b))
        return add_poisson_gaussian_noise(image, a, b, rng), f"poisson-gaussian a={a:.2g} b={b:.1f}"

    def correlated_op(self, image, rng):
        sigma, rho = float(rng.uniform(*self.correlated)), float(rng.uniform(*self.correlation))
        gray = image.shape[2] == 1 or rng.random() < self.gray_probability
        out = add_correlated_noise(image, sigma, rho, rng, gray=gray)
        return out, f"correlated sigma={sigma:.1f} rho={rho:.2f}" + (" gray" * gray)


def random_jpeg(image: np.ndarray, rng: np.random.Generator, quality: tuple[int, int] = (10, 95)):
    """JPEG at a quality drawn uniformly from ``quality`` (inclusive): (image, description)."""
    q = int(rng.integers(quality[0], quality[1] + 1))
    return jpeg(image, q), f"jpeg q={q}"


@dataclass
class DenoiseMix:
    """The training (and test) degradations of ``denoise-real``: ``mix(clean, rng) -> (degraded, info)`` with the
    same size, ``info = {"ops": [...], "strength": RMS error 0-255}``.

    One kind is drawn per image (weights in ``kinds``): ``clean`` (nothing but 8-bit rounding: the model must leave
    clean photos alone), ``gaussian`` (sigma 0-75, left as unclipped float with p 0.5 like the AWGN benchmark),
    ``poisson``, ``correlated``, ``jpeg`` (quality 10-95, a second round with p 0.25), or a combination
    (``noise+jpeg``: one of the three noises then JPEG; ``mixed``: an optional mild blur, one or two noises and JPEG in
    a shuffled order, BSRGAN-style). Everything but unclipped Gaussian ends as an 8-bit image.
    """

    noise: NoiseRanges = field(default_factory=NoiseRanges)
    max_sigma: float = 75.0
    jpeg_quality: tuple[int, int] = (10, 95)
    blur_sigma: tuple[float, float] = (0.2, 1.2)
    kinds: dict[str, float] = field(
        default_factory=lambda: {
            "clean": 0.05,
            "gaussian": 0.25,
            "poisson": 0.1,
            "correlated": 0.15,
            "jpeg": 0.15,
            "noise+jpeg": 0.15,
            "mixed": 0.15,
        }
    )

    def kind(self, rng: np.random.Generator) -> str:
        names = list(self.kinds)
        weights = np.array([self.kinds[n] for n in names], dtype=np.float64)
        return names[int(rng.choice(len(names), p=weights / weights.sum()))]

    def _noise(self, image, rng, which: str | None = None):
        which = which or ("gaussian", "poisson", "correlated")[int(rng.integers(3))]
        return getattr(self.noise, f"{which}_op")(image, rng)

    def _jpeg(self, image, rng, ops):
        image, op = random_jpeg(image, rng, self.jpeg_quality)
        ops.append(op)
        if rng.random() < 0.25:
            image, op = random_jpeg(image, rng, self.jpeg_quality)
            ops.append(op)
        return image

    def __call__(self, clean: np.ndarray, rng: np.random.Generator, kind: str | None = None):
        clean = _check(clean)
        kind = kind or self.kind(rng)
        ops: list[str] = [kind]
        image = clean
        if kind == "clean":
            image = quantize(image)
        elif kind == "gaussian":
            image, op = self.noise.gaussian_op(image, rng, float(rng.uniform(0, self.max_sigma)))
            ops.append(op)
            if rng.random() < 0.5:
                image = quantize(image)
                ops.append("8-bit")
        elif kind in ("poisson", "correlated"):
            image, op = self._noise(image, rng, kind)
            image = quantize(image)
            ops += [op, "8-bit"]
        elif kind == "jpeg":
            image = self._jpeg(image, rng, ops)
        elif kind == "noise+jpeg":
            image, op = self._noise(image, rng)
            ops.append(op)
            image = self._jpeg(image, rng, ops)
        elif kind == "mixed":
            steps: list[str] = ["noise", "jpeg"] + (["noise"] if rng.random() < 0.3 else [])
            steps += ["blur"] if rng.random() < 0.3 else []
            rng.shuffle(steps)
            for step in steps:
                if step == "noise":
                    image, op = self._noise(image, rng)
                    ops.append(op)
                elif step == "jpeg":
                    image = self._jpeg(image, rng, ops)
                else:
                    image = blur(image, random_kernel(rng, self.blur_sigma))
                    ops.append("blur")
            image = quantize(image)
        else:
            raise InputError(f"unknown degradation kind {kind!r}; use one of {', '.join(self.kinds)}")
        # The target stays the sharp photo even after a "mixed" blur: the model learns to undo mild lens softness.
        return image, {"ops": ops, "strength": strength(image, clean)}


@dataclass
class SuperResMix:
    """Real-world low-resolution inputs for x``scale`` super-resolution (Real-ESRGAN's second-order model):
    ``mix(hr, rng) -> (lr, info)`` with ``lr`` exactly ``hr``'s size / ``scale`` (``hr`` must divide).

    Each order: blur (p ``blur_probability``, sigma in ``blur_sigma``), a random resize (scale 0.5-1.5 of the
    current size in the first order; the second ends at the target size), noise (Gaussian 1-25, Poisson-Gaussian or
    correlated, p ``noise_probability``) and JPEG (quality ``jpeg_quality``). ``second_order`` repeats it with
    milder ranges (Real-ESRGAN's p 0.8 second blur) and always finishes at the exact target size by a random method.
    """

    scale: int = 4
    second_order: bool = True
    blur_sigma: tuple[float, float] = (0.2, 2.0)
    blur_probability: float = 0.8
    noise_probability: float = 0.7
    noise: NoiseRanges = field(
        default_factory=lambda: NoiseRanges(gaussian=(1.0, 20.0), correlated=(1.0, 15.0), poisson_a=(1e-4, 5e-3))
    )
    jpeg_quality: tuple[int, int] = (30, 95)

    def _order(self, image, rng, target: tuple[int, int], final: bool, ops: list[str]):
        if rng.random() < self.blur_probability:
            image = blur(image, random_kernel(rng, self.blur_sigma))
            ops.append("blur")
        method = list(RESIZE_METHODS)[int(rng.integers(len(RESIZE_METHODS)))]
        if final:
            size = target
        else:  # somewhere between the HR size and the target, with a little over- and undershoot
            factor = float(rng.uniform(0.5, 1.5)) * math.sqrt(target[0] / image.shape[1])
            size = (max(target[0], round(image.shape[1] * factor)), max(target[1], round(image.shape[0] * factor)))
        image = resize(image, size, method)
        ops.append(f"resize {method} {size[0]}x{size[1]}")
        if rng.random() < self.noise_probability:
            which = ("gaussian", "poisson", "correlated")[int(rng.integers(3))]
            image, op = getattr(self.noise, f"{which}_op")(image, rng)
            ops.append(op)
        image, op = random_jpeg(image, rng, self.jpeg_quality)
        ops.append(op)
        return image

    def __call__(self, hr: np.ndarray, rng: np.random.Generator):
        hr = _check(hr)
        height, width = hr.shape[:2]
        if height % self.scale or width % self.scale:
            raise InputError(f"the HR image {width}x{height} must be divisible by the scale {self.scale}")
        target = (width // self.scale, height // self.scale)
        ops: list[str] = []
        image = self._order(hr, rng, target, final=not self.second_order, ops=ops)
        if self.second_order:
            image = self._order(image, rng, target, final=True, ops=ops)
        return image, {"ops": ops}


def describe(info: dict[str, Any]) -> str:
    """``info["ops"]`` as one line, e.g. ``"noise+jpeg: correlated sigma=12.0 rho=0.90 -> jpeg q=31"``."""
    ops = list(info.get("ops", []))
    head = f"{ops[0]}: " if ops and ops[0] in DenoiseMix().kinds else ""
    return head + " -> ".join(ops[1:] if head else ops)
