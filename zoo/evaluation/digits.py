"""Protocols for the 28x28 families (EVALUATION.md, "VAE / GAN / autoencoders"): autoencoders, the digit denoiser and
x2 super-resolver, VAEs, GANs (with the project's classifiers as judges), the 2-D toy GAN, and the classifiers.

Every protocol is ``(pipe, data_dir=None, limit=None, folder=None) -> (records, notes, images)``; ``limit`` caps the
number of test items (and of generated samples), ``folder`` receives the card's figures. The model's rows have
method ``"this model"``; every protocol also measures a baseline in the same run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.cards import THIS_MODEL as THIS
from zoo.cards import EvalRecord
from zoo.errors import ZooError
from zoo.evaluation.common import SEED, save_image

Result = tuple[list[EvalRecord], str, list[dict[str, str]]]

BATCH = 500
# Denoising strengths of the card: noise std on the 0-1 scale (the course's noise_factor), additive, then clipped.
DENOISE_SIGMAS = (0.3, 0.5)
GAN_SAMPLES = 10_000  # the full protocol; ``limit`` lowers it for quick runs
KNN_K = 5
# A class counts as produced by an unconditional GAN when it gets at least half its share of a uniform mix.
COVERED_SHARE = 0.5
TOY_BINS = 20
TOY_SAMPLES = 5_000
# The classifier that judges each dataset's generated samples (published before the GANs are evaluated).
EVALUATORS = {"mnist": "classifier-mnist", "fashion-mnist": "classifier-fashion"}


# ------------------------------------------------------------------------------------------------------- helpers
def _dataset(pipe: Any) -> str:
    return str(pipe.options.get("dataset") or "mnist")


def _split(pipe: Any, data_dir: str | None, limit: int | None, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    from zoo.data import load_mnist

    images, labels = load_mnist(_dataset(pipe), split, data_dir)
    return images[:limit], labels[:limit]


def _as_float(images: np.ndarray) -> torch.Tensor:
    """uint8 ``[N, H, W]`` -> float ``[N, 1, H, W]`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div(255.0)[:, None]


def _quantize(batch: torch.Tensor) -> np.ndarray:
    """Float ``[N, 1, H, W]`` in [0, 1] -> uint8 ``[N, H, W]``, rounded as the pipelines' PIL output."""
    return np.rint(batch.detach().float().clamp(0, 1).cpu().numpy()[:, 0] * 255.0).astype(np.uint8)


def _stack(images: list[Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(image.convert("L")) for image in images])


def _mean_metric(metric: Any, references: np.ndarray, estimates: np.ndarray, **kwargs: Any) -> float:
    return float(np.mean([metric(a, b, **kwargs) for a, b in zip(references, estimates, strict=True)]))


def _row(originals: np.ndarray, *others: np.ndarray, count: int = 8) -> Image.Image:
    """A figure: one row of ``count`` images per array (originals first), all shown at the originals' size."""
    from zoo.pipelines.images import image_grid

    size = originals.shape[1:][::-1]
    rows = [originals, *others]
    tiles = [Image.fromarray(row[i]).resize(size, Image.Resampling.NEAREST) for row in rows for i in range(count)]
    return image_grid(tiles, columns=count)


def _batched(fn: Any, x: torch.Tensor, batch: int = BATCH) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(x[start : start + batch]) for start in range(0, len(x), batch)])


# -------------------------------------------------------------------------------------------------- autoencoders
def pca_baseline(train: np.ndarray, test: np.ndarray, components: int) -> np.ndarray:
    """Test images projected on the first ``components`` principal axes of the training images (the best linear
    autoencoder with that code size), float [0, 1] ``[N, 1, H, W]`` clipped to [0, 1]."""
    x_train = train.reshape(len(train), -1).astype(np.float64) / 255.0
    mean = x_train.mean(axis=0)
    covariance = np.cov(x_train - mean, rowvar=False)
    _, vectors = np.linalg.eigh(covariance)
    axes = vectors[:, ::-1][:, :components]
    x_test = test.reshape(len(test), -1).astype(np.float64) / 255.0
    projected = (x_test - mean) @ axes @ axes.T + mean
    return torch.from_numpy(np.clip(projected, 0.0, 1.0)).float().view(len(test), 1, *test.shape[1:])


def reconstruction_stats(reference: torch.Tensor, output: torch.Tensor) -> dict[str, float]:
    """Mean per-pixel BCE (as Keras' ``binary_crossentropy``) of float outputs, and mean per-image PSNR (dB) of the
    outputs rounded to uint8 (what the pipeline returns) against the uint8 originals."""
    from zoo.metrics import psnr

    bce = torch.nn.functional.binary_cross_entropy(output.clamp(0, 1).double(), reference.double())
    return {"BCE per pixel": float(bce), "PSNR": _mean_metric(psnr, _quantize(reference), _quantize(output))}


def evaluate_autoencoder(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """Test reconstruction (BCE per pixel, PSNR) and the kNN accuracy (k=5) of the codes, train codes vs test codes.

    Baselines: PCA with the same code size (dense codes smaller than the image) and kNN on raw pixels.
    """
    from zoo.metrics import knn_accuracy

    dataset = _dataset(pipe)
    net = pipe.models["model"]
    test_images, test_labels = _split(pipe, data_dir, limit)
    train_images, train_labels = _split(pipe, data_dir, None, split="train")
    x_test, x_train = _as_float(test_images).to(pipe.device), _as_float(train_images).to(pipe.device)
    output = _batched(net, x_test).cpu()
    test_codes = _batched(net.encode, x_test).flatten(1).cpu().numpy()
    train_codes = _batched(net.encode, x_train).flatten(1).cpu().numpy()
    name = f"{dataset} test"
    stats = reconstruction_stats(x_test.cpu(), output)
    stats["kNN accuracy"] = knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=KNN_K)
    records = [EvalRecord(name, metric, value) for metric, value in stats.items()]
    code_size = test_codes.shape[1]
    pixels = int(np.prod(test_images.shape[1:]))
    figure_rows = [_quantize(output)]
    pca_note = f"PCA is left out: the code ({code_size} numbers) is not smaller than the image ({pixels} pixels)."
    if code_size < pixels:
        pca = pca_baseline(train_images, test_images, code_size)
        method = f"PCA, {code_size} components"
        records += [EvalRecord(name, k, v, method=method) for k, v in reconstruction_stats(x_test.cpu(), pca).items()]
        figure_rows.append(_quantize(pca))
        pca_note = f"The PCA row is the best linear code of the same size ({code_size} components, fit on train)."
    raw = knn_accuracy(
        train_images.reshape(len(train_images), -1), train_labels, test_images.reshape(len(test_images), -1),
        test_labels, k=KNN_K,
    )  # fmt: skip
    records.append(EvalRecord(name, "kNN accuracy", raw, method=f"raw pixels ({pixels})"))
    notes = (
        f"{len(test_images)} {dataset} test images. BCE: mean binary cross-entropy per pixel of the float output "
        "(Keras `binary_crossentropy`); PSNR: mean per-image PSNR (dB, 0-255) of the uint8 output. kNN accuracy: "
        f"share of test codes whose {KNN_K} nearest training codes (Euclidean, all {len(train_images)} training "
        f"images) vote for the right class; code = `pipe.encode` output flattened ({code_size} numbers). {pca_note}"
    )
    figures = save_image(
        _row(test_images, *figure_rows),
        folder,
        "reconstructions.png",
        "test images, reconstructions" + (", PCA of the same code size" if len(figure_rows) > 1 else ""),
    )
    return records, notes, figures


def add_digit_noise(images: np.ndarray, sigma: float, seed: int = SEED) -> np.ndarray:
    """The course's noise: ``clip(x + sigma * N(0, 1), 0, 1)`` on [0, 1] images (``sigma`` on the 0-1 scale), one
    seeded draw for the whole uint8 ``[N, H, W]`` array, returned as uint8 (what a user's noisy PNG holds)."""
    clean = images.astype(np.float64) / 255.0
    noisy = np.clip(clean + sigma * np.random.RandomState(seed).standard_normal(clean.shape), 0.0, 1.0)
    return np.rint(noisy * 255.0).astype(np.uint8)


def evaluate_denoise_digits(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """PSNR / SSIM of the denoised test digits at noise sigma 0.3 and 0.5 (0-1 scale, clipped, seeded), through the
    pipeline (PIL in, PIL out); baselines: the noisy input and a 3x3 median filter."""
    from PIL import ImageFilter

    from zoo.metrics import psnr, ssim

    clean, _ = _split(pipe, data_dir, limit)
    name = f"{_dataset(pipe)} test"
    records, rows = [], []
    for sigma in DENOISE_SIGMAS:
        noisy = add_digit_noise(clean, sigma)
        outputs = {
            THIS: _stack([pipe(Image.fromarray(image)) for image in noisy]),
            "noisy input": noisy,
            "median 3x3": _stack([Image.fromarray(im).filter(ImageFilter.MedianFilter(3)) for im in noisy]),
        }
        for method, estimate in outputs.items():
            config = f"sigma={sigma:g}"
            records.append(EvalRecord(name, "PSNR", _mean_metric(psnr, clean, estimate), method, config))
            records.append(EvalRecord(name, "SSIM", _mean_metric(ssim, clean, estimate), method, config))
        rows += [noisy, outputs[THIS]]
    notes = (
        f"{len(clean)} test images; noise as in training: x + sigma N(0, 1) on the 0-1 scale (sigma 0.3 = 76.5/255), "
        f"clipped to [0, 1] and saved as 8-bit, one draw seeded with {SEED}. PSNR (dB) and SSIM per image on the "
        "0-255 scale, averaged; no border crop. The model is blind (no sigma input)."
    )
    figures = save_image(
        _row(clean, *rows),
        folder,
        "denoising.png",
        "clean; noisy / denoised at sigma " + ", ".join(map(str, DENOISE_SIGMAS)),
    )
    return records, notes, figures


def downscale_digits(images: np.ndarray, scale: int) -> np.ndarray:
    """``scale`` x ``scale`` average pooling of uint8 ``[N, H, W]`` (H, W multiples of ``scale``), rounded to uint8:
    the low-resolution input the digit super-resolver is trained on."""
    n, height, width = images.shape
    blocks = images.reshape(n, height // scale, scale, width // scale, scale).astype(np.float64)
    return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)


def evaluate_superres_digits(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """PSNR / SSIM of the upscaled test digits against the originals (LR = ``scale`` x ``scale`` average pooling),
    through the pipeline; baseline: PIL bicubic upscaling of the same LR images."""
    from zoo.metrics import crop_to_multiple, y_psnr, y_ssim

    scale = pipe.scale
    hr, _ = _split(pipe, data_dir, limit)
    hr = np.stack([crop_to_multiple(image, scale) for image in hr])
    lr = downscale_digits(hr, scale)
    size = (hr.shape[2], hr.shape[1])
    outputs = {
        THIS: _stack([pipe(Image.fromarray(image)) for image in lr]),
        "bicubic": _stack([Image.fromarray(image).resize(size, Image.Resampling.BICUBIC) for image in lr]),
    }
    name, config = f"{_dataset(pipe)} test", f"x{scale}"
    records = []
    for method, estimate in outputs.items():
        records.append(EvalRecord(name, "PSNR", _mean_metric(y_psnr, hr, estimate, scale=scale), method, config))
        records.append(EvalRecord(name, "SSIM", _mean_metric(y_ssim, hr, estimate, scale=scale), method, config))
    notes = (
        f"{len(hr)} test images; LR input = {scale}x{scale} average pooling ({lr.shape[2]}x{lr.shape[1]}, 8-bit), "
        f"output compared with the original {size[0]}x{size[1]}: PSNR (dB) and SSIM per image on the 0-255 scale, "
        f"{scale} border pixels shaved (the super-resolution protocol), averaged."
    )
    figures = save_image(
        _row(hr, lr, outputs["bicubic"], outputs[THIS]), folder, "superres.png", "original, LR input, bicubic, model"
    )
    return records, notes, figures


# ------------------------------------------------------------------------------------------------------------- VAE
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


MEAN_IMAGE = "mean training image"


def mean_image_baseline(pipe: Any, data_dir: str | None, x: torch.Tensor) -> dict[str, float]:
    """ELBO/BCE/PSNR of a 'model' that ignores its input and predicts the training set's per-pixel mean."""
    import torch.nn.functional as F

    from zoo.metrics import psnr

    train, _ = _split(pipe, data_dir, None, split="train")
    mean = _as_float(train).mean(0, keepdim=True).clamp(1e-4, 1 - 1e-4)
    bce = F.binary_cross_entropy(mean.expand_as(x), x, reduction="none").flatten(1).sum(1)
    reference = mean[0, 0].numpy() * 255
    return {"ELBO": float(-bce.mean()), "BCE": float(bce.mean()), "KL": 0.0,
            "PSNR": float(np.mean([psnr(image[0].numpy() * 255, reference) for image in x]))}  # fmt: skip


def evaluate_vae(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    from zoo.data import FASHION_CLASSES, MNIST_CLASSES
    from zoo.plots import scatter_plot

    dataset = _dataset(pipe)
    images, labels = _split(pipe, data_dir, limit)
    x = _as_float(images)
    net = pipe.models["model"]
    stats = vae_elbo(net, x)
    records = [EvalRecord(f"{dataset} test", metric, value) for metric, value in stats.items()]
    records += [EvalRecord(f"{dataset} test", metric, value, method=MEAN_IMAGE)
                for metric, value in mean_image_baseline(pipe, data_dir, x).items()]  # fmt: skip
    notes = (
        f"ELBO in nats per image on {len(x)} {dataset} test images (one posterior sample, seed {SEED}; higher is "
        f"better; -ELBO bounds the negative log-likelihood). Latent dimension {pipe.latent_dim}. Baseline "
        f"'{MEAN_IMAGE}': every image decoded to the per-pixel mean of the training set (no latent, KL 0)."
    )
    count = min(8, len(images))
    recon = _stack(pipe.decode(pipe.encode(list(images[:count]))))
    figures = save_image(
        _row(images, recon, count=count),
        folder,
        "reconstructions.png",
        "test images (top) and reconstructions (bottom)",
    )
    with torch.no_grad():
        codes = net.encode(x[:5000])[0].numpy()
    names = FASHION_CLASSES if "fashion" in dataset else MNIST_CLASSES
    figures += save_image(
        scatter_plot(codes, labels[:5000], list(names)),
        folder,
        "latent_scatter.png",
        "test-set encodings (first two latent dimensions), coloured by class",
    )
    figures += save_image(pipe.manifold(15, 3.0), folder, "latent_manifold.png", "decoded latent grid")
    return records, notes, figures


# ------------------------------------------------------------------------------------------------------------- GAN
def load_evaluator(pipe: Any) -> tuple[Any | None, str]:
    """The classifier that judges a GAN's samples (``options["evaluator"]``: a catalog name or a folder, else the
    dataset's published classifier), or ``(None, why)`` when it cannot be loaded."""
    import zoo

    name = pipe.options.get("evaluator") or EVALUATORS.get(_dataset(pipe))
    if not name:
        return None, f"no evaluator classifier is known for dataset {_dataset(pipe)!r}"
    try:
        return zoo.load(name), str(name)
    except ZooError as error:
        return None, f"the evaluator classifier {name!r} is not available ({error})"


def generate_samples(pipe: Any, n: int, chunk: int = 1000) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` samples (uint8 ``[n, H, W]``, through ``pipe.sample``: seeds ``SEED + k`` per chunk of ``chunk``) and the
    requested labels (``arange(n) % classes``) for conditional models, else ``None``."""
    classes = len(pipe.labels)
    if classes:  # each chunk's labels cycle from 0, so a chunk is a whole number of cycles
        chunk = max(classes, chunk - chunk % classes)
    images = [_stack(pipe.sample(min(chunk, n - start), seed=SEED + k)) for k, start in enumerate(range(0, n, chunk))]
    return np.concatenate(images), (np.arange(n) % classes if classes else None)


def classifier_outputs(classifier: Any, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate features ``[N, F]``, predicted classes ``[N]``) of uint8 ``[N, H, W]`` images."""
    features, predictions = [], []
    for start in range(0, len(images), BATCH):
        batch_features, batch_predictions = classifier.features_and_predictions(
            _as_float(images[start : start + BATCH])
        )
        features.append(batch_features)
        predictions.append(batch_predictions)
    return np.concatenate(features), np.concatenate(predictions)


