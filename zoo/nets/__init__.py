"""The zoo's network architectures (``nn.Module`` + diffusers ``ModelMixin``/``ConfigMixin``; no file I/O, no PIL).

``NET_CLASSES`` is the explicit allowlist that checkpoint loading uses: a ``config.json`` whose ``_class_name`` is not
a key here is refused, so a checkpoint can never name an arbitrary class.

Example:
    >>> from zoo.nets import NET_CLASSES
    >>> net = NET_CLASSES["UNetGenerator"](num_downs=7, ngf=8)
"""

from __future__ import annotations

from zoo.nets.autoencoder import ConvAutoencoder, DenseAutoencoder, SuperResAutoencoder
from zoo.nets.base import ZooNet
from zoo.nets.gan import DCGANDiscriminator, DCGANGenerator, ImageClassifier, ToyDiscriminator, ToyGenerator
from zoo.nets.resnet import ResnetGenerator
from zoo.nets.restoration import ColorizationUNet, DnCNN, DRUNet, FFDNet, StrengthEstimator, SuperResNet
from zoo.nets.unet import PatchDiscriminator, UNetGenerator
from zoo.nets.vae import MLPVAE, ConvVAE

NET_CLASSES: dict[str, type[ZooNet]] = {
    cls.__name__: cls
    for cls in (
        DenseAutoencoder,
        ConvAutoencoder,
        SuperResAutoencoder,
        MLPVAE,
        ConvVAE,
        DCGANGenerator,
        DCGANDiscriminator,
        ToyGenerator,
        ToyDiscriminator,
        ImageClassifier,
        UNetGenerator,
        PatchDiscriminator,
        ResnetGenerator,
        FFDNet,
        DRUNet,
        DnCNN,
        SuperResNet,
        StrengthEstimator,
        ColorizationUNet,
    )
}

__all__ = [
    "MLPVAE",
    "NET_CLASSES",
    "ColorizationUNet",
    "ConvAutoencoder",
    "ConvVAE",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DRUNet",
    "DenseAutoencoder",
    "DnCNN",
    "FFDNet",
    "ImageClassifier",
    "PatchDiscriminator",
    "ResnetGenerator",
    "StrengthEstimator",
    "SuperResAutoencoder",
    "SuperResNet",
    "ToyDiscriminator",
    "ToyGenerator",
    "UNetGenerator",
    "ZooNet",
]
