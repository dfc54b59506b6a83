"""Train CycleGAN: two ResNet generators (A->B, B->A), two PatchGAN discriminators, LSGAN + cycle + identity losses.

python -m train.cyclegan --config cyclegan-shapes       # violet circles <-> green squares (synthetic)
python -m train.cyclegan --config cyclegan-facades      # label maps <-> photos, pairs split apart (never together)

Losses as in Zhu et al. 2017: LSGAN, cycle ``--cycle-weight`` (lambda = 10) both ways, identity
``--identity-weight`` x lambda (0.5), a history pool of ``--pool-size`` (50) generated images per discriminator
(checkpointed with the run, as safetensors), Adam 2e-4 / beta1 0.5, constant then linear decay. Data: ``--dataset
shapes`` (generated), a folder with ``trainA``/``trainB``, or a folder of pix2pix ``A|B`` pairs (``facades``) whose
halves are split into two domains: the dataset reshuffles itself each epoch so that no step holds an image together
with its own partner, hence the sequential sampler (``shuffle = False``).
"""

from __future__ import annotations

import argparse
import itertools
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

DIRECTIONS = ("AtoB", "BtoA")


class ImagePool:
    """The history of generated images a discriminator learns from (Shrivastava et al. 2017; CycleGAN's pool).

    ``query(images)``: while fewer than ``size`` images are stored, each image is stored and returned as it is; once
    full, each image is, with probability 0.5, swapped for a random stored one (the stored one is returned, the new
    one takes its place), else returned as it is. ``size=0`` disables the pool. The randomness comes from the pool's
    own seeded generator, whose state is part of ``state_tensors()`` so a resumed run draws the same choices.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size = int(size)
        self.images: torch.Tensor | None = None  # [size, C, H, W], the first ``count`` rows valid
        self.count = 0
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.count

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size <= 0:
            return images
        images = images.detach()
        if self.images is None:
            self.images = torch.zeros((self.size, *images.shape[1:]), dtype=images.dtype, device=images.device)
        out = []
        for image in images:
            if self.count < self.size:
                self.images[self.count] = image
                self.count += 1
                out.append(image)
            elif float(torch.rand((), generator=self.generator)) < 0.5:
                index = int(torch.randint(self.size, (), generator=self.generator))
                out.append(self.images[index].clone())
                self.images[index] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        tensors = {f"{prefix}.rng": self.generator.get_state(), f"{prefix}.count": torch.tensor(self.count)}
        if self.images is not None and self.count:
            tensors[f"{prefix}.images"] = self.images[: self.count].detach().cpu()
        return tensors

    def load_state_tensors(self, tensors: dict[str, torch.Tensor], prefix: str, device: Any = None) -> None:
        if f"{prefix}.rng" in tensors:
            self.generator.set_state(tensors[f"{prefix}.rng"].to(torch.uint8))
        self.count = int(tensors.get(f"{prefix}.count", torch.tensor(0)))
        stored = tensors.get(f"{prefix}.images")
        if stored is None or self.count == 0:
            self.images, self.count = None, 0
            return
        self.images = torch.zeros((self.size, *stored.shape[1:]), dtype=stored.dtype, device=device)
        self.images[: self.count] = stored[: self.count].to(device)


def add_flags(parser: argparse.ArgumentParser) -> None:
    add_common_flags(parser)
    parser.add_argument("--n-blocks", type=int, default=9, help="residual blocks (9 for 256 px, 6 for 128 px)")
    parser.add_argument("--cycle-weight", type=float, default=10.0, help="lambda of both cycle losses")
    parser.add_argument("--identity-weight", type=float, default=0.5, help="identity loss weight, x lambda")
    parser.add_argument("--pool-size", type=int, default=50, help="generated-image history per discriminator")
    parser.set_defaults(norm="instance", gan_mode="lsgan")


class CycleGANTask(engine.Task):
    shuffle = False  # the unpaired datasets shuffle themselves per epoch (set_epoch), keeping partners apart

    def build(self) -> None:
        from zoo.nets import PatchDiscriminator, ResnetGenerator

        a = self.args
        a.resolution = a.resolution or (64 if a.dataset == SYNTHETIC else 256)
        if a.dataset != SYNTHETIC and a.direction is None:
            from zoo.data import PAIRED_TASK_DIRECTION

            a.direction = PAIRED_TASK_DIRECTION.get(Path(a.dataset).name, "AtoB")

        def generator() -> ResnetGenerator:
            return ResnetGenerator(ngf=a.ngf, n_blocks=a.n_blocks, norm=a.norm)

        def discriminator() -> PatchDiscriminator:
            return PatchDiscriminator(in_channels=3, ndf=a.ndf, n_layers=a.n_layers_d, norm=a.norm)

        # G_AB makes B images from A; D_B tells real B from G_AB's output (and the mirror pair).
        self.nets = {"G_AB": generator(), "G_BA": generator(), "D_A": discriminator(), "D_B": discriminator()}
        generators = itertools.chain(self.nets["G_AB"].parameters(), self.nets["G_BA"].parameters())
        discriminators = itertools.chain(self.nets["D_A"].parameters(), self.nets["D_B"].parameters())
        betas = (a.adam_beta1, a.adam_beta2)
        self.optimizers = {
            "G": torch.optim.Adam(generators, lr=a.learning_rate, betas=betas, weight_decay=a.weight_decay),
            "D": torch.optim.Adam(discriminators, lr=a.learning_rate, betas=betas, weight_decay=a.weight_decay),
        }
        self.pools = {"A": ImagePool(a.pool_size, seed=a.seed), "B": ImagePool(a.pool_size, seed=a.seed + 1)}
        self._sample_batch: dict[str, torch.Tensor] | None = None

    # -------------------------------------------------------------------------------------------------- data
    def dataset(self):
        a = self.args
        if a.dataset == SYNTHETIC:
            from zoo.data import ArrayUnpairedDataset, circles_and_squares

            circles, squares, _, _ = circles_and_squares(a.train_limit or a.synthetic_count, a.seed, a.resolution)
            return ArrayUnpairedDataset(circles, squares, seed=a.seed)
        from zoo.data import UnpairedImageDataset, list_images

        root = paired_root(a)
        sizes = {"load_size": jitter_load_size(a.resolution, a.load_size), "crop_size": a.resolution, "seed": a.seed}
        if (root / "trainA").is_dir():
            first = slice(a.train_limit)
            data = UnpairedImageDataset(
                list_images(root / "trainA")[first], list_images(root / "trainB")[first], train=True, **sizes
            )
        else:  # split pairs: A[i] and B[i] are partners, kept out of the same step by the dataset's own order
            data = UnpairedImageDataset.from_paired_folder(root / "train", direction=a.direction, train=True, **sizes)
            if a.train_limit:
                first = slice(a.train_limit)
                data = UnpairedImageDataset(data.images_a[first], data.images_b[first], partnered=True, **sizes)
        from accelerate import PartialState

        processes = PartialState().num_processes
        if a.train_batch_size * processes > data.max_items_per_step:
            raise engine.TrainingError(
                f"--train-batch-size {a.train_batch_size} x {processes} process(es) is above "
                f"{data.max_items_per_step}, the most items one step can hold while keeping every image apart from "
                "its partner; lower it"
            )
        return data

    def sample_batch(self) -> dict[str, torch.Tensor]:
        """Four fixed test images per domain for the sample grids."""
        if self._sample_batch is None:
            a = self.args
            if a.dataset == SYNTHETIC:
                from zoo.data import ArrayUnpairedDataset, circles_and_squares

                circles, squares, _, _ = circles_and_squares(4, SAMPLE_SEED, a.resolution)
                data = ArrayUnpairedDataset(circles, squares, shuffle=False)
            else:
                from zoo.data import UnpairedImageDataset

                root = paired_root(a)
                if (root / "testA").is_dir():
                    data = UnpairedImageDataset(
                        root / "testA", root / "testB", crop_size=a.resolution, load_size=a.resolution, train=False
                    )
                else:
                    data = UnpairedImageDataset.from_paired_folder(
                        root / eval_split(root), direction=a.direction, crop_size=a.resolution,
                        load_size=a.resolution, train=False,
                    )  # fmt: skip
            self._sample_batch = engine.first_items(data, ("A", "B"))
        return self._sample_batch

    # -------------------------------------------------------------------------------------------------- step
    def training_step(self, batch: dict[str, Any], accelerator: Any, step: int) -> dict[str, float]:
        a = self.args
        g_ab, g_ba, d_a, d_b = (self.nets[k] for k in ("G_AB", "G_BA", "D_A", "D_B"))
        real_a, real_b = batch["A"], batch["B"]

        # Generators: fool the frozen discriminators, reconstruct both ways, leave real target images unchanged.
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        for net in (d_a, d_b):
            net.requires_grad_(False)
        # no_sync: under DDP, a forward that produces no gradient for D must not arm D's gradient reduction
        with accelerator.no_sync(d_b), accelerator.no_sync(d_a):
            loss_gan_ab = gan_loss(d_b(fake_b), True, a.gan_mode)
            loss_gan_ba = gan_loss(d_a(fake_a), True, a.gan_mode)
        loss_cycle_a = F.l1_loss(rec_a, real_a)
        loss_cycle_b = F.l1_loss(rec_b, real_b)
        loss_g = loss_gan_ab + loss_gan_ba + a.cycle_weight * (loss_cycle_a + loss_cycle_b)
        identity: dict[str, float] = {}
        if a.identity_weight > 0:
            loss_idt_b = F.l1_loss(g_ab(real_b), real_b)
            loss_idt_a = F.l1_loss(g_ba(real_a), real_a)
            loss_g = loss_g + a.cycle_weight * a.identity_weight * (loss_idt_a + loss_idt_b)
            identity = {"idt_A": loss_idt_a.item(), "idt_B": loss_idt_b.item()}
        self.optimize(accelerator, loss_g, "G")

        # Discriminators: real images vs generated ones drawn from the history pools (detached: no gradient to G).
        for net in (d_a, d_b):
            net.requires_grad_(True)
        pooled_b = self.pools["B"].query(fake_b.detach())
        pooled_a = self.pools["A"].query(fake_a.detach())
        pred_real_b, pred_fake_b = d_b(real_b), d_b(pooled_b)
        pred_real_a, pred_fake_a = d_a(real_a), d_a(pooled_a)
        loss_d_b = 0.5 * (gan_loss(pred_real_b, True, a.gan_mode) + gan_loss(pred_fake_b, False, a.gan_mode))
        loss_d_a = 0.5 * (gan_loss(pred_real_a, True, a.gan_mode) + gan_loss(pred_fake_a, False, a.gan_mode))
        self.optimize(accelerator, loss_d_a + loss_d_b, "D")

        return {
            "g_AB_gan": loss_gan_ab.item(), "g_BA_gan": loss_gan_ba.item(),
            "cycle_A": loss_cycle_a.item(), "cycle_B": loss_cycle_b.item(), **identity,
            "d_A": loss_d_a.item(), "d_B": loss_d_b.item(),
            "d_A_acc_real": judged_real(pred_real_a, a.gan_mode),
            "d_A_acc_fake": 1.0 - judged_real(pred_fake_a, a.gan_mode),
            "d_B_acc_real": judged_real(pred_real_b, a.gan_mode),
            "d_B_acc_fake": 1.0 - judged_real(pred_fake_b, a.gan_mode),
        }  # fmt: skip

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {**self.pools["A"].state_tensors("pool_A"), **self.pools["B"].state_tensors("pool_B")}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        device = next(self.nets["G_AB"].parameters()).device
        for domain, pool in self.pools.items():
            pool.load_state_tensors(tensors, f"pool_{domain}", device)

    # ------------------------------------------------------------------------------------------ outputs
    @torch.no_grad()
    def samples(self, nets: dict[str, torch.nn.Module]):
        """Rows of A | G_AB(A) | G_BA(G_AB(A)) | B | G_BA(B) | G_AB(G_BA(B))."""
        from zoo.pipelines.images import image_grid

        batch = self.sample_batch()
        device = next(nets["G_AB"].parameters()).device
        real_a, real_b = batch["A"].to(device), batch["B"].to(device)
        fake_b, fake_a = nets["G_AB"](real_a), nets["G_BA"](real_b)
        rec_a, rec_b = nets["G_BA"](fake_b), nets["G_AB"](fake_a)
        cells = []
        for row in zip(real_a, fake_b, rec_a, real_b, fake_a, rec_b, strict=True):
            cells += [tensor_image(t.cpu()) for t in row]
        return image_grid(cells, columns=6)

    def domains(self) -> list[str]:
        a = self.args
        if a.dataset == SYNTHETIC:
            return ["violet circles", "green squares"]
        from zoo.data import PAIRED_HALVES

        halves = PAIRED_HALVES.get(Path(a.dataset).name)
        if halves is None or (paired_root(a) / "trainA").is_dir():
            return ["A", "B"]
        return list(halves if a.direction == "AtoB" else halves[::-1])

    def pipeline(self, nets: dict[str, torch.nn.Module]):
        from zoo.pipelines import CycleGANPipeline

        a = self.args
        options: dict[str, Any] = {
            "working_size": a.resolution, "in_channels": 3, "resize": "keep_aspect", "domains": self.domains(),
        }  # fmt: skip
        if a.dataset == SYNTHETIC:
            options.update(protocol="cyclegan-shapes", dataset=SYNTHETIC)
        else:
            root = paired_root(a)
            options.update(protocol="cyclegan-unpaired", dataset=a.dataset, direction=a.direction)
            if not (root / "testA").is_dir():
                options["split"] = eval_split(root)
        return CycleGANPipeline({"AtoB": nets["G_AB"], "BtoA": nets["G_BA"]}, options=options)

    def card_info(self) -> dict[str, Any]:
        a = self.args
        domain_a, domain_b = self.domains()
        info: dict[str, Any] = {"tags": ["cyclegan", "gan", "unpaired-image-translation"]}
        from zoo.registry import get_entry

        if not a.name or get_entry(a.name) is None:
            info["description"] = f"CycleGAN {domain_a} <-> {domain_b} (ResNet {a.n_blocks} blocks, ngf {a.ngf})"
        if a.dataset == SYNTHETIC:
            info["data"] = (
                f"{a.synthetic_count} generated circles and {a.synthetic_count} independently drawn squares, "
                f"{a.resolution}x{a.resolution}, seed {a.seed}"
            )
        else:
            info["data"] = (
                f"{a.dataset}/train halves as two unpaired domains (A = {domain_a}, B = {domain_b}; an image never "
                f"meets its own partner in a step), jitter {jitter_load_size(a.resolution, a.load_size)} -> "
                f"{a.resolution}"
            )
        return info


if __name__ == "__main__":
    sys.exit(engine.main(CycleGANTask, "cyclegan", __doc__.splitlines()[0], add_flags))
