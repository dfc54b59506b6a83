"""Train pix2pix (U-Net generator + conditional PatchGAN, GAN + lambda * L1), or the same U-Net with L1 only.

python -m train.pix2pix --config pix2pix-facades-l1     # the L1-only baseline first: the facades card compares both
python -m train.pix2pix --config pix2pix-facades        # labels -> photo (facades files are photo|label: BtoA)
python -m train.pix2pix --config pix2pix-maps           # aerial -> map, beside the pix2pix-maps-l1-* decoders
python -m train.pix2pix --config pix2pix-shapes         # violet circles -> green rectangles (synthetic)

``--gan-weight 0`` (or ``--objective l1``) trains the L1-only U-Net (no discriminator is built); ``--no-skips`` and
``--upsampling nearest`` give the course's plain encoder-decoders. Data: ``--dataset shapes`` (generated) or a folder
of side-by-side ``A|B`` files with ``train/`` and ``test/`` (or ``val/``) inside, by name under ``--data-dir``
(``facades``, ``maps``) or as a path. The paper's jitter: resize to ``--load-size`` (286 for 256, scaled for other
sizes), random ``--resolution`` crop, random mirror.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from train import engine
from train.translation_common import (
    SAMPLE_SEED,
    SYNTHETIC,
    add_common_flags,
    eval_split,
    jitter_load_size,
    paired_root,
    tensor_image,
)
from zoo.losses import gan_loss, judged_real


# ------------------------------------------------------------------------------------------------------- pix2pix
def add_flags(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument("--num-downs", type=int, help="U-Net levels (default log2(resolution): 8 = unet_256)")
    parser.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=True, help="decoder dropout")
    parser.add_argument("--skips", action=argparse.BooleanOptionalAction, default=True, help="U-Net skip links")
    parser.add_argument("--upsampling", default="transpose", choices=["transpose", "nearest"])
    parser.add_argument("--objective", default="gan", choices=["gan", "l1"], help="l1 = the same as --gan-weight 0")
    parser.add_argument("--gan-weight", type=float, default=1.0, help="0 trains the L1-only baseline (no D)")
    parser.add_argument("--l1-weight", type=float, default=100.0, help="lambda of the L1 term")
    parser.add_argument(
        "--baseline-dir",
        action="append",
        default=[],
        help="checkpoint folder of a baseline to evaluate beside this model (repeatable); by default the protocol "
        "looks for the known baselines in outputs/<name>/final",
    )


def method_label(args: argparse.Namespace) -> str:
    """How this checkpoint is named when another model's card shows it as a baseline."""
    if uses_gan(args):
        return "pix2pix (U-Net + PatchGAN, GAN + L1)"
    if args.skips:
        return "L1-only U-Net"
    decoder = "UpSampling2D (nearest) + conv" if args.upsampling == "nearest" else "ConvTranspose"
    return f"L1-only encoder-decoder, {decoder} decoder, no skips"


def uses_gan(args: argparse.Namespace) -> bool:
    return args.objective == "gan" and args.gan_weight > 0


