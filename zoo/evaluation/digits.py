"""Protocols for the 28x28 families (EVALUATION.md, "VAE / GAN / autoencoders"): autoencoders, VAEs, GANs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.cards import EvalRecord
from zoo.evaluation.common import SEED, save_image


# ------------------------------------------------------------------------------------------------------------- VAE
@torch.no_grad()
def vae_elbo(net: torch.nn.Module, images: torch.Tensor, batch: int = 500, seed: int = SEED) -> dict[str, float]:
    """Mean test ELBO (nats; one posterior sample per image, fixed seed), its BCE and KL, and reconstruction PSNR."""
    from zoo.losses import vae_terms
    from zoo.metrics import psnr

    generator = torch.Generator().manual_seed(seed)
    bce_all, kl_all, psnrs = [], [], []
    for start in range(0, len(images), batch):
        x = images[start : start + batch]
        mu, logvar = net.encode(x)
        z = net.reparameterize(mu, logvar, generator=generator)
        bce, kl = vae_terms(net.decode(z), x, mu, logvar)
        bce_all.append(bce)
        kl_all.append(kl)
        recon = torch.sigmoid(net.decode(mu))
        psnrs += [psnr(a.numpy() * 255, b.numpy() * 255) for a, b in zip(x, recon, strict=True)]
    bce, kl = torch.cat(bce_all), torch.cat(kl_all)
    return {
        "ELBO": float(-(bce + kl).mean()),
        "BCE": float(bce.mean()),
        "KL": float(kl.mean()),
        "PSNR": float(np.mean(psnrs)),
    }


def evaluate_vae(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> tuple[list[EvalRecord], str, list[dict[str, str]]]:
    from zoo.data import FASHION_CLASSES, MNIST_CLASSES, load_mnist
    from zoo.pipelines.images import image_grid
    from zoo.plots import scatter_plot

    dataset = pipe.options.get("dataset") or "mnist"
    images, labels = load_mnist(dataset, "test", data_dir)
    images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images).float().div(255.0)[:, None]
    net = pipe.models["model"]
    stats = vae_elbo(net, x)
    name = f"{dataset} test"
    records = [EvalRecord(name, metric, value) for metric, value in stats.items()]
    notes = (
        f"ELBO in nats per image on {len(x)} {dataset} test images (one posterior sample, seed {SEED}; higher is "
        f"better; -ELBO bounds the negative log-likelihood). Latent dimension {pipe.latent_dim}."
    )
    figures = []
    with torch.no_grad():
        recon = pipe.decode(pipe.encode([images[i] for i in range(8)]))
    from PIL import Image

    originals = [Image.fromarray(images[i]) for i in range(8)]
    figures += save_image(
        image_grid(originals + recon, columns=8),
        folder,
        "reconstructions.png",
        "test images (top) and reconstructions (bottom)",
    )
    codes = net.encode(x[:5000])[0].detach().numpy()
    names = FASHION_CLASSES if "fashion" in dataset else MNIST_CLASSES
    figures += save_image(
        scatter_plot(codes, labels[:5000], list(names)),
        folder,
        "latent_scatter.png",
        "test-set encodings (first two latent dimensions), coloured by class",
    )
    figures += save_image(pipe.manifold(15, 3.0), folder, "latent_manifold.png", "decoded latent grid")
    return records, notes, figures


PROTOCOLS = {"vae": evaluate_vae}
