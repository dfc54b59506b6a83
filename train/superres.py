"""Train an EDSR-baseline-family super-resolution network (x2, x3 or x4) on photos.

python -m train.superres --config superres-x2     # t91 + bsds500/train
python -m train.superres --config superres-x4
python -m train.superres --config superres-x4-real   # realistic LR photos (blur, noise, JPEG), from superres-x4
python -m train.superres --config superres-x4-gan    # + PatchGAN and feature matching (SRGAN/ESRGAN row)

Training pairs are random HR patches of --resolution pixels and their PIL-bicubic downscales (the evaluation
protocol's degradation); the network learns the residual over bicubic upscaling (``global_skip="bicubic"``) with an
L1 loss, as EDSR. ``--degradations real`` makes each LR patch with ``zoo.degradations.SuperResMix`` instead
(Real-ESRGAN's second-order blur / resize / noise / JPEG). ``--gan-weight W`` > 0 adds a PatchGAN discriminator on
HR patches (vanilla GAN loss, weight W) and ``--feature-weight`` x L1 between the discriminator's features of the
real and the generated patch (a perceptual loss that needs no downloaded VGG), beside the L1 loss.
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F

from train import engine
from zoo.data import resolve_datasets
from zoo.losses import batch_psnr
from zoo.pipelines.images import tensors_to_images

DEFAULT_DATA = "t91,bsds500/train"


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=2, choices=[2, 3, 4], help="upscaling factor")
    parser.add_argument("--features", type=int, default=64, help="width (EDSR-baseline: 64)")
    parser.add_argument("--num-blocks", type=int, default=16, help="residual blocks (EDSR-baseline: 16)")
    parser.add_argument("--res-scale", type=float, default=1.0, help="residual scaling (EDSR: 0.1 for wide nets)")
    parser.add_argument(
        "--arch", default="edsr", choices=["edsr", "wdsr"],
        help="residual blocks: EDSR's (two 3x3 convs) or WDSR-B's wide activation (1x1 expand, 1x1, 3x3)",
    )  # fmt: skip
    parser.add_argument("--expansion", type=int, default=6, help="WDSR-B: activation width / features (6: as EDSR)")
    parser.add_argument("--loss", default="l1", choices=["l1", "mse"], help="pixel loss (EDSR: L1)")
    parser.add_argument(
        "--patches-per-image", type=int, default=16, help="random patches drawn from each photo per epoch"
    )
    parser.add_argument(
        "--degradations", default="bicubic", choices=["bicubic", "real"], help="how LR patches are made"
    )
    parser.add_argument(
        "--downscale-sources",
        default="",
        help="comma-separated --dataset entries to area-downscale 2x when loaded (re-encoded JPEG sources)",
    )
    parser.add_argument("--gan-weight", type=float, default=0.0, help="adversarial loss weight (0: no discriminator)")
    parser.add_argument("--feature-weight", type=float, default=0.0, help="discriminator feature-matching weight")
    parser.add_argument("--ndf", type=int, default=32, help="discriminator width")
    parser.add_argument("--init-tail", action="store_true", help="with --init-from, copy the tail too (same scale)")
    parser.add_argument(
        "--init-from",
        default="",
        help="start from a trained SuperResNet (a checkpoint folder or catalog name, e.g. the x2 model for x4, as "
        "EDSR does): every tensor of the same name and shape except the tail is copied; '' starts from scratch",
    )


def deepen(donor: dict, num_blocks: int) -> tuple[dict, tuple[int, int] | None]:
    """A SuperResNet state dict with fewer residual blocks than ``num_blocks`` -> the same state named for a
    ``num_blocks`` network (its body's last convolution, ``body.<n>``, moves to ``body.<num_blocks>``) and the range of
    the blocks it lacks, which ``build`` starts as the identity (last convolution zeroed): the deeper network then
    computes exactly the donor's function before training (as when a trained model is grown, e.g. Net2Net).
    A donor as deep or deeper comes back unchanged, with ``None``."""
    blocks = {int(key.split(".")[1]) for key in donor if key.startswith("body.") and key.count(".") > 2}
    have = len(blocks)
    if not blocks or have >= num_blocks or blocks != set(range(have)):
        return donor, None
    prefix = f"body.{have}."
    moved = {
        (f"body.{num_blocks}." + key[len(prefix) :] if key.startswith(prefix) else key): v for key, v in donor.items()
    }
    return moved, (have, num_blocks)


class SuperResTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import SuperResNet

        a = self.args
        net = SuperResNet(
            scale=a.scale, features=a.features, num_blocks=a.num_blocks, res_scale=a.res_scale, block=a.arch,
            expansion=a.expansion,
        )  # fmt: skip
        # Start as bicubic upscaling (the global skip) and learn the residual from there: zero the last convolution.
        torch.nn.init.zeros_(net.tail.weight)
        torch.nn.init.zeros_(net.tail.bias)
        if a.init_from:
            # Without --init-tail the tail stays at zero, so the network still starts as exact bicubic upscaling.
            hint = "train that model first (e.g. --config superres-x2)"
            skip = () if a.init_tail else ("tail.",)
            self.deepened: tuple[int, int] | None = None

            def adapt(donor: dict) -> dict:
                donor, self.deepened = deepen(donor, a.num_blocks)
                return donor

            self.copied = engine.initialize_from(net, a.init_from, skip=skip, hint=hint, adapt=adapt)
            if self.deepened:
                for index in range(*self.deepened):  # the added blocks start as the identity
                    last = [m for m in net.body[index].modules() if isinstance(m, torch.nn.Conv2d)][-1]
                    torch.nn.init.zeros_(last.weight)
                    torch.nn.init.zeros_(last.bias)
        self.nets = {"generator": net}
        self.optimizers = {"generator": self.adam(net)}
        if a.gan_weight > 0:
            from zoo.nets import PatchDiscriminator

            discriminator = PatchDiscriminator(in_channels=3, ndf=a.ndf, n_layers=3)
            self.nets["discriminator"] = discriminator
            self.optimizers["discriminator"] = self.adam(discriminator)

    def dataset(self):
        from zoo.data import ImagePatchDataset

        a = self.args
        self.folders = resolve_datasets(a.dataset, a.data_dir, DEFAULT_DATA)
        if a.degradations == "real":
            from zoo.data import DegradedPatchDataset
            from zoo.data.patches import grouped_patch_datasets
            from zoo.degradations import SuperResMix

            parts = grouped_patch_datasets(
                self.folders,
                (a.dataset or DEFAULT_DATA).split(","),
                a.downscale_sources.split(","),
                patch_size=a.resolution or 24 * a.scale,
                mode="RGB",
                patches_per_image=a.patches_per_image,
                seed=a.seed,
            )
            data = DegradedPatchDataset(parts, SuperResMix(scale=a.scale), seed=a.seed, key="lr")
        else:
            data = ImagePatchDataset(
                self.folders,
                patch_size=a.resolution or 24 * a.scale,
                mode="RGB",
                scale=a.scale,
                patches_per_image=a.patches_per_image,
                seed=a.seed,
            )
        preview = [data[i] for i in range(min(4, len(data)))]
        self.preview = {key: torch.stack([item[key] for item in preview]) for key in ("image", "lr")}
        return data

    def training_step(self, batch, accelerator, step):
        net = self.nets["generator"]
        hr, lr = batch["image"], batch["lr"]
        sr = net(lr)  # through forward, so DDP synchronises gradients
        loss = F.l1_loss(sr, hr) if self.args.loss == "l1" else F.mse_loss(sr, hr)
        logs: dict[str, float] = {}
        if "discriminator" in self.nets:
            loss, logs = self.adversarial(hr, sr, loss, accelerator)
        self.optimize(accelerator, loss, "generator")
        return {"loss": loss.item(), "psnr": batch_psnr(sr, hr), **logs}

    def adversarial(self, hr, sr, pixel_loss, accelerator):
        """One discriminator step on (HR real, SR fake), then the generator's GAN + feature-matching terms."""
        from zoo.losses import gan_loss, judged_real

        a, discriminator = self.args, self.nets["discriminator"]
        real, fake = hr * 2 - 1, sr * 2 - 1
        pred_real, pred_fake = discriminator(real), discriminator(fake.detach())
        loss_d = 0.5 * (gan_loss(pred_real, True) + gan_loss(pred_fake, False))
        self.optimize(accelerator, loss_d, "discriminator")
        real_features = discriminator_features(discriminator, real)
        fake_features = discriminator_features(discriminator, fake)
        loss_gan = gan_loss(fake_features[-1], True)
        loss_fm = sum(F.l1_loss(f, r.detach()) for f, r in zip(fake_features[:-1], real_features[:-1], strict=True))
        loss = pixel_loss + a.gan_weight * loss_gan + a.feature_weight * loss_fm
        logs = {
            "l1": pixel_loss.item(), "g_gan": loss_gan.item(), "feature": float(loss_fm.detach()),
            "d_loss": loss_d.item(), "d_acc_real": judged_real(pred_real), "d_acc_fake": 1.0 - judged_real(pred_fake),
        }  # fmt: skip
        return loss, logs

    def samples(self, nets):
        """Rows: bicubic upscale of the LR patch, the network's output, the HR patch."""
        from zoo.pipelines.images import image_grid

        net = nets["generator"]
        device = next(net.parameters()).device
        lr, hr = self.preview["lr"].to(device), self.preview["image"]
        with torch.no_grad():
            sr = net(lr).clamp(0, 1)
        bicubic = F.interpolate(lr, scale_factor=self.args.scale, mode="bicubic", align_corners=False)
        return image_grid(tensors_to_images(bicubic) + tensors_to_images(sr) + tensors_to_images(hr), columns=len(hr))

    def pipeline(self, nets):
        from zoo.pipelines import SuperResolutionPipeline

        protocol = "superres-real" if self.args.degradations == "real" else "superres-photo"
        options = {"scale": self.args.scale, "channels": 3, "protocol": protocol, "precision": "auto"}
        return SuperResolutionPipeline({"model": nets["generator"]}, options=options)

    def card_info(self):
        a = self.args
        size = a.resolution or 24 * a.scale
        copied = getattr(self, "copied", None)  # set by build(); --eval-only of an old run rebuilds without it
        tensors = f"{len(copied)} tensors, " if copied is not None else ""
        tail = "tail included" if a.init_tail else "tail zeroed"
        start = f"; initialised from {a.init_from} ({tensors}{tail})" if a.init_from else ""
        deepened = getattr(self, "deepened", None)
        if deepened:
            start += (
                f", deepened from {deepened[0]} to {deepened[1]} residual blocks (the added ones start as the identity)"
            )
        if a.degradations == "real":
            shrunk = f" ({a.downscale_sources} area-downscaled 2x when loaded)" if a.downscale_sources else ""
            lows = (
                f"LR patches made by zoo.degradations.SuperResMix(scale={a.scale}) (second-order blur, resize, noise, "
                "JPEG)"
            )
        else:
            shrunk, lows = "", f"their PIL bicubic x{a.scale} downscales"
        gan = ""
        if a.gan_weight > 0:
            gan = (
                f"; loss L1 + {a.gan_weight:g} x GAN (PatchGAN, ndf {a.ndf}, on HR patches) + {a.feature_weight:g} x "
                "discriminator feature matching"
            )
        return {
            "tags": ["super-resolution", "edsr", *(["real-world"] if a.degradations == "real" else []),
                     *(["gan"] if a.gan_weight > 0 else [])],
            "data": (
                f"{a.dataset or DEFAULT_DATA}{shrunk}: random {size}x{size} HR patches ({a.patches_per_image} per "
                f"photo and epoch, one of 8 rotations/flips) and {lows}{start}{gan}"
            ),
        }  # fmt: skip


def discriminator_features(discriminator, x):
    """Every layer's output of a PatchDiscriminator (the last one is the logits)."""
    features = []
    for layer in engine.unwrap(discriminator).model:
        x = layer(x)
        features.append(x)
    return features


def main(argv: list[str] | None = None) -> int:
    return engine.main(SuperResTask, "superres", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
