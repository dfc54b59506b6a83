"""Tiny MNIST-format data (idx files in tmp), a tiny gtsrb4 folder, and tiny, untrained 28x28-family pipelines (and
the colour sign GAN and judge), built in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.signs import write_gtsrb_folder
from zoo.data import FASHION_CLASSES, MNIST_CLASSES, SIGN_CLASSES, write_idx

TRAIN, TEST = 80, 40
DIGITS = list(MNIST_CLASSES)


def tiny_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [n, 28, 28] white-on-black images whose class (0-9) sets where two bright bars are, plus faint noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for index, label in enumerate(labels):
        images[index, 4 + 2 * label : 7 + 2 * label, 6:22] = 255
        images[index, 6:22, 4 + 2 * label] = 200
    return images, labels.astype(np.uint8)


def write_mnist_folder(folder: Path, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n, offset in (("train", TRAIN, 0), ("t10k", TEST, 1)):
        images, labels = tiny_digits(n, seed + offset)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A data root with tiny ``mnist`` and ``fashion-mnist`` folders in MNIST's idx layout."""
    root = tmp_path_factory.mktemp("digits-data")
    write_mnist_folder(root / "mnist", seed=0)
    write_mnist_folder(root / "fashion-mnist", seed=10)
    write_gtsrb_folder(root / "gtsrb4")
    return root


def build_pipelines() -> dict:
    """One tiny, untrained, seeded pipeline per 28x28 family (options as the training scripts write them)."""
    from zoo import nets
    from zoo import pipelines as p

    torch.manual_seed(0)
    return {
        "ae-dense": p.AutoencoderPipeline({"model": nets.DenseAutoencoder(code_size=8, hidden_sizes=[16])},
                                          options={"dataset": "mnist"}),
        "ae-conv": p.AutoencoderPipeline({"model": nets.ConvAutoencoder(base_channels=4)},
                                         options={"dataset": "mnist"}),
        "denoise": p.DenoisePipeline({"model": nets.ConvAutoencoder(base_channels=4)},
                                     options={"channels": 1, "image_size": 28, "protocol": "denoise-digits"}),
        "superres": p.SuperResolutionPipeline({"model": nets.SuperResAutoencoder(base_channels=4)},
                                              options={"scale": 2, "channels": 1, "protocol": "superres-digits"}),
        "gan": p.GANPipeline({"model": nets.DCGANGenerator(latent_dim=8, ngf=4)}, options={"dataset": "mnist"}),
        "cgan": p.GANPipeline({"model": nets.DCGANGenerator(latent_dim=8, ngf=4, num_classes=10, embed_dim=3)},
                              options={"labels": DIGITS, "dataset": "mnist"}),
        "gan-fashion": p.GANPipeline({"model": nets.DCGANGenerator(latent_dim=8, ngf=4, num_classes=10)},
                                     options={"labels": list(FASHION_CLASSES), "dataset": "fashion-mnist"}),
        "toy": p.ToyGANPipeline({"model": nets.ToyGenerator(latent_dim=3, hidden=8)}, options={"protocol": "gan-toy"}),
        "classifier": p.ClassifierPipeline({"model": nets.ImageClassifier(width=4)},
                                           options={"labels": DIGITS, "dataset": "mnist"}),
        "vae": p.VAEPipeline({"model": nets.MLPVAE(latent_dim=2, hidden_sizes=[16])}, options={"dataset": "mnist"}),
        "gan-signs": p.GANPipeline({"model": nets.DCGANGenerator(latent_dim=8, ngf=4, num_classes=4, image_size=32,
                                                                 out_channels=3, label_injection="map")},
                                   options={"labels": list(SIGN_CLASSES), "dataset": "gtsrb4"}),
        "classifier-signs": p.ClassifierPipeline({"model": nets.ImageClassifier(in_channels=3, num_classes=4,
                                                                                image_size=32, width=4)},
                                                 options={"labels": list(SIGN_CLASSES), "dataset": "gtsrb4"}),
    }  # fmt: skip


@pytest.fixture(scope="session")
def pipes() -> dict:
    return build_pipelines()


@pytest.fixture(scope="session")
def classifier_folder(tmp_path_factory, pipes) -> Path:
    """The tiny classifier saved as a checkpoint folder (an evaluator for the GAN protocol)."""
    return pipes["classifier"].save_pretrained(tmp_path_factory.mktemp("evaluator") / "classifier-mnist")


@pytest.fixture(scope="session")
def signs_classifier_folder(tmp_path_factory, pipes) -> Path:
    """The tiny colour sign classifier saved as a checkpoint folder (the evaluator of a sign GAN)."""
    return pipes["classifier-signs"].save_pretrained(tmp_path_factory.mktemp("evaluator") / "classifier-signs")