def evaluate_gan(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """Classifier-FID (Frechet distance of the evaluator classifier's penultimate features, samples vs the test set)
    and, for conditional models, the share of samples classified as the requested label; for unconditional models
    the number of classes covered. Baseline row: real training images scored the same way."""
    from zoo.metrics import feature_statistics, frechet_distance

    dataset = _dataset(pipe)
    figures = _gan_figures(pipe, folder)
    classifier, evaluator = load_evaluator(pipe)
    if classifier is None:
        notes = (
            f"Classifier metrics skipped: {evaluator}. Publish the evaluator first (train/classifier.py), then "
            f"rerun `python -m zoo.eval {pipe.name}`."
        )
        return [], notes, figures
    test_images, test_labels = _split(pipe, data_dir, min(limit or GAN_SAMPLES, GAN_SAMPLES))
    train_images, _ = _split(pipe, data_dir, len(test_images), split="train")
    samples, requested = generate_samples(pipe, len(test_images))
    test_features, test_predictions = classifier_outputs(classifier, test_images)
    reference = feature_statistics(test_features)
    name, records = f"{dataset} test", []
    rows = {THIS: samples, "real training images": train_images}
    for method, images in rows.items():
        features, predictions = classifier_outputs(classifier, images)
        records.append(
            EvalRecord(name, "classifier-FID", frechet_distance(*feature_statistics(features), *reference), method)
        )
        if method == THIS and requested is not None:
            records.append(EvalRecord(name, "label accuracy", float(np.mean(predictions == requested)), method))
        elif method == THIS:
            records.append(EvalRecord(name, "classes covered", _classes_covered(predictions, classifier), method))
    accuracy = float(np.mean(test_predictions == test_labels))
    if requested is not None:  # a perfect conditional generator's label accuracy is the judge's own accuracy
        records.append(EvalRecord(name, "label accuracy", accuracy, "real test images"))
    net = classifier.models["model"]
    notes = (
        f"{len(samples)} samples (`pipe.sample`, seeds {SEED}+, 8-bit) vs {len(test_images)} {dataset} test images. "
        f"classifier-FID: Frechet distance of the {net.feature_dim}-d penultimate features (global average pool) of "
        f"`{evaluator}` ({type(net).__name__}, width {net.config.width}; accuracy {accuracy:.2%} on these test "
        "images); lower is better; not comparable with Inception FID. "
        + (
            "label accuracy: share of samples the classifier assigns to the requested label (labels cycle through "
            "the classes). "
            if requested is not None
            else f"classes covered: classes predicted for at least {COVERED_SHARE:.0%} of a uniform share of samples. "
        )
        + f"The baseline row scores {len(train_images)} real training images the same way."
    )
    return records, notes, figures


def _classes_covered(predictions: np.ndarray, classifier: Any) -> float:
    classes = len(classifier.labels) or int(predictions.max(initial=0)) + 1
    counts = np.bincount(predictions, minlength=classes)
    return float(np.sum(counts >= COVERED_SHARE * len(predictions) / classes))


def _gan_figures(pipe: Any, folder: Path | None) -> list[dict[str, str]]:
    from zoo.pipelines.images import image_grid

    if pipe.labels:
        grid = image_grid([im for k in range(len(pipe.labels)) for im in pipe.sample(10, seed=SEED, label=k)], 10)
        figures = save_image(
            grid, folder, "samples_by_label.png", "samples, one row per label: " + ", ".join(pipe.labels)
        )
    else:
        figures = save_image(image_grid(pipe.sample(64, seed=SEED), 8), folder, "samples_grid.png", "samples")
    walks = [im for seed in range(4) for im in pipe.interpolate(2 * seed, 2 * seed + 1, 10)]
    return figures + save_image(image_grid(walks, 10), folder, "interpolations.png", "latent interpolations (slerp)")


def evaluate_gan_toy(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """The 2-D toy GAN: mean |y - sin(x)| of generated points and coverage of the x range [-pi, pi]."""
    from zoo.data import sine_points

    n = min(limit or TOY_SAMPLES, TOY_SAMPLES)
    uniform = np.random.default_rng(SEED).uniform((-math.pi, -1.0), (math.pi, 1.0), size=(n, 2))
    rows = {
        THIS: pipe.sample_points(n, seed=SEED),
        "real points": sine_points(n, seed=SEED + 1),
        "uniform box": uniform,
    }
    records = []
    for method, points in rows.items():
        for metric, value in toy_stats(points).items():
            records.append(EvalRecord("sine", metric, value, method))
    notes = (
        f"{n} points from `pipe.sample_points(n, seed={SEED})`. error: mean |y - sin x| (non-finite points count as "
        f"missing); x coverage: share of {TOY_BINS} equal bins of [-pi, pi] holding at least a quarter of a uniform "
        "share of the points; in range: share of points with x in [-pi, pi]. Baselines: fresh points of the "
        "training distribution, and points uniform in [-pi, pi] x [-1, 1]."
    )
    from zoo.pipelines.generative import plot_points

    figures = save_image(plot_points(rows[THIS][:1000]), folder, "points.png", "1,000 generated points vs y = sin(x)")
    return records, notes, figures


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


# ------------------------------------------------------------------------------------------------------ classifier
def evaluate_classifier(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """Test accuracy of the evaluator classifier; baseline: always answering the most frequent training class."""
    images, labels = _split(pipe, data_dir, limit)
    _, train_labels = _split(pipe, data_dir, None, split="train")
    predictions = np.concatenate([pipe.predict(_as_float(images[s : s + BATCH])) for s in range(0, len(images), BATCH)])
    name = f"{_dataset(pipe)} test"
    majority = int(np.bincount(train_labels).argmax())
    records = [
        EvalRecord(name, "accuracy", float(np.mean(predictions == labels))),
        EvalRecord(name, "accuracy", float(np.mean(labels == majority)), "most frequent class"),
    ]
    names = pipe.labels or [str(k) for k in range(int(labels.max()) + 1)]
    per_class = [
        f"{names[k]} {np.mean(predictions[labels == k] == k):.1%}" for k in range(len(names)) if np.any(labels == k)
    ]
    net = pipe.models["model"]
    notes = (
        f"Top-1 accuracy on {len(images)} {_dataset(pipe)} test images. Per class: {', '.join(per_class)}. "
        f"Backbone: {type(net).__name__} (width {net.config.width}); its {net.feature_dim}-d penultimate features "
        "are the space of the GAN cards' classifier-FID."
    )
    wrong = np.flatnonzero(predictions != labels)[:16]
    figures = []
    if len(wrong):
        from zoo.pipelines.images import image_grid

        grid = image_grid([Image.fromarray(images[i]) for i in wrong], columns=8)
        caption = "misclassified test images (true -> predicted): " + ", ".join(
            f"{names[labels[i]]}->{names[predictions[i]]}" for i in wrong
        )
        figures = save_image(grid, folder, "errors.png", caption)
    return records, notes, figures


PROTOCOLS = {
    "autoencoder": evaluate_autoencoder,
    "denoise-digits": evaluate_denoise_digits,
    "superres-digits": evaluate_superres_digits,
    "vae": evaluate_vae,
    "gan": evaluate_gan,
    "gan-toy": evaluate_gan_toy,
    "classify": evaluate_classifier,
}
