"""Losses shared by training and evaluation (so the number a card reports is the quantity that was optimised)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def vae_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor):
    """Per-image reconstruction BCE (nats, summed over pixels) and KL(q(z|x) || N(0, I)); -ELBO = bce + kl."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).flatten(1).sum(1)
    return bce, kl


def gan_loss(prediction: torch.Tensor, real: bool, mode: str = "vanilla", real_target: float = 1.0) -> torch.Tensor:
    """The GAN objective on discriminator outputs (one per image or per patch): ``"vanilla"`` = BCE on logits,
    ``"lsgan"`` = least squares. Targets: ``real_target`` for real (below 1 = one-sided label smoothing), 0 for fake."""
    target = torch.full_like(prediction, real_target if real else 0.0)
    if mode == "lsgan":
        return F.mse_loss(prediction, target)
    return F.binary_cross_entropy_with_logits(prediction, target)


def judged_real(prediction: torch.Tensor, mode: str = "vanilla") -> float:
    """Share of outputs the discriminator calls real (logit > 0; LSGAN output > 0.5): the course's health signal."""
    threshold = 0.5 if mode == "lsgan" else 0.0
    return float((prediction.detach() > threshold).float().mean())


def batch_psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR (dB) of a batch of [0, 1] outputs against targets (clipped, one number), for training logs."""
    mse = F.mse_loss(output.detach().clamp(0, 1), target).clamp_min(1e-10)
    return float(10 * torch.log10(1 / mse))
