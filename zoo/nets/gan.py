"""GAN networks: the DCGAN pair (optionally class-conditional), the course's 2-D toy GAN, and a small image classifier
used to score GAN samples and to classify CycleGAN domains.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.errors import InputError
from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import ConvNormAct, check_image_shape, make_mlp

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "ImageClassifier", "ToyDiscriminator", "ToyGenerator"]


def check_labels(labels: torch.Tensor | None, num_classes: int, batch: int, owner: str) -> None:
    """Raise ``InputError`` unless ``labels`` suits the net: ``None`` when unconditional, else ints ``[N]`` in range."""
    if num_classes == 0:
        if labels is not None:
            raise InputError(f"{owner} is unconditional (num_classes=0): call it without labels.")
        return
    if labels is None:
        raise InputError(f"{owner} is class-conditional (num_classes={num_classes}): pass labels, a LongTensor [N].")
    if labels.shape != (batch,) or labels.is_floating_point():
        raise InputError(
            f"{owner} expects integer labels of shape [{batch}], got {labels.dtype} {tuple(labels.shape)}."
        )
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        low, high = int(labels.min()), int(labels.max())
        raise InputError(f"{owner} labels must lie in [0, {num_classes - 1}], got values from {low} to {high}.")


class DCGANGenerator(ZooNet):
    """DCGAN generator: ``forward(z, labels=None)``, z ``[N, latent_dim]`` -> images ``[N, out_channels, S, S]`` in
    [-1, 1] (tanh), S = ``image_size`` (a multiple of 4; 28 for MNIST).

    z -> Linear -> BN -> ReLU to ``[2 * ngf, S/4, S/4]`` -> ConvTranspose4 s2 -> BN -> ReLU (``ngf``) ->
    ConvTranspose4 s2 -> tanh. ``labels``: LongTensor ``[N]`` in ``[0, num_classes)``, required iff conditional.

    Where a conditional generator takes its learned ``embed_dim`` label embedding (``label_injection``):

    - ``"input"``: joined with z before the projection;
    - ``"map"``: through a Linear to one ``S/4 x S/4`` label map, joined as an extra channel after the projection
      (the course's Keras conditional GAN). On MNIST this keeps the samples diverse: with ``"input"`` the projection's
      BatchNorm let the label swamp z and each class collapsed to one image (per-class std across z 0.05 vs 0.25).
    """

    @register_to_config
    def __init__(
        self,
        latent_dim: int = 100,
        num_classes: int = 0,
        ngf: int = 64,
        image_size: int = 28,
        out_channels: int = 1,
        embed_dim: int = 50,
        label_injection: str = "input",
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size={image_size} must be a multiple of 4 (two x2 upsamplings), e.g. 28 or 64.")
        if label_injection not in ("input", "map"):
            raise ValueError(f"label_injection must be 'input' or 'map', got {label_injection!r}")
        side = image_size // 4
        self.label_embedding = nn.Embedding(num_classes, embed_dim) if num_classes else None
        as_map = bool(num_classes) and label_injection == "map"
        self.label_map = nn.Linear(embed_dim, side * side) if as_map else None
        in_features = latent_dim + (embed_dim if num_classes and not as_map else 0)
        self.project = nn.Sequential(
            nn.Linear(in_features, 2 * ngf * side * side, bias=False),
            nn.Unflatten(1, (2 * ngf, side, side)),
            nn.BatchNorm2d(2 * ngf),
            nn.ReLU(),
        )
        self.upsample = nn.Sequential(
            ConvNormAct(2 * ngf + int(as_map), ngf, 4, 2, 1, norm="batch", act="relu", transpose=True),
            ConvNormAct(ngf, out_channels, 4, 2, 1, act="tanh", transpose=True),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """z ``[N, latent_dim]`` (``[N, latent_dim, 1, 1]`` also accepted), labels ``[N]`` or None ->
        ``[N, out_channels, S, S]`` in [-1, 1]."""
        z = z.flatten(1)
        check_labels(labels, self.config.num_classes, z.shape[0], type(self).__name__)
        if self.label_embedding is None:
            return self.upsample(self.project(z))
        embedding = self.label_embedding(labels)
        if self.label_map is None:
            return self.upsample(self.project(torch.cat([z, embedding], dim=1)))
        side = self.config.image_size // 4
        label_map = self.label_map(embedding).view(-1, 1, side, side)
        return self.upsample(torch.cat([self.project(z), label_map], dim=1))


class DCGANDiscriminator(ZooNet):
    """DCGAN discriminator: ``forward(x, labels=None)``, images ``[N, in_channels, S, S]`` in [-1, 1] -> logits ``[N]``.

    2 x (Conv4 s2 -> LeakyReLU(0.2) -> Dropout) with ``ndf`` and ``2 * ndf`` channels, flatten, Linear to one logit.
    Conditional (``num_classes > 0``), by ``conditioning``:

    - ``"channel"``: a learned ``S x S`` label map (embedding of the label) is appended to the image as an extra
      channel, as in the course's conditional GAN;
    - ``"projection"`` (Miyato & Koyama 2018): the logit gains the inner product of a learned class embedding with
      D's features, ``head(h) + <embed(y), h>``, so every feature is judged against the requested class.

    ``auxiliary_classes > 0`` adds an AC-GAN class head on the same features: ``forward(x, labels,
    with_class_logits=True)`` returns ``(logits, class_logits [N, auxiliary_classes])``. The features must not see the
    label for that, so it needs ``conditioning="projection"`` (or an unconditional D). Only ``image_size`` x
    ``image_size`` inputs.
    """

    @register_to_config
    def __init__(
        self,
        num_classes: int = 0,
        ndf: int = 64,
        image_size: int = 28,
        in_channels: int = 1,
        dropout: float = 0.3,
        conditioning: str = "channel",
        auxiliary_classes: int = 0,
    ) -> None:
        super().__init__()
        if conditioning not in ("channel", "projection"):
            raise ValueError(f"conditioning must be 'channel' or 'projection', got {conditioning!r}")
        if auxiliary_classes and num_classes and conditioning == "channel":
            raise ValueError("auxiliary_classes needs label-free features: use conditioning='projection'")
        side = image_size // 4
        features = 2 * ndf * side * side
        label_channel = bool(num_classes) and conditioning == "channel"
        self.label_embedding = nn.Embedding(num_classes, image_size * image_size) if label_channel else None
        self.class_projection = None
        if num_classes and conditioning == "projection":
            self.class_projection = nn.Embedding(num_classes, features)
            nn.init.normal_(self.class_projection.weight, std=features**-0.5)
        self.features = nn.Sequential(
            ConvNormAct(in_channels + int(label_channel), ndf, 4, 2, 1, act="leaky_relu", dropout=dropout),
            ConvNormAct(ndf, 2 * ndf, 4, 2, 1, act="leaky_relu", dropout=dropout),
            nn.Flatten(),
        )
        self.head = nn.Linear(features, 1)
        self.class_head = nn.Linear(features, auxiliary_classes) if auxiliary_classes else None

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, with_class_logits: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Images ``[N, C, S, S]`` in [-1, 1], labels ``[N]`` or None -> real/fake logits ``[N]`` (and the auxiliary
        class logits ``[N, auxiliary_classes]`` when ``with_class_logits``)."""
        size = self.config.image_size
        check_image_shape(x, self.config.in_channels, size, type(self).__name__)
        check_labels(labels, self.config.num_classes, x.shape[0], type(self).__name__)
        if self.label_embedding is not None:
            x = torch.cat([x, self.label_embedding(labels).view(-1, 1, size, size)], dim=1)
        h = self.features(x)
        logits = self.head(h).squeeze(1)
        if self.class_projection is not None:
            logits = logits + (self.class_projection(labels) * h).sum(dim=1)
        if not with_class_logits:
            return logits
        if self.class_head is None:
            raise ValueError(f"{type(self).__name__} has no class head (auxiliary_classes=0)")
        return logits, self.class_head(h)


class ToyGenerator(ZooNet):
    """Generator of the course's 2-D GAN (points on y = sin(x)): z ``[N, latent_dim]`` -> points ``[N, out_dim]``.

    MLP: 2 x (Linear -> LeakyReLU(0.2)) of width ``hidden``, then a linear output (unbounded coordinates).
    """

    @register_to_config
    def __init__(self, latent_dim: int = 2, hidden: int = 64, out_dim: int = 2) -> None:
        super().__init__()
        self.model = make_mlp([latent_dim, hidden, hidden, out_dim], act="leaky_relu")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``[N, latent_dim]`` -> ``[N, out_dim]``."""
        return self.model(z)


class ToyDiscriminator(ZooNet):
    """Discriminator of the course's 2-D GAN: points ``[N, in_dim]`` -> real/fake logits ``[N]``.

    MLP: 2 x (Linear -> LeakyReLU(0.2)) of width ``hidden``, then Linear to one logit.
    """

    @register_to_config
    def __init__(self, in_dim: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.model = make_mlp([in_dim, hidden, hidden, 1], act="leaky_relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_dim]`` -> ``[N]`` logits."""
        return self.model(x).squeeze(1)


class ImageClassifier(ZooNet):
    """Small CNN classifier: images ``[N, in_channels, H, W]`` -> logits ``[N, num_classes]``.

    Used to score GAN samples (e.g. MNIST digits) and to classify CycleGAN domains. Three stages of
    Conv3 -> BN -> ReLU (``width``, ``2 * width``, ``4 * width`` channels) separated by MaxPool 2, then global average
    pooling, so any H, W >= 4 works (28x28 grey, 64x64 or 128x128 RGB); ``image_size`` records the training size.
    ``features(x)`` returns the pooled ``[N, feature_dim]`` vector (``feature_dim = 4 * width``) that the linear head
    reads. Inputs in [-1, 1] or [0, 1], as trained (the batch norms adapt to either).
    """

    @register_to_config
    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, width: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(in_channels, width, 3, norm="batch", act="relu"),
            ConvNormAct(width, width, 3, norm="batch", act="relu"),
            nn.MaxPool2d(2),
            ConvNormAct(width, 2 * width, 3, norm="batch", act="relu"),
            ConvNormAct(2 * width, 2 * width, 3, norm="batch", act="relu"),
            nn.MaxPool2d(2),
            ConvNormAct(2 * width, 4 * width, 3, norm="batch", act="relu"),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(4 * width, num_classes)

    @property
    def feature_dim(self) -> int:
        """Length of the vector ``features`` returns."""
        return 4 * self.config.width

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` -> penultimate features ``[N, feature_dim]``."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` -> class logits ``[N, num_classes]``."""
        return self.head(self.features(x))
