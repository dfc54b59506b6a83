"""Losses shared by training and evaluation (so the number a card reports is the quantity that was optimised)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def vae_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor):
    """Per-image reconstruction BCE (nats, summed over pixels) and KL(q(z|x) || N(0, I)); -ELBO = bce + kl."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).flatten(1).sum(1)
    return bce, kl
