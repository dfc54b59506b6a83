"""The 28x28 families' measures: test splits, reconstruction statistics, the course's digit noise and pooling, the
VAE's ELBO, generated samples and what a judge classifier says of them, the toy GAN's statistics. Numbers only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.protocols.common import SEED

BATCH = 500
# A class counts as produced by an unconditional GAN when it gets at least half its share of a uniform mix.
COVERED_SHARE = 0.5
TOY_BINS = 20


def _dataset(pipe: Any) -> str:
    return str(pipe.options.get("dataset") or "mnist")


def _split(pipe: Any, data_dir: str | None, limit: int | None, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """The first ``limit`` images and labels of a split of the pipeline's dataset; ``limit`` evenly spaced ones
    instead when the first ``limit`` miss a class (gtsrb4 is stored class by class)."""
    from zoo.data import load_labelled

    images, labels = load_labelled(_dataset(pipe), split, data_dir)
    if limit is None or limit >= len(images) or set(labels[:limit].tolist()) == set(labels.tolist()):
        return images[:limit], labels[:limit]
    index = np.linspace(0, len(images) - 1, max(limit, 0)).round().astype(np.int64)
    return images[index], labels[index]


def _as_float(images: np.ndarray) -> torch.Tensor:
    """uint8 ``[N, H, W]`` (gray) or ``[N, H, W, C]`` -> float ``[N, C, H, W]`` in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div(255.0)
    return x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)


def _quantize(batch: torch.Tensor) -> np.ndarray:
    """Float ``[N, 1, H, W]`` in [0, 1] -> uint8 ``[N, H, W]``, rounded as the pipelines' PIL output."""
    return np.rint(batch.detach().float().clamp(0, 1).cpu().numpy()[:, 0] * 255.0).astype(np.uint8)


def _stack(images: list[Image.Image], mode: str = "L") -> np.ndarray:
    return np.stack([np.asarray(image.convert(mode)) for image in images])


def _mean_metric(metric: Any, references: np.ndarray, estimates: np.ndarray, **kwargs: Any) -> float:
    return float(np.mean([metric(a, b, **kwargs) for a, b in zip(references, estimates, strict=True)]))


def _batched(fn: Any, x: torch.Tensor, batch: int = BATCH) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(x[start : start + batch]) for start in range(0, len(x), batch)])


def reconstruction_stats(reference: torch.Tensor, output: torch.Tensor) -> dict[str, float]:
    """Mean per-pixel BCE (as Keras' ``binary_crossentropy``) of float outputs, and mean per-image PSNR (dB) of the
    outputs rounded to uint8 (what the pipeline returns) against the uint8 originals."""
    from zoo.metrics import psnr

    bce = torch.nn.functional.binary_cross_entropy(output.clamp(0, 1).double(), reference.double())
    return {"BCE per pixel": float(bce), "PSNR": _mean_metric(psnr, _quantize(reference), _quantize(output))}


def add_digit_noise(images: np.ndarray, sigma: float, seed: int = SEED) -> np.ndarray:
    """The course's noise: ``clip(x + sigma * N(0, 1), 0, 1)`` on [0, 1] images (``sigma`` on the 0-1 scale), one
    seeded draw for the whole uint8 ``[N, H, W]`` array, returned as uint8 (what a user's noisy PNG holds)."""
    clean = images.astype(np.float64) / 255.0
    noisy = np.clip(clean + sigma * np.random.RandomState(seed).standard_normal(clean.shape), 0.0, 1.0)
    return np.rint(noisy * 255.0).astype(np.uint8)


def downscale_digits(images: np.ndarray, scale: int) -> np.ndarray:
    """``scale`` x ``scale`` average pooling of uint8 ``[N, H, W]`` (H, W multiples of ``scale``), rounded to uint8:
    the low-resolution input the digit super-resolver is trained on."""
    n, height, width = images.shape
    blocks = images.reshape(n, height // scale, scale, width // scale, scale).astype(np.float64)
    return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)


@torch.no_grad()
def vae_elbo(net: torch.nn.Module, images: torch.Tensor, batch: int = BATCH, seed: int = SEED) -> dict[str, float]:
    """Mean test ELBO (nats; one posterior sample per image, fixed seed), its BCE and KL, and reconstruction PSNR."""
    from zoo.losses import vae_terms
    from zoo.metrics import psnr

    generator = torch.Generator().manual_seed(seed)
    bce_all, kl_all, psnrs = [], [], []
    for start in range(0, len(images), batch):
        x = images[start : start + batch]
        mu, logvar = net.encode(x)
        z = net.reparameterize(mu, logvar, generator=generator)
        bce, kl = vae_terms(net.decode(z), x, mu, logvar)
        bce_all.append(bce)
        kl_all.append(kl)
        recon = torch.sigmoid(net.decode(mu))
        psnrs += [psnr(a.numpy() * 255, b.numpy() * 255) for a, b in zip(x, recon, strict=True)]
    bce, kl = torch.cat(bce_all), torch.cat(kl_all)
    return {
        "ELBO": float(-(bce + kl).mean()),
        "BCE": float(bce.mean()),
        "KL": float(kl.mean()),
        "PSNR": float(np.mean(psnrs)),
    }


def generate_samples(pipe: Any, n: int, chunk: int = 1000) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` samples (uint8 ``[n, H, W]``, or ``[n, H, W, 3]`` from a colour GAN; through ``pipe.sample``: seeds
    ``SEED + k`` per chunk of ``chunk``) and the requested labels (``arange(n) % classes``) for conditional models,
    else ``None``."""
    classes = len(pipe.labels)
    if classes:  # each chunk's labels cycle from 0, so a chunk is a whole number of cycles
        chunk = max(classes, chunk - chunk % classes)
    images = []
    for k, start in enumerate(range(0, n, chunk)):
        batch = pipe.sample(min(chunk, n - start), seed=SEED + k)
        images.append(_stack(batch, "RGB" if batch[0].mode == "RGB" else "L"))
    return np.concatenate(images), (np.arange(n) % classes if classes else None)


def classifier_outputs(classifier: Any, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate features ``[N, F]``, predicted classes ``[N]``) of uint8 ``[N, H, W]`` or ``[N, H, W, C]``
    images."""
    features, predictions = [], []
    for start in range(0, len(images), BATCH):
        batch_features, batch_predictions = classifier.features_and_predictions(
            _as_float(images[start : start + BATCH])
        )
        features.append(batch_features)
        predictions.append(batch_predictions)
    return np.concatenate(features), np.concatenate(predictions)


def _classes_covered(predictions: np.ndarray, classifier: Any) -> float:
    classes = len(classifier.labels) or int(predictions.max(initial=0)) + 1
    counts = np.bincount(predictions, minlength=classes)
    return float(np.sum(counts >= COVERED_SHARE * len(predictions) / classes))


def toy_stats(points: np.ndarray) -> dict[str, float]:
    points = np.asarray(points, dtype=np.float64)
    finite = points[np.isfinite(points).all(axis=1)]
    if len(finite) == 0:
        return {"error": math.inf, "x coverage": 0.0, "in range": 0.0}
    x, y = finite[:, 0], finite[:, 1]
    inside = np.abs(x) <= math.pi
    counts, _ = np.histogram(x[inside], bins=TOY_BINS, range=(-math.pi, math.pi))
    return {
        "error": float(np.mean(np.abs(y - np.sin(x)))),
        "x coverage": float(np.mean(counts >= 0.25 * len(points) / TOY_BINS)),
        "in range": float(np.sum(inside) / len(points)),
    }
