"""Tiny generated photo folders (every training and test set the restoration scripts and protocols read, a few small
images each) and tiny restoration pipelines with random weights, built in well under a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

GRAY_FOLDERS = ("train400", "set12", "bsd68")
COLOUR_FOLDERS = (
    "bsds500/train", "bsds500/test", "t91", "imagenet-sample/train", "cbsd68", "kodak24", "sun_hays80", "set5", "set14",
)  # fmt: skip


def photo(height: int, width: int, seed: int, channels: int = 3) -> np.ndarray:
    """A smooth, photo-like uint8 image: blurred blobs and gradients (denoisers and estimators behave as on photos)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    layers = []
    for _ in range(channels):
        wave = np.sin(6 * x * rng.uniform(0.5, 2) + rng.uniform(0, 6)) * np.cos(4 * y * rng.uniform(0.5, 2))
        image = 0.5 + 0.3 * wave
        for _ in range(4):
            cy, cx, r = rng.uniform(0, 1, 3)
            image += 0.25 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (0.02 + 0.05 * r)) * rng.choice([-1, 1])
        layers.append(image)
    array = np.clip(np.stack(layers, axis=2) * 255, 0, 255).astype(np.uint8)
    return array[..., 0] if channels == 1 else array


def write_data_root(root: Path, count: int = 3, size: tuple[int, int] = (48, 64)) -> Path:
    for folder in GRAY_FOLDERS + COLOUR_FOLDERS:
        path = root / folder
        path.mkdir(parents=True, exist_ok=True)
        channels = 1 if folder in GRAY_FOLDERS else 3
        for index in range(count):
            suffix = ".bmp" if folder in ("set5", "set14", "t91") else ".jpg" if folder == "bsds500/train" else ".png"
            Image.fromarray(photo(*size, seed=index, channels=channels)).save(path / f"{index + 1:02d}{suffix}")
    return root


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """A data root with train400, bsds500/train and /test, t91 and every test set, 3 images of 48x64 each."""
    return write_data_root(tmp_path_factory.mktemp("restoration-data"))


@pytest.fixture
def no_bm3d(monkeypatch):
    from zoo.protocols import restoration

    monkeypatch.setattr(restoration, "BM3D_PEER", False)


def lively(net: torch.nn.Module, gain: float = 0.05) -> torch.nn.Module:
    """He-initialised convolutions, so a deep random net's output really depends on its whole receptive field (the
    default init fades the signal out within a few layers, which would make tiling tests pass vacuously); the last
    convolution is scaled by ``gain`` so outputs stay in a sane range."""
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    for conv in convs:
        torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    with torch.no_grad():
        convs[-1].weight.mul_(gain)
    return net


def gray_denoiser(num_layers: int = 4, seed: int = 0):
    from zoo.nets import FFDNet
    from zoo.pipelines import DenoisePipeline

    torch.manual_seed(seed)
    net = lively(FFDNet(in_channels=1, features=8, num_layers=num_layers), gain=1.0)
    options = {"channels": 1, "noise_aware": True, "max_sigma": 75, "protocol": "denoise-photo"}
    return DenoisePipeline({"model": net}, options=options)


def colour_denoiser(num_layers: int = 3, seed: int = 0):
    from zoo.nets import FFDNet
    from zoo.pipelines import DenoisePipeline

    torch.manual_seed(seed)
    net = lively(FFDNet(in_channels=3, features=8, num_layers=num_layers), gain=1.0)
    options = {"channels": 3, "noise_aware": True, "max_sigma": 75, "protocol": "denoise-photo"}
    return DenoisePipeline({"model": net}, options=options)


def drunet_denoiser(channels: int = 1, seed: int = 0):
    from zoo.nets import DRUNet
    from zoo.pipelines import DenoisePipeline

    torch.manual_seed(seed)
    net = lively(DRUNet(in_channels=channels, widths=(4, 8, 16), blocks=1), gain=1.0)
    options = {"channels": channels, "noise_aware": True, "max_sigma": 75, "protocol": "denoise-photo"}
    return DenoisePipeline({"model": net}, options=options)


def real_denoiser(seed: int = 0):
    """A tiny colour DRUNet plus a strength estimator: the shape of ``denoise-real``."""
    from zoo.nets import DRUNet, StrengthEstimator
    from zoo.pipelines import DenoisePipeline

    torch.manual_seed(seed)
    net = lively(DRUNet(in_channels=3, widths=(4, 8, 16), blocks=1), gain=1.0)
    estimator = StrengthEstimator(in_channels=3, features=4)
    options = {"channels": 3, "noise_aware": True, "max_sigma": 75, "protocol": "denoise-real"}
    return DenoisePipeline({"model": net, "estimator": estimator}, options=options)


def super_resolver(scale: int = 2, num_blocks: int = 1, seed: int = 0):
    from zoo.nets import SuperResNet
    from zoo.pipelines import SuperResolutionPipeline

    torch.manual_seed(seed)
    net = lively(SuperResNet(scale=scale, features=8, num_blocks=num_blocks), gain=0.2)
    return SuperResolutionPipeline({"model": net}, {"scale": scale, "channels": 3, "protocol": "superres-photo"})


def colouriser(seed: int = 0, hints: bool = False):
    """A tiny random colouriser; ``hints=True``: a 4-input-channel network whose pipeline takes colour hints."""
    from zoo.nets import ColorizationUNet
    from zoo.pipelines import ColorizePipeline

    torch.manual_seed(seed)
    net = ColorizationUNet(in_channels=4 if hints else 1, num_downs=3, ngf=4)
    return ColorizePipeline({"model": net}, {"working_size": 64, "protocol": "colorize"})
