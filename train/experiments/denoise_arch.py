"""Gray denoisers at equal wall-clock: train each candidate for the same number of CPU seconds, score BSD68 sigma 25.

    python train/experiments/denoise_arch.py --arch ffdnet --seconds 480   # the denoise-gray recipe's network
    python train/experiments/denoise_arch.py --arch unet --seconds 480     # a small noise-aware U-Net (DRUNet-like)

The question it answers: on this 2-core CPU the denoise-gray recipe is compute-bound (more steps kept adding PSNR),
so which network gains most per CPU second? Each run uses denoise-gray's data and step (train400, random 64x64
patches, one of 8 rotations/flips, sigma uniform in [0, 75] per patch, MSE, Adam 1e-3 with 200 warm-up steps and a
cosine decay, batch 16, bf16 autocast); the number of steps is set from the first 40 steps' speed so that training
takes about ``--seconds``. Scored on every 4th BSD68 image (17) with the evaluation protocol (seed-0 Gaussian noise,
float, not clipped; output clipped and quantized; PSNR on uint8). No checkpoint, no card: a probe, not a recipe.

Session 7 (2-core AMD EPYC, 480 s each, nothing else running): ffdnet 4799 steps -> 28.32 dB; unet (32-64-128-256,
one residual block per level, 2.3 M parameters) 3411 steps -> 28.88 dB; unet2 (two blocks per level) 2256 steps ->
28.86 dB. The published denoise-gray (FFDNet, 30000 steps) scores 28.75 dB on the same 17 images.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zoo.data import ImagePatchDataset, dataset_dir, list_images, load_image, resolve_datasets
from zoo.metrics import psnr
from zoo.nets import FFDNet
from zoo.nets.restoration import noise_level_map

WARMUP = 200


class Residual(nn.Module):
    """Conv3-ReLU-Conv3 with an identity skip (no normalisation, as DRUNet and EDSR)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class UNetDenoiser(nn.Module):
    """Noisy image + noise-level map -> U-Net of residual blocks (stride-2 conv down, transposed conv up, additive
    skips) -> predicted noise, subtracted from the input. H and W must be multiples of ``multiple``."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), blocks: int = 1) -> None:
        super().__init__()
        self.head = nn.Conv2d(2, widths[0], 3, padding=1)
        self.encoders = nn.ModuleList(nn.Sequential(*(Residual(w) for _ in range(blocks))) for w in widths[:-1])
        self.downs = nn.ModuleList(nn.Conv2d(a, b, 2, stride=2) for a, b in itertools.pairwise(widths))
        self.middle = nn.Sequential(*(Residual(widths[-1]) for _ in range(blocks)))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in itertools.pairwise(widths))
        self.decoders = nn.ModuleList(nn.Sequential(*(Residual(w) for _ in range(blocks))) for w in widths[:-1])
        self.tail = nn.Conv2d(widths[0], 1, 3, padding=1)
        self.multiple = 2 ** (len(widths) - 1)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        h = self.head(torch.cat([x, noise_level_map(sigma, x, x.shape[-2], x.shape[-1])], dim=1))
        skips = []
        for encoder, down in zip(self.encoders, self.downs, strict=True):
            h = encoder(h)
            skips.append(h)
            h = down(h)
        h = self.middle(h)
        for up, decoder in zip(reversed(self.ups), reversed(self.decoders), strict=True):
            h = decoder(up(h) + skips.pop())
        return x - self.tail(h)


def build(arch: str) -> nn.Module:
    """The candidate network; its last convolution starts at zero (the identity), as train/denoise.py does."""
    if arch == "ffdnet":
        net = FFDNet(in_channels=1, features=64, num_layers=15)
        last, net.multiple = net.body[-1], 2
    elif arch == "unet":
        net = UNetDenoiser(blocks=1)
        last = net.tail
    elif arch == "unet2":
        net = UNetDenoiser(blocks=2)
        last = net.tail
    else:
        raise SystemExit(f"unknown --arch {arch!r}: ffdnet, unet or unet2")
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return net


def score(net: nn.Module, data_dir: str | None, sigma: float = 25.0, stride: int = 4) -> tuple[float, int]:
    """Mean PSNR on every ``stride``-th BSD68 image, the evaluation protocol's noise (zoo.noise, seed 0)."""
    from zoo.noise import add_gaussian_noise

    files = list_images(dataset_dir("bsd68", data_dir))[::stride]
    values = []
    net.eval()
    for path in files:
        clean = np.asarray(load_image(path, None).convert("L"), dtype=np.float64) / 255.0
        x = torch.from_numpy(add_gaussian_noise(clean, sigma, seed=0)).float()[None, None]
        height, width = x.shape[-2:]
        x = F.pad(x, (0, -width % net.multiple, 0, -height % net.multiple), mode="reflect")
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            y = net(x, sigma / 255.0).float()[0, 0, :height, :width].numpy()
        values.append(psnr(np.rint(clean * 255.0), np.clip(np.rint(y * 255.0), 0, 255)))
    return float(np.mean(values)), len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="ffdnet", help="ffdnet (the recipe's), unet, unet2 (two blocks per level)")
    parser.add_argument("--seconds", type=float, default=480.0, help="training wall-clock budget")
    parser.add_argument("--data-dir", default=None, help="data root (default: ../shared/data)")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    net = build(args.arch)
    data = ImagePatchDataset(
        resolve_datasets("train400", args.data_dir), patch_size=64, mode="L", patches_per_image=16, seed=0
    )
    loader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=True, drop_last=True)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def batches():
        epoch = 0
        while True:
            data.set_epoch(epoch)
            epoch += 1
            yield from loader

    stream = batches()

    def step(lr: float) -> None:
        for group in optimizer.param_groups:
            group["lr"] = lr
        clean = next(stream)["image"]
        sigma = torch.rand(clean.shape[0]) * (75.0 / 255.0)
        noisy = clean + sigma.view(-1, 1, 1, 1) * torch.randn_like(clean)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = net(noisy, sigma)
        loss = F.mse_loss(output.float(), clean)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    started = time.perf_counter()
    for i in range(40):
        step(1e-3 * (i + 1) / WARMUP)
    total = max(41, int(args.seconds / ((time.perf_counter() - started) / 40)))
    for i in range(40, total):
        step(1e-3 * min(1.0, (i + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * i / total)))
    minutes = (time.perf_counter() - started) / 60
    value, count = score(net, args.data_dir)
    params = sum(p.numel() for p in net.parameters()) / 1e6
    print(
        f"{args.arch}: {params:.2f} M parameters, {total} steps in {minutes:.1f} min; "
        f"BSD68 every-4 ({count} images) sigma 25 PSNR {value:.2f} dB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
