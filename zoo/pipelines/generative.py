"""Generative pipelines: the VAE latent explorer and the GAN samplers (images are 28x28 L, white on black)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from zoo.errors import InputError
from zoo.pipelines.base import Pipeline
from zoo.pipelines.images import image_grid, open_image, tensors_to_images, to_array

MAX_SAMPLES = 1024  # per call: bounded so a request cannot exhaust memory
MAX_STEPS = 256
# The card's figure of a GAN's training diagnostics (losses, D(x), D(G(z)), D's accuracies, spread per label), written
# by train/gan.py into every checkpoint it trains; checkpoints published before it have none.
TRAINING_CURVES = "images/training_curves.png"


def _count(n: Any, what: str, limit: int) -> int:
    try:
        value = int(n)
    except (TypeError, ValueError) as error:
        raise InputError(f"{what} must be a whole number, got {n!r}") from error
    if isinstance(n, float) and value != n:
        raise InputError(f"{what} must be a whole number, got {n!r}")
    if not 1 <= value <= limit:
        raise InputError(f"{what} must be between 1 and {limit}, got {value}")
    return value


def _seed(seed: Any) -> int:
    try:
        value = int(seed)
    except (TypeError, ValueError) as error:
        raise InputError(f"seed must be an integer, got {seed!r}") from error
    if not 0 <= value < 2**63:
        raise InputError(f"seed must be between 0 and 2**63-1, got {value}")
    return value


def digit_tensor(
    images: Any, size: int, device: torch.device, prepare: bool = False, channels: int = 1
) -> torch.Tensor:
    """[N,channels,size,size] in [0,1] from one image or a sequence (any mode and size; area-resized; ``channels``
    1 = gray, 3 = RGB). ``prepare`` (gray only): images not already in MNIST form (``zoo.digits.is_mnist_form``) go
    through ``zoo.digits.prepare_digit`` first."""
    from zoo.digits import is_mnist_form, prepare_digit

    if isinstance(images, Image.Image | str | bytes | np.ndarray) or not isinstance(images, Sequence):
        images = [images]
    if not images:
        raise InputError("no images given")
    tensors = []
    for image in images:
        picture = open_image(image)
        array = to_array(picture, channels)
        if prepare and channels == 1 and not is_mnist_form(array, size):
            try:
                array = to_array(prepare_digit(picture), 1)
            except InputError:  # nothing drawn: in MNIST form, an empty page is black
                array = np.zeros((size, size), dtype=np.float32)
        x = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
        x = x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None]
        mode = "area" if min(x.shape[-2:]) >= size else "bilinear"
        tensors.append(F.interpolate(x, size=(size, size), mode=mode))
    return torch.cat(tensors).to(device)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between latent vectors (the usual path for Gaussian GAN latents)."""
    a_n, b_n = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


