"""The 28x28 families' reports: the card notes (protocol prose) and figures. Given the numbers; nothing is measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.protocols.common import SEED, save_image
from zoo.protocols.digits.measure import COVERED_SHARE, TOY_BINS
from zoo.protocols.digits.peers import MEAN_IMAGE


def _row(originals: np.ndarray, *others: np.ndarray, count: int = 8) -> Image.Image:
    """A figure: one row of ``count`` images per array (originals first), all shown at the originals' size."""
    from zoo.pipelines.images import image_grid

    size = originals.shape[1:][::-1]
    rows = [originals, *others]
    tiles = [Image.fromarray(row[i]).resize(size, Image.Resampling.NEAREST) for row in rows for i in range(count)]
    return image_grid(tiles, columns=count)


def autoencoder_notes(
    images: int, dataset: str, knn_k: int, train_images: int, code_size: int, pixels: int, pca: bool
) -> str:
    if pca:
        pca_note = f"The PCA row is the best linear code of the same size ({code_size} components, fit on train)."
    else:
        pca_note = f"PCA is left out: the code ({code_size} numbers) is not smaller than the image ({pixels} pixels)."
    return (
        f"{images} {dataset} test images. BCE: mean binary cross-entropy per pixel of the float output "
        "(Keras `binary_crossentropy`); PSNR: mean per-image PSNR (dB, 0-255) of the uint8 output. kNN accuracy: "
        f"share of test codes whose {knn_k} nearest training codes (Euclidean, all {train_images} training "
        f"images) vote for the right class; code = `pipe.encode` output flattened ({code_size} numbers). {pca_note}"
    )


def denoise_digits_notes(images: int) -> str:
    return (
        f"{images} test images; noise as in training: x + sigma N(0, 1) on the 0-1 scale (sigma 0.3 = 76.5/255), "
        f"clipped to [0, 1] and saved as 8-bit, one draw seeded with {SEED}. PSNR (dB) and SSIM per image on the "
        "0-255 scale, averaged; no border crop. The model is blind (no sigma input)."
    )


def superres_digits_notes(images: int, scale: int, lr_shape: tuple[int, ...], size: tuple[int, int]) -> str:
    return (
        f"{images} test images; LR input = {scale}x{scale} average pooling ({lr_shape[2]}x{lr_shape[1]}, 8-bit), "
        f"output compared with the original {size[0]}x{size[1]}: PSNR (dB) and SSIM per image on the 0-255 scale, "
        f"{scale} border pixels shaved (the super-resolution protocol), averaged."
    )


def vae_notes(images: int, dataset: str, latent_dim: int) -> str:
    return (
        f"ELBO in nats per image on {images} {dataset} test images (one posterior sample, seed {SEED}; higher is "
        f"better; -ELBO bounds the negative log-likelihood). Latent dimension {latent_dim}. Baseline "
        f"'{MEAN_IMAGE}': every image decoded to the per-pixel mean of the training set (no latent, KL 0)."
    )


def gan_skipped_notes(why: str, name: str) -> str:
    return (
        f"Classifier metrics skipped: {why}. Publish the evaluator first (train/classifier.py), then "
        f"rerun `python -m zoo.eval {name}`."
    )


def gan_notes(
    samples: int, test_images: int, dataset: str, net: Any, evaluator: str, accuracy: float, classes: int,
    train_images: int,
) -> str:  # fmt: skip
    """``classes``: the number of labels of a conditional model, 0 for an unconditional one."""
    conditional = classes > 0
    per_class = f", {samples // classes} per class" if conditional else ""
    return (
        f"{samples} samples (`pipe.sample`, seeds {SEED}+, 8-bit{per_class}) vs {test_images} {dataset} test images. "
        f"classifier-FID: Frechet distance of the {net.feature_dim}-d penultimate features (global average pool) of "
        f"`{evaluator}` ({type(net).__name__}, width {net.config.width}; accuracy {accuracy:.2%} on these test "
        "images); lower is better; not comparable with Inception FID. "
        + (
            "label accuracy: share of samples the classifier assigns to the requested label (labels cycle through "
            "the classes). "
            if conditional
            else f"classes covered: classes predicted for at least {COVERED_SHARE:.0%} of a uniform share of samples. "
        )
        + f"The baseline row scores {train_images} real training images the same way."
    )


def gan_figures(pipe: Any, folder: Path | None) -> list[dict[str, str]]:
    from zoo.pipelines.images import image_grid

    def shown(images: list[Image.Image]) -> list[Image.Image]:
        """Colour samples (the 32x32 signs) drawn at twice their size, so that a reader can tell the signs apart;
        the digit and clothing grids keep the 28x28 size of their published cards."""
        if images[0].mode != "RGB":
            return images
        return [im.resize((2 * im.width, 2 * im.height), Image.Resampling.NEAREST) for im in images]

    if pipe.labels:
        rows = [im for k in range(len(pipe.labels)) for im in pipe.sample(10, seed=SEED, label=k)]
        figures = save_image(
            image_grid(shown(rows), 10), folder, "samples_by_label.png",
            "samples, one row per label: " + ", ".join(pipe.labels),
        )  # fmt: skip
    else:
        figures = save_image(image_grid(shown(pipe.sample(64, seed=SEED)), 8), folder, "samples_grid.png", "samples")
    walks = [im for seed in range(4) for im in pipe.interpolate(2 * seed, 2 * seed + 1, 10)]
    return figures + save_image(
        image_grid(shown(walks), 10), folder, "interpolations.png", "latent interpolations (slerp)"
    )


def toy_notes(n: int) -> str:
    return (
        f"{n} points from `pipe.sample_points(n, seed={SEED})`. error: mean |y - sin x| (non-finite points count as "
        f"missing); x coverage: share of {TOY_BINS} equal bins of [-pi, pi] holding at least a quarter of a uniform "
        "share of the points; in range: share of points with x in [-pi, pi]. Baselines: fresh points of the "
        "training distribution, and points uniform in [-pi, pi] x [-1, 1]."
    )


def classifier_notes(images: int, dataset: str, per_class: list[str], net: Any) -> str:
    return (
        f"Top-1 accuracy on {images} {dataset} test images. Per class: {', '.join(per_class)}. "
        f"Backbone: {type(net).__name__} (width {net.config.width}); its {net.feature_dim}-d penultimate features "
        "are the space of the GAN cards' classifier-FID."
    )


def classifier_errors(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, names: list[str], folder: Path | None
) -> list[dict[str, str]]:
    """The first 16 misclassified test images, captioned true -> predicted."""
    wrong = np.flatnonzero(predictions != labels)[:16]
    if not len(wrong):
        return []
    from zoo.pipelines.images import image_grid

    grid = image_grid([Image.fromarray(images[i]) for i in wrong], columns=8)
    caption = "misclassified test images (true -> predicted): " + ", ".join(
        f"{names[labels[i]]}->{names[predictions[i]]}" for i in wrong
    )
    return save_image(grid, folder, "errors.png", caption)
