"""Variational autoencoders with a diagonal Gaussian posterior and a Bernoulli decoder (Kingma & Welling 2014).

Both classes share one API (``GaussianVAEMixin``): ``encode(x) -> (mu, logvar)``, ``reparameterize``,
``decode(z) -> logits``, ``forward(x) -> (logits, mu, logvar)``; they differ only in their encoder/decoder stacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import ConvNormAct, check_image_shape, make_mlp

__all__ = ["MLPVAE", "ConvVAE", "GaussianVAEMixin"]

# Posterior means of a trained VAE live within a few units of 0; clamping far beyond that changes nothing there and
# keeps every finite z (1e6, 1e30) decoding to finite logits.
LATENT_LIMIT = 1e4
LOGVAR_RANGE = (-30.0, 20.0)  # exp(0.5 * logvar) stays finite and non-zero


class GaussianVAEMixin:
    """The VAE API over ``self.encoder`` (image -> ``[N, 2 * latent_dim]``) and ``self.decoder`` (z -> logits)."""

    encoder: nn.Module
    decoder: nn.Module
    config: Any
    training: bool

    @property
    def latent_dim(self) -> int:
        """Size of the latent vector z."""
        return self.config.latent_dim

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``[N, C, S, S]`` in [0, 1] -> posterior ``(mu, logvar)``, each ``[N, latent_dim]``."""
        check_image_shape(x, self.config.in_channels, self.config.image_size, type(self).__name__)
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def reparameterize(
        self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """A sample ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)`` drawn from ``generator``: ``[N, latent_dim]``.

        ``logvar`` is clamped to [-30, 20] so the scale stays finite and non-zero."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar.clamp(*LOGVAR_RANGE)) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[N, latent_dim]`` (any finite values) -> Bernoulli logits ``[N, C, S, S]``; apply sigmoid for
        pixel probabilities in [0, 1]."""
        return self.decoder(z.clamp(-LATENT_LIMIT, LATENT_LIMIT))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Images ``[N, C, S, S]`` in [0, 1] -> ``(logits [N, C, S, S], mu, logvar)``.

        z is sampled in training mode and equals ``mu`` in eval mode (a deterministic reconstruction).
        """
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar


class MLPVAE(GaussianVAEMixin, ZooNet):
    """Fully connected VAE on ``image_size`` x ``image_size`` images (``latent_dim=2``: the latent explorer's default).

    Encoder: flatten -> (Linear -> ReLU per ``hidden_sizes``) -> Linear to ``2 * latent_dim`` (mu, logvar).
    Decoder: Linear -> ReLU through the reversed ``hidden_sizes`` -> Linear to ``C * S * S`` logits.
    """

    @register_to_config
    def __init__(
        self,
        image_size: int = 28,
        in_channels: int = 1,
        latent_dim: int = 2,
        hidden_sizes: Sequence[int] = (512, 256),
    ) -> None:
        super().__init__()
        pixels = in_channels * image_size * image_size
        self.encoder = nn.Sequential(nn.Flatten(), make_mlp([pixels, *hidden_sizes, 2 * latent_dim]))
        self.decoder = nn.Sequential(
            make_mlp([latent_dim, *hidden_sizes[::-1], pixels]), nn.Unflatten(1, (in_channels, image_size, image_size))
        )


class ConvVAE(GaussianVAEMixin, ZooNet):
    """Convolutional VAE (the Keras VAE example's layout) on ``image_size`` x ``image_size`` images, S % 4 == 0.

    Encoder: Conv3 s2 -> ReLU (``base_channels``), Conv3 s2 -> ReLU (``2 * base_channels``), flatten, Linear to
    ``2 * latent_dim``. Decoder: Linear -> ReLU to ``[2 * base_channels, S/4, S/4]``, 2 x (ConvTranspose4 s2 -> ReLU),
    Conv3 to ``C`` logits.
    """

    @register_to_config
    def __init__(
        self, image_size: int = 28, in_channels: int = 1, latent_dim: int = 16, base_channels: int = 32
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size={image_size} must be a multiple of 4 (two stride-2 stages), e.g. 28 or 32.")
        side, width = image_size // 4, 2 * base_channels
        self.encoder = nn.Sequential(
            ConvNormAct(in_channels, base_channels, 3, stride=2, act="relu"),
            ConvNormAct(base_channels, width, 3, stride=2, act="relu"),
            nn.Flatten(),
            nn.Linear(width * side * side, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            make_mlp([latent_dim, width * side * side], final_act="relu"),
            nn.Unflatten(1, (width, side, side)),
            ConvNormAct(width, base_channels, 4, 2, 1, act="relu", transpose=True),
            ConvNormAct(base_channels, base_channels, 4, 2, 1, act="relu", transpose=True),
            nn.Conv2d(base_channels, in_channels, 3, padding=1),
        )