class VAEPipeline(Pipeline):
    """Variational autoencoder explorer.

    ``encode(images) -> np.ndarray [n, d]`` (posterior means), ``decode(z) -> list[Image]``, ``sample(n, seed=0)``,
    ``interpolate(img_a, img_b, steps)``, ``manifold(n, extent)`` (the latent map's image grid),
    ``encode_test_set(limit)`` (its scatter data: codes, labels, class names) and ``latent_dim``. Inputs are
    white-on-black like MNIST (invert dark-on-light drawings first).
    """

    task = "vae"

    @property
    def latent_dim(self) -> int:
        return int(self.models["model"].config.latent_dim)

    @property
    def image_size(self) -> int:
        return int(self.models["model"].config.image_size)

    @property
    def prepares_digits(self) -> bool:
        """True for the MNIST models: drawings are brought to MNIST form (``zoo.digits``) before encoding."""
        return self.options.get("dataset") == "mnist"

    @torch.no_grad()
    def encode(self, images: Any, prepare: bool | None = None) -> np.ndarray:
        """Posterior means ``[n, latent_dim]``; ``prepare`` (default: the MNIST models) brings drawings to MNIST
        form first, inputs already in that form are used as they are."""
        prepare = self.prepares_digits if prepare is None else prepare
        x = digit_tensor(images, self.image_size, self.device, prepare=prepare)
        if x.shape[0] > MAX_SAMPLES:
            raise InputError(f"encode takes at most {MAX_SAMPLES} images per call, got {x.shape[0]}")
        mu, _ = self.models["model"].encode(x)
        return mu.cpu().numpy()

    @torch.no_grad()
    def decode_tensor(self, z: Any) -> torch.Tensor:
        z = torch.as_tensor(np.asarray(z, dtype=np.float32))
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise InputError(f"z must have shape [n, {self.latent_dim}] (or [{self.latent_dim}]), got {list(z.shape)}")
        if z.shape[0] > MAX_SAMPLES:
            raise InputError(f"decode takes at most {MAX_SAMPLES} latents per call, got {z.shape[0]}")
        if not torch.isfinite(z).all():
            raise InputError("z must be finite (no NaN or inf values)")
        return torch.sigmoid(self.models["model"].decode(z.to(self.device)))

    def decode(self, z: Any) -> list[Image.Image]:
        return tensors_to_images(self.decode_tensor(z))

    def sample(self, n: int, seed: int = 0) -> list[Image.Image]:
        n = _count(n, "n", MAX_SAMPLES)
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(_seed(seed)))
        return self.decode(z.numpy())

    def interpolate(self, img_a: Any, img_b: Any, steps: int = 8, prepare: bool | None = None) -> list[Image.Image]:
        steps = _count(steps, "steps", MAX_STEPS)
        codes = self.encode([img_a, img_b], prepare=prepare)
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return self.decode((1 - t) * codes[0] + t * codes[1])

    def manifold(self, n: int = 15, extent: float = 3.0) -> Image.Image:
        """Decode a regular n x n grid over [-extent, extent]^2 of the first two latent dimensions (others 0)."""
        n = _count(n, "n", 64)
        axis = np.linspace(-extent, extent, n, dtype=np.float32)
        z = np.zeros((n * n, self.latent_dim), dtype=np.float32)
        z[:, 0] = np.tile(axis, n)
        if self.latent_dim > 1:
            z[:, 1] = np.repeat(axis[::-1], n)  # top row = high z2, like a plot's y axis
        return image_grid(self.decode(z), columns=n, padding=0)

    @property
    def dataset(self) -> str:
        """The dataset folder the model was trained on (e.g. "mnist"): its test set feeds ``encode_test_set``."""
        return str(self.options.get("dataset") or "mnist")

    def encode_test_set(
        self, limit: int = 5000, data_dir: str | None = None, progress: Any = None
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The latent map's data: posterior means ``[n, d]`` of the first ``limit`` test images of the model's dataset,
        their labels ``[n]`` and the class names (for a scatter plot coloured by class). ``progress(fraction, desc)``
        is called per chunk when given. Raises ``zoo.data.DatasetError`` when the test set is missing."""
        from zoo.data import FASHION_CLASSES, MNIST_CLASSES, load_mnist

        dataset = self.dataset
        images, labels = load_mnist(dataset, "test", data_dir)
        limit = _count(limit, "limit", 100_000)
        images, labels = images[:limit], labels[:limit]
        codes = []
        for start in range(0, len(images), 500):
            if progress is not None:
                progress(start / len(images), f"Encoding {len(images)} {dataset} test images...")
            codes.append(self.encode(list(images[start : start + 500])))
        names = FASHION_CLASSES if "fashion" in dataset else MNIST_CLASSES
        return np.concatenate(codes), labels, list(names)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Covers both halves: decoded images of fixed latents, and the posterior means of those images."""
        z = torch.randn(4, self.latent_dim, generator=torch.Generator().manual_seed(0))
        decoded = self.decode_tensor(z.numpy())
        with torch.no_grad():
            mu, _ = self.models["model"].encode(decoded)
        return {"z": z}, torch.cat([decoded.flatten(), mu.flatten().cpu()])


class GANPipeline(Pipeline):
    """GAN sampler: ``sample(n, seed=0, label=None)``, ``interpolate(seed_a, seed_b, steps, label=None)``, ``labels``.

    Same seed, same images. For conditional models ``label`` is a class index or name (``None``: labels cycle
    through the classes); unconditional models have ``labels == []``.
    """

    task = "gan"

    @property
    def latent_dim(self) -> int:
        return int(self.models["model"].config.latent_dim)

    @property
    def labels(self) -> list[str]:
        return list(self.options.get("labels", []))

    def _labels(self, label: Any, n: int) -> torch.Tensor | None:
        if not self.labels:
            if label is not None:
                raise InputError(f"{self.name} is unconditional: it takes no label (got {label!r})")
            return None
        if label is None:
            return torch.arange(n) % len(self.labels)
        if isinstance(label, str):
            if label in self.labels:
                index = self.labels.index(label)
            elif label.strip().isdigit():
                index = int(label)
            else:
                raise InputError(f"unknown label {label!r}; choose one of {self.labels}")
        else:
            index = int(label)
        if not 0 <= index < len(self.labels):
            raise InputError(f"label must be between 0 and {len(self.labels) - 1}, got {index}")
        return torch.full((n,), index, dtype=torch.long)

    @property
    def training_curves(self) -> Path | None:
        """The checkpoint's image of its training diagnostics (``TRAINING_CURVES``), or None when it has none."""
        path = self.folder / TRAINING_CURVES if self.folder is not None else None
        return path if path is not None and path.is_file() else None

    def latents(self, n: int, seed: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(_seed(seed)))

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """[N,1,H,W] in [0,1] from latents (and labels)."""
        net = self.models["model"]
        labels = labels.to(self.device) if labels is not None else None
        out = net(z.to(self.device), labels) if labels is not None else net(z.to(self.device))
        return (out + 1.0) / 2.0

    def sample(self, n: int, seed: int = 0, label: Any = None) -> list[Image.Image]:
        n = _count(n, "n", MAX_SAMPLES)
        return tensors_to_images(self.generate(self.latents(n, seed), self._labels(label, n)))

    def interpolate(self, seed_a: int, seed_b: int, steps: int = 8, label: Any = None) -> list[Image.Image]:
        steps = _count(steps, "steps", MAX_STEPS)
        t = torch.linspace(0, 1, steps)[:, None]
        z = slerp(self.latents(1, seed_a).expand(steps, -1), self.latents(1, seed_b).expand(steps, -1), t)
        labels = self._labels(label if label is not None or not self.labels else 0, steps)
        return tensors_to_images(self.generate(z, labels))

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        z = self.latents(4, 0)
        labels = self._labels(None, 4)
        inputs = {"z": z} | ({"labels": labels.float()} if labels is not None else {})
        return inputs, self.generate(z, labels)


class ToyGANPipeline(GANPipeline):
    """The course's 2-D toy GAN that learns points on y = sin(x).

    ``sample_points(n, seed)`` returns an [n, 2] array; ``sample(n, seed)`` returns one plot of the points against
    the true curve (so the GAN tab can show it like any other sampler).
    """

    @torch.no_grad()
    def sample_points(self, n: int = 500, seed: int = 0) -> np.ndarray:
        n = _count(n, "n", 100_000)
        return self.models["model"](self.latents(n, seed).to(self.device)).cpu().numpy()

    def sample(self, n: int = 500, seed: int = 0, label: Any = None) -> list[Image.Image]:
        self._labels(label, 1)
        return [plot_points(self.sample_points(n, seed))]

    def interpolate(self, seed_a: int, seed_b: int, steps: int = 8, label: Any = None) -> list[Image.Image]:
        return [plot_points(self.sample_points(500, seed)) for seed in np.linspace(seed_a, seed_b, steps).astype(int)]

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        z = self.latents(16, 0)
        with torch.no_grad():
            return {"z": z}, self.models["model"](z)


def plot_points(points: np.ndarray, size: int = 320) -> Image.Image:
    """Scatter of generated (x, y) points (blue) over the true y = sin(x) curve (red), drawn with PIL."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)

    def to_px(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x + math.pi * 1.1) / (2.2 * math.pi) * size, (1.5 - y) / 3.0 * size

    draw.line([(0, size / 2), (size, size / 2)], fill=(200, 200, 200))
    xs = np.linspace(-math.pi * 1.1, math.pi * 1.1, 200)
    px, py = to_px(xs, np.sin(xs))
    draw.line(list(zip(px.tolist(), py.tolist(), strict=True)), fill=(220, 30, 30), width=2)
    finite = points[np.isfinite(points).all(axis=1)]
    qx, qy = to_px(finite[:, 0], finite[:, 1])
    for x, y in zip(qx.tolist(), qy.tolist(), strict=True):
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=(30, 80, 220))
    return image
