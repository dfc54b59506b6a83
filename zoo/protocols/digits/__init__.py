"""Protocols for the 28x28 families (docs/EVALUATION.md, "VAE / GAN / autoencoders"): autoencoders, the digit
denoiser and x2 super-resolver, VAEs, GANs (with the project's classifiers as judges), the 2-D toy GAN, and the
classifiers.

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
from zoo.protocols.common import SEED, save_image
from zoo.protocols.digits import report
from zoo.protocols.digits.measure import (  # noqa: F401 (re-exported: tests and other callers)
    BATCH,
    COVERED_SHARE,
    TOY_BINS,
    _as_float,
    _batched,
    _classes_covered,
    _dataset,
    _mean_metric,
    _quantize,
    _split,
    _stack,
    add_digit_noise,
    classifier_outputs,
    downscale_digits,
    generate_samples,
    reconstruction_stats,
    toy_stats,
    vae_elbo,
)
from zoo.protocols.digits.peers import (  # noqa: F401 (re-exported)
    EVALUATORS,
    MEAN_IMAGE,
    load_evaluator,
    mean_image_baseline,
    pca_baseline,
)
from zoo.protocols.digits.report import _row

Result = tuple[list[EvalRecord], str, list[dict[str, str]]]

# Denoising strengths of the card: noise std on the 0-1 scale (the course's noise_factor), additive, then clipped.
DENOISE_SIGMAS = (0.3, 0.5)
GAN_SAMPLES = 10_000  # unconditional models, the full protocol; ``limit`` lowers it for quick runs
GAN_SAMPLES_PER_CLASS = 1_000  # conditional models: this many of every class (10,000 for the ten digits)
KNN_K = 5
TOY_SAMPLES = 5_000


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
    if code_size < pixels:
        pca = pca_baseline(train_images, test_images, code_size)
        method = f"PCA, {code_size} components"
        records += [EvalRecord(name, k, v, method=method) for k, v in reconstruction_stats(x_test.cpu(), pca).items()]
        figure_rows.append(_quantize(pca))
    raw = knn_accuracy(
        train_images.reshape(len(train_images), -1), train_labels, test_images.reshape(len(test_images), -1),
        test_labels, k=KNN_K,
    )  # fmt: skip
    records.append(EvalRecord(name, "kNN accuracy", raw, method=f"raw pixels ({pixels})"))
    notes = report.autoencoder_notes(
        len(test_images), dataset, KNN_K, len(train_images), code_size, pixels, pca=code_size < pixels
    )
    figures = save_image(
        _row(test_images, *figure_rows),
        folder,
        "reconstructions.png",
        "test images, reconstructions" + (", PCA of the same code size" if len(figure_rows) > 1 else ""),
    )
    return records, notes, figures


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
            THIS: _stack([pipe(Image.fromarray(image), prepare=False) for image in noisy]),
            "noisy input": noisy,
            "median 3x3": _stack([Image.fromarray(im).filter(ImageFilter.MedianFilter(3)) for im in noisy]),
        }
        for method, estimate in outputs.items():
            config = f"sigma={sigma:g}"
            records.append(EvalRecord(name, "PSNR", _mean_metric(psnr, clean, estimate), method, config))
            records.append(EvalRecord(name, "SSIM", _mean_metric(ssim, clean, estimate), method, config))
        rows += [noisy, outputs[THIS]]
    notes = report.denoise_digits_notes(len(clean))
    figures = save_image(
        _row(clean, *rows),
        folder,
        "denoising.png",
        "clean; noisy / denoised at sigma " + ", ".join(map(str, DENOISE_SIGMAS)),
    )
    return records, notes, figures


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
        THIS: _stack([pipe(Image.fromarray(image), prepare=False) for image in lr]),
        "bicubic": _stack([Image.fromarray(image).resize(size, Image.Resampling.BICUBIC) for image in lr]),
    }
    name, config = f"{_dataset(pipe)} test", f"x{scale}"
    records = []
    for method, estimate in outputs.items():
        records.append(EvalRecord(name, "PSNR", _mean_metric(y_psnr, hr, estimate, scale=scale), method, config))
        records.append(EvalRecord(name, "SSIM", _mean_metric(y_ssim, hr, estimate, scale=scale), method, config))
    notes = report.superres_digits_notes(len(hr), scale, lr.shape, size)
    figures = save_image(
        _row(hr, lr, outputs["bicubic"], outputs[THIS]),
        folder,
        "superres.png",
        "original, LR input, bicubic, model",
    )
    return records, notes, figures


# ------------------------------------------------------------------------------------------------------------- VAE


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
    notes = report.vae_notes(len(x), dataset, pipe.latent_dim)
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


def evaluate_gan(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """Classifier-FID (Frechet distance of the evaluator classifier's penultimate features, samples vs the test set)
    and, for conditional models, the share of samples classified as the requested label; for unconditional models
    the number of classes covered. Samples: ``GAN_SAMPLES_PER_CLASS`` per class (conditional) or ``GAN_SAMPLES``,
    at most ``limit``; as many test images, or the whole test set when it is smaller. Baseline row: as many real
    training images (or all of them) scored the same way."""
    from zoo.metrics import feature_statistics, frechet_distance

    dataset = _dataset(pipe)
    figures = report.gan_figures(pipe, folder)
    classifier, evaluator = load_evaluator(pipe)
    if classifier is None:
        return [], report.gan_skipped_notes(evaluator, pipe.name), figures
    wanted = GAN_SAMPLES_PER_CLASS * len(pipe.labels) if pipe.labels else GAN_SAMPLES
    n = min(limit or wanted, wanted)
    test_images, test_labels = _split(pipe, data_dir, n)
    train_images, _ = _split(pipe, data_dir, n, split="train")
    samples, requested = generate_samples(pipe, n)
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
    notes = report.gan_notes(
        len(samples), len(test_images), dataset, net, evaluator, accuracy, len(pipe.labels), len(train_images)
    )
    return records, notes, figures


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
    notes = report.toy_notes(n)
    from zoo.pipelines.generative import plot_points

    figures = save_image(plot_points(rows[THIS][:1000]), folder, "points.png", "1,000 generated points vs y = sin(x)")
    return records, notes, figures


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
    notes = report.classifier_notes(len(images), _dataset(pipe), per_class, net)
    figures = report.classifier_errors(images, labels, predictions, names, folder)
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
