"""Train a noise-level-aware photo denoiser (DRUNet or FFDNet) for Gaussian noise of sigma 0-75 in one model.

python -m train.denoise --config denoise-gray     # gray photos, train400
python -m train.denoise --config denoise-color    # colour photos, bsds500/train + t91
python -m train.denoise --config denoise-gray --arch ffdnet --features 64 --num-layers 15   # the FFDNet baseline

Every training patch gets its own noise level, uniform in [0, --max-sigma] (0-255 scale); the network is told that
level (a noise-level map next to the image) and predicts the noise. ``--arch drunet``: a residual U-Net
(``--widths``, ``--blocks`` per level); ``--arch ffdnet``: a plain conv stack at half resolution (2x2 pixel
unshuffle; ``--features``, ``--num-layers``).

``--degradations real`` (the ``denoise-real`` recipe) trains on real-world damage instead of white noise: each clean
patch gets ``zoo.degradations.DenoiseMix`` (Gaussian, signal-dependent and correlated noise, JPEG at quality 10-95,
combinations in shuffled order, clean patches too); the denoiser is conditioned on the degradation's effective
strength (RMS error, 0-255) and a small ``StrengthEstimator`` learns to predict that strength from the degraded
patch, so blind mode needs no white-noise estimator. ``--estimator-only`` (with ``--init-from`` a finished run) keeps
that denoiser frozen and trains a new estimator alone; the published ``denoise-real`` is made that way, in three recipes
(``denoise-real-base``, then ``denoise-real-estimator``: 64 features, attention pooling, 128x128 patches, because the
estimator trained jointly on 64x64 patches over-read white noise, sigma 25 read as ~31-38; then ``denoise-real``:
``--init-estimator`` keeps that estimator and the denoiser is fine-tuned on 128x128 patches, so one pass does what
the transpose self-ensemble did, in half the time). ``--downscale-sources`` names
source folders (e.g. the twice-JPEG'd ``imagenet-sample``) that are area-downscaled 2x when loaded, which averages
their own JPEG artefacts away before they serve as clean targets.
"""

from __future__ import annotations

import argparse
import math
import sys

import torch
import torch.nn.functional as F

from train import engine
from zoo.data import resolve_datasets
from zoo.losses import batch_psnr
from zoo.pipelines.images import tensors_to_images


