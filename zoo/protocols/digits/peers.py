"""The 28x28 families' baselines and judges: PCA with the same code size, the mean training image, the classifier that
judges a GAN's samples (``EVALUATORS``). The simple per-protocol baselines (median filter, bicubic, real or uniform
points) are one line each in the protocols."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from zoo.errors import ZooError
from zoo.protocols.digits.measure import _as_float, _dataset, _split

# The classifier that judges each dataset's generated samples (published before the GANs are evaluated).
EVALUATORS = {"mnist": "classifier-mnist", "fashion-mnist": "classifier-fashion", "gtsrb4": "classifier-signs"}
MEAN_IMAGE = "mean training image"


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