class Pix2PixTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import PatchDiscriminator, UNetGenerator

        a = self.args
        a.resolution = a.resolution or (64 if a.dataset == SYNTHETIC else 256)
        if a.num_downs is None:
            a.num_downs = int(math.log2(a.resolution))
        if a.resolution % 2**a.num_downs:
            raise engine.TrainingError(
                f"--resolution {a.resolution} must be a multiple of 2**--num-downs = {2**a.num_downs}"
            )
        self.gan = uses_gan(a)
        if a.dataset != SYNTHETIC and a.direction is None:
            from zoo.data import PAIRED_TASK_DIRECTION

            a.direction = PAIRED_TASK_DIRECTION.get(Path(a.dataset).name, "AtoB")
        generator = UNetGenerator(
            num_downs=a.num_downs, ngf=a.ngf, norm=a.norm, use_dropout=a.dropout, use_skips=a.skips,
            upsampling=a.upsampling,
        )  # fmt: skip
        self.nets = {"G": generator}
        self.optimizers = {"G": self.adam(generator)}
        if self.gan:
            # conditional: the discriminator sees the input and the (real or generated) output side by side
            discriminator = PatchDiscriminator(in_channels=6, ndf=a.ndf, n_layers=a.n_layers_d, norm="batch")
            self.nets["D"] = discriminator
            self.optimizers["D"] = self.adam(discriminator)
        self._sample_batch: dict[str, torch.Tensor] | None = None

    # -------------------------------------------------------------------------------------------------- data
    def dataset(self):
        a = self.args
        if a.dataset == SYNTHETIC:
            from zoo.data import circles_to_rectangles_dataset

            return circles_to_rectangles_dataset(a.train_limit or a.synthetic_count, seed=a.seed, size=a.resolution)
        from zoo.data import PairedImageDataset

        data = PairedImageDataset(
            paired_root(a) / "train", direction=a.direction, load_size=jitter_load_size(a.resolution, a.load_size),
            crop_size=a.resolution, train=True, seed=a.seed,
        )  # fmt: skip
        data.files = data.files[: a.train_limit]
        return data

    def sample_batch(self) -> dict[str, torch.Tensor]:
        """Four fixed test-split pairs (or fixed synthetic shapes) for the sample grids."""
        if self._sample_batch is None:
            a = self.args
            if a.dataset == SYNTHETIC:
                from zoo.data import circles_to_rectangles_dataset

                data = circles_to_rectangles_dataset(4, seed=SAMPLE_SEED, size=a.resolution)
            else:
                from zoo.data import PairedImageDataset

                root = paired_root(a)
                data = PairedImageDataset(
                    root / eval_split(root), direction=a.direction, crop_size=a.resolution,
                    load_size=a.resolution, train=False,
                )  # fmt: skip
            self._sample_batch = engine.first_items(data, ("A", "B"))
        return self._sample_batch

    # -------------------------------------------------------------------------------------------------- step
    def training_step(self, batch: dict[str, Any], accelerator: Any, step: int) -> dict[str, float]:
        a = self.args
        generator = self.nets["G"]
        real_a, real_b = batch["A"], batch["B"]
        fake_b = generator(real_a)
        loss_l1 = F.l1_loss(fake_b, real_b)
        loss_g = a.l1_weight * loss_l1
        logs: dict[str, float] = {}
        if self.gan:
            discriminator = self.nets["D"]
            # Discriminator: real pairs vs generated pairs, on a detached fake (no gradient into G).
            pred_fake = discriminator(torch.cat([real_a, fake_b.detach()], dim=1))
            pred_real = discriminator(torch.cat([real_a, real_b], dim=1))
            loss_d_fake, loss_d_real = gan_loss(pred_fake, False, a.gan_mode), gan_loss(pred_real, True, a.gan_mode)
            self.optimize(accelerator, 0.5 * (loss_d_fake + loss_d_real), "D")
            # Generator: fool the frozen discriminator. no_sync: under DDP this forward must not arm D's gradient
            # reduction, since the step produces no D gradient.
            discriminator.requires_grad_(False)
            with accelerator.no_sync(discriminator):
                loss_g_gan = gan_loss(discriminator(torch.cat([real_a, fake_b], dim=1)), True, a.gan_mode)
            loss_g = loss_g + a.gan_weight * loss_g_gan
            logs = {
                "g_gan": loss_g_gan.item(), "d_real": loss_d_real.item(), "d_fake": loss_d_fake.item(),
                "d_acc_real": judged_real(pred_real, a.gan_mode),
                "d_acc_fake": 1.0 - judged_real(pred_fake, a.gan_mode),
            }  # fmt: skip
        self.optimize(accelerator, loss_g, "G")
        if self.gan:
            self.nets["D"].requires_grad_(True)
        return {"g_l1": loss_l1.item(), **logs}

    # ------------------------------------------------------------------------------------------ outputs
    @torch.no_grad()
    def samples(self, nets: dict[str, torch.nn.Module]):
        """Rows of input | output | target."""
        from zoo.pipelines.images import image_grid

        batch = self.sample_batch()
        device = next(nets["G"].parameters()).device
        fake = nets["G"](batch["A"].to(device)).cpu()
        cells = []
        for a, f, b in zip(batch["A"], fake, batch["B"], strict=True):
            cells += [tensor_image(a), tensor_image(f), tensor_image(b)]
        return image_grid(cells, columns=3)

    def pipeline(self, nets: dict[str, torch.nn.Module]):
        from zoo.pipelines import Pix2PixPipeline

        a = self.args
        options: dict[str, Any] = {
            "working_size": a.resolution, "in_channels": 3, "resize": "square", "method": method_label(a),
        }  # fmt: skip
        if a.dataset == SYNTHETIC:
            options.update(protocol="pix2pix-shapes", dataset=SYNTHETIC)
        else:
            root = paired_root(a)
            options.update(protocol="pix2pix-paired", dataset=a.dataset, direction=a.direction, split=eval_split(root))
        return Pix2PixPipeline({"model": nets["G"]}, options=options)

    def evaluate(self, pipe) -> tuple[list[Any], str]:
        from zoo.protocols.translation import PROTOCOLS

        final = Path(self.args.output_dir) / "final"
        kwargs = {"baselines": self.args.baseline_dir} if pipe.options["protocol"] == "pix2pix-paired" else {}
        records, notes, images = PROTOCOLS[pipe.options["protocol"]](
            pipe, data_dir=self.args.data_dir, limit=self.args.eval_limit, folder=final, **kwargs
        )
        self.extra_images = images
        return records, notes

    def card_info(self) -> dict[str, Any]:
        from zoo.registry import get_entry

        a = self.args
        net = f"unet_{a.resolution} ({a.num_downs} levels, ngf {a.ngf}, {a.norm} norm)"
        gan = uses_gan(a)  # not self.gan: --eval-only rebuilds a card without build()
        if gan:
            what = f"pix2pix: {net} + PatchGAN (ndf {a.ndf}), {a.gan_mode} GAN + {a.l1_weight:g} x L1"
        else:
            what = f"{method_label(a)}: {net}, skips {'on' if a.skips else 'off'}, {a.upsampling} upsampling"
        info: dict[str, Any] = {"tags": ["pix2pix", "gan" if gan else "autoencoder"]}
        if not a.name or get_entry(a.name) is None:  # baselines and variants are not catalog entries
            info["description"] = what
            info["datasets"] = [Path(a.dataset).name]
            info["license"] = "other" if a.dataset != SYNTHETIC else "apache-2.0"
        if a.dataset == SYNTHETIC:
            size = f"{a.resolution}x{a.resolution}"
            info["data"] = f"{a.synthetic_count} generated circle -> square pairs, {size}, seed {a.seed}"
        else:
            jitter = f"resize {jitter_load_size(a.resolution, a.load_size)}, random {a.resolution} crop, mirror"
            info["data"] = f"{a.dataset}/train, direction {a.direction}; jitter: {jitter}"
        return info


if __name__ == "__main__":
    sys.exit(engine.main(Pix2PixTask, "pix2pix", __doc__.splitlines()[0], add_flags))