def widths(text: str) -> tuple[int, ...]:
    """``"32,64,128,256"`` -> ``(32, 64, 128, 256)`` (argparse type for --widths)."""
    try:
        values = tuple(int(part) for part in str(text).split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--widths takes comma-separated integers, got {text!r}") from error
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--widths needs at least two positive widths, got {text!r}")
    return values


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channels", type=int, default=1, choices=[1, 3], help="1: gray photos, 3: colour photos")
    parser.add_argument("--arch", default="drunet", choices=["drunet", "ffdnet"], help="the denoising network")
    parser.add_argument("--widths", type=widths, default="32,64,128,256", help="DRUNet features per level")
    parser.add_argument("--blocks", type=int, default=1, help="DRUNet residual blocks per level")
    parser.add_argument("--features", type=int, default=64, help="FFDNet width (paper: 64 gray, 96 colour)")
    parser.add_argument("--num-layers", type=int, default=15, help="FFDNet depth (paper: 15 gray, 12 colour)")
    parser.add_argument("--max-sigma", type=float, default=75.0, help="noise levels are drawn from [0, max] (0-255)")
    parser.add_argument(
        "--max-grad-norm",
        type=float,
        default=0.0,
        help="clip the gradient's global norm to this (0: off); keeps a normalisation-free DRUNet from diverging",
    )
    parser.add_argument(
        "--patches-per-image", type=int, default=16, help="random patches drawn from each photo per epoch"
    )
    parser.add_argument(
        "--degradations",
        default="gaussian",
        choices=["gaussian", "real"],
        help="gaussian: white noise of a known sigma; real: zoo.degradations.DenoiseMix + a learned strength estimator",
    )
    parser.add_argument(
        "--downscale-sources",
        default="",
        help="comma-separated --dataset entries to area-downscale 2x when loaded (re-encoded JPEG sources)",
    )
    parser.add_argument(
        "--init-from",
        default="",
        help="start the denoiser from a trained one of the same architecture (checkpoint folder or catalog name)",
    )
    parser.add_argument("--estimator-features", type=int, default=32, help="width of the learned strength estimator")
    parser.add_argument(
        "--mix-weights",
        default="",
        help="with --degradations real: reweight DenoiseMix's kinds, e.g. 'gaussian=0.45,poisson=0.15' (unnamed kinds "
        "keep their default weight)",
    )
    parser.add_argument(
        "--estimator-pooling",
        choices=["mean", "attention"],
        default="mean",
        help="how the estimator pools its per-block strengths: a plain mean, or learned weights (attention)",
    )
    parser.add_argument(
        "--strength-tile",
        type=int,
        default=0,
        help="decoding, with --degradations real: blind mode reads the strength in squares of this size (the "
        "training patch size) and takes their RMS (pipeline option strength_tile; 0: the crop read whole)",
    )
    parser.add_argument(
        "--strength-pooling",
        choices=["rms", "geometric"],
        default="rms",
        help="decoding, with --strength-tile: the squares' RMS as it is, or its geometric mean with the crop read "
        "whole (pipeline option strength_pooling)",
    )
    parser.add_argument(
        "--self-ensemble",
        action="store_true",
        help="decoding, with --degradations real: also denoise the transposed image and average the two (pipeline "
        "option self_ensemble; twice the time)",
    )
    parser.add_argument(
        "--jpeg-constraint",
        type=float,
        default=0.0,
        help="decoding, with --degradations real: keep the output of a JPEG'd input inside the file's quantisation "
        "cells, the luminance cells narrowed to this share of their width (pipeline option jpeg_constraint, "
        "zoo.quantization; 0: off)",
    )
    parser.add_argument(
        "--init-estimator",
        action="store_true",
        help="with --degradations real and --init-from a blind model (e.g. denoise-real): take its strength "
        "estimator as it is (frozen), so a fine-tune of the denoiser keeps the published blind reading",
    )
    parser.add_argument(
        "--estimator-only",
        action="store_true",
        help="with --degradations real and --init-from: keep the denoiser as it is and train only a new estimator",
    )


def denoise_mix(a: argparse.Namespace):
    """The recipe's ``DenoiseMix``: its default kinds, reweighted by ``--mix-weights``."""
    from zoo.degradations import DenoiseMix

    mix = DenoiseMix(max_sigma=a.max_sigma)
    for item in filter(None, (part.strip() for part in getattr(a, "mix_weights", "").split(","))):
        kind, _, weight = item.partition("=")
        if kind not in mix.kinds:
            raise engine.TrainingError(f"--mix-weights: unknown kind {kind!r}; kinds: {', '.join(mix.kinds)}")
        try:
            mix.kinds[kind] = float(weight)
        except ValueError:
            raise engine.TrainingError(f"--mix-weights: {item!r} is not kind=number") from None
        if not mix.kinds[kind] >= 0:
            raise engine.TrainingError(f"--mix-weights: {item!r}: weights must be >= 0")
    return mix


class DenoiseTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import DRUNet, FFDNet

        a = self.args
        if a.arch == "drunet":
            net = DRUNet(in_channels=a.channels, widths=a.widths, blocks=a.blocks, max_sigma=a.max_sigma)
        else:
            net = FFDNet(in_channels=a.channels, features=a.features, num_layers=a.num_layers, max_sigma=a.max_sigma)
        if (a.resolution or 64) % net.required_multiple:
            raise engine.TrainingError(
                f"--resolution {a.resolution} must be a multiple of {net.required_multiple} for this {a.arch}"
            )
        # Start as the identity (predicted noise 0): zeroing the last convolution trains markedly faster early on
        # (measured: +2 dB training PSNR after 300 steps of a small FFDNet).
        torch.nn.init.zeros_(net.last_conv.weight)
        torch.nn.init.zeros_(net.last_conv.bias)
        if a.init_from:
            self.copied = engine.initialize_from(net, a.init_from, hint="publish or train that denoiser first")
        self.nets = {"denoiser": net}
        self.optimizers = {"denoiser": self.adam(net)}
        if getattr(a, "estimator_only", False):
            if not (self.real and a.init_from):
                raise engine.TrainingError("--estimator-only needs --degradations real and --init-from a denoiser")
            net.requires_grad_(False)
            self.optimizers = {}
        if self.real:
            from zoo.nets import StrengthEstimator

            estimator = StrengthEstimator(
                in_channels=a.channels,
                features=getattr(a, "estimator_features", 32),
                pooling=getattr(a, "estimator_pooling", "mean"),
            )
            if getattr(a, "init_estimator", False):
                if not a.init_from:
                    raise engine.TrainingError("--init-estimator needs --init-from a blind model (e.g. denoise-real)")
                if getattr(a, "estimator_only", False):
                    raise engine.TrainingError("--init-estimator and --estimator-only leave nothing to train: pick one")
                engine.initialize_from(estimator, a.init_from, "estimator", hint="it must be a blind model")
                estimator.requires_grad_(False)  # kept as published: the fine-tune is the denoiser's alone
            self.nets["estimator"] = estimator
            if not getattr(a, "init_estimator", False):
                self.optimizers["estimator"] = self.adam(estimator)

    @property
    def real(self) -> bool:
        return getattr(self.args, "degradations", "gaussian") == "real"

    def dataset(self):
        from zoo.data.patches import grouped_patch_datasets

        a = self.args
        a.dataset = a.dataset or ("train400" if a.channels == 1 else "bsds500/train,t91")
        self.folders = resolve_datasets(a.dataset, a.data_dir, a.dataset)
        parts = grouped_patch_datasets(
            self.folders,
            a.dataset.split(","),
            a.downscale_sources.split(","),
            patch_size=a.resolution or 64,
            mode="L" if a.channels == 1 else "RGB",
            patches_per_image=a.patches_per_image,
            seed=a.seed,
        )
        if self.real:
            from zoo.data import DegradedPatchDataset

            data = DegradedPatchDataset(parts, denoise_mix(a), seed=a.seed)
        else:
            data = parts[0] if len(parts) == 1 else torch.utils.data.ConcatDataset(parts)
        # A fixed preview batch: the first items (real degradations: spread over the data, so several kinds show).
        stride = len(data) // 4 if self.real else 1
        self.preview_items = [data[i * stride] for i in range(min(4, len(data)))]
        self.preview = torch.stack([item["image"] for item in self.preview_items])
        return data

    def training_step(self, batch, accelerator, step):
        if self.real:
            return self.real_step(batch, accelerator)
        net = self.nets["denoiser"]
        clean = batch["image"]
        sigma = torch.rand(clean.shape[0], device=clean.device) * (self.args.max_sigma / 255.0)
        noisy = clean + sigma.view(-1, 1, 1, 1) * torch.randn_like(clean)
        output = net(noisy, sigma)  # through forward, so DDP synchronises gradients
        loss = F.mse_loss(output, clean)
        # The norm before clipping is logged either way: a spike here is the first sign of a diverging run.
        norm = self.optimize(accelerator, loss, "denoiser", clip=net, max_norm=self.args.max_grad_norm or math.inf)
        return {"loss": loss.item(), "psnr": batch_psnr(output, clean), "grad_norm": float(norm)}

    def real_step(self, batch, accelerator):
        """The denoiser learns clean from degraded given the true strength; the estimator learns that strength (L1 on
        log(1 + strength 0-255), so weak and strong damage count alike)."""
        net, estimator = self.nets["denoiser"], self.nets["estimator"]
        clean, degraded, level = batch["image"], batch["degraded"], batch["strength"].float()
        if self.args.estimator_only:
            return self.estimator_step(estimator, degraded, level, accelerator)
        output = net(degraded, level)
        loss = F.l1_loss(output, clean)
        if "estimator" not in self.optimizers:  # --init-estimator: the estimator stays as it came
            norm = self.optimize(accelerator, loss, "denoiser", clip=net, max_norm=self.args.max_grad_norm or math.inf)
            return {"loss": loss.item(), "psnr": batch_psnr(output, clean), "grad_norm": float(norm)}
        predicted = estimator(degraded).float()
        estimator_loss = F.l1_loss(torch.log1p(255.0 * predicted), torch.log1p(255.0 * level))
        max_norm = self.args.max_grad_norm or math.inf
        norm = self.optimize(accelerator, loss + estimator_loss, *self.optimizers, clip=net, max_norm=max_norm)
        return {
            "loss": loss.item(),
            "psnr": batch_psnr(output, clean),
            "estimator_loss": estimator_loss.item(),
            "grad_norm": float(norm),
        }

    def estimator_step(self, estimator, degraded, level, accelerator):
        """--estimator-only: the frozen denoiser is not run; the estimator learns the strength alone."""
        predicted = estimator(degraded).float()
        estimator_loss = F.l1_loss(torch.log1p(255.0 * predicted), torch.log1p(255.0 * level))
        self.optimize(accelerator, estimator_loss, "estimator")
        return {"estimator_loss": estimator_loss.item()}

    def samples(self, nets):
        """Rows: clean patches, with noise of sigma 25, denoised (real: degraded, restored blind, clean)."""
        if self.real:
            return self.real_samples(nets)
        from zoo.pipelines.images import image_grid

        net = nets["denoiser"]
        clean = self.preview.to(next(net.parameters()).device)
        generator = torch.Generator().manual_seed(0)
        noisy = clean + 25 / 255 * torch.randn(clean.shape, generator=generator).to(clean.device)
        with torch.no_grad():
            output = net(noisy, 25 / 255).clamp(0, 1)
        return image_grid(
            tensors_to_images(noisy) + tensors_to_images(output) + tensors_to_images(clean), columns=len(clean)
        )

    def real_samples(self, nets):
        from zoo.pipelines.images import image_grid

        net, estimator = nets["denoiser"], nets["estimator"]
        device = next(net.parameters()).device
        clean = self.preview.to(device)
        degraded = torch.stack([item["degraded"] for item in self.preview_items]).to(device)
        with torch.no_grad():
            output = net(degraded, estimator(degraded)).clamp(0, 1)
        return image_grid(
            tensors_to_images(degraded) + tensors_to_images(output) + tensors_to_images(clean), columns=len(clean)
        )

    def pipeline(self, nets):
        from zoo.pipelines import DenoisePipeline

        a = self.args
        options = {"channels": a.channels, "noise_aware": True, "max_sigma": a.max_sigma, "protocol": "denoise-photo"}
        options["precision"] = "auto"  # bf16 where the CPU runs it natively (zoo.pipelines.base.PRECISIONS)
        models = {"model": nets["denoiser"]}
        if self.real:
            models["estimator"] = nets["estimator"]
            options["protocol"] = "denoise-real"
        return DenoisePipeline(models, options={**options, **self.decoding()})

    def decoding(self) -> dict:
        """``--strength-tile``, ``--strength-pooling``, ``--self-ensemble`` and ``--jpeg-constraint`` as the pipeline
        options ``strength_tile``, ``strength_pooling``, ``self_ensemble`` and ``jpeg_constraint`` (left out when off,
        so older models keep their pipeline.json)."""
        if not self.real:
            return {}
        options = {"self_ensemble": True} if self.args.self_ensemble else {}
        if self.args.jpeg_constraint:
            options["jpeg_constraint"] = {"slack": self.args.jpeg_constraint}
        if self.args.strength_tile:
            options["strength_tile"] = self.args.strength_tile
            if self.args.strength_pooling == "geometric":
                options["strength_pooling"] = "geometric"
        return options

    def card_info(self):
        a = self.args
        if self.real:
            mix = denoise_mix(a)
            kinds = ", ".join(f"{name} {weight:g}" for name, weight in mix.kinds.items())
            start = f"; denoiser initialised from {a.init_from}" if a.init_from else ""
            start += " (its estimator kept as it was)" if getattr(a, "init_estimator", False) else ""
            shrunk = f" ({a.downscale_sources} area-downscaled 2x when loaded)" if a.downscale_sources else ""
            return {
                "tags": ["denoising", "jpeg-artifact-removal", "real-world", a.arch],
                "data": (
                    f"{a.dataset}{shrunk}: random {a.resolution or 64}x{a.resolution or 64} patches, each degraded by "
                    f"zoo.degradations.DenoiseMix (kinds and weights: {kinds}; ranges in zoo/degradations.py); the "
                    f"denoiser is given the true strength (RMS error), the estimator learns to predict it{start}"
                ),
            }
        return {
            "tags": ["denoising", a.arch],
            "data": (
                f"{a.dataset}: random {a.resolution or 64}x{a.resolution or 64} patches ({a.patches_per_image} per "
                "photo and epoch, one of 8 rotations/flips), each with Gaussian noise of its own sigma, uniform in "
                f"[0, {a.max_sigma:g}] (0-255 scale), not clipped"
            ),
        }


def main(argv: list[str] | None = None) -> int:
    return engine.main(DenoiseTask, "denoise", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
