"""Train the course's GANs: DCGAN on digits, clothing or traffic signs (optionally class-conditional), the 2-D toy GAN.

python -m train.gan --config gan-mnist      # unconditional DCGAN on MNIST
python -m train.gan --config cgan-mnist     # class-conditional DCGAN, label = digit
python -m train.gan --config gan-fashion    # class-conditional DCGAN on Fashion-MNIST
python -m train.gan --config gan-signs      # class-conditional DCGAN, 32x32 colour, the four GTSRB signs (gtsrb4)
python -m train.gan --config gan-toy        # 2-D toy GAN: points on y = sin(x)

The course's GAN hacks are built in or flags: tanh output and LeakyReLU/dropout in D (the nets), one-sided label
smoothing (``--real-label 0.9``), Adam 2e-4 with beta1 0.5 (the recipes); for a small training set (gan-signs: 2,430
signs) DiffAugment's translation (``--d-augment-shift``, Zhao et al. 2020): D sees every image, real or generated,
shifted by a few random pixels, so it cannot win by memorising the training images.

The course's diagnostics, logged each step (history.json, TensorBoard) and drawn on the card
(``images/training_curves.png``):

- ``loss_d``, ``loss_g``: both players' losses;
- ``d_real`` = D(x) and ``d_fake`` = D(G(z)): D's mean probability of "real" for real and for generated images (before
  D's update this step); D(x) near 1 with D(G(z)) near 0 means D has won and G gets no signal;
- ``d_acc_real``, ``d_acc_fake``: D's accuracy on real and on fake images separately: both pinned at 1.0 is D winning,
  both near 0.5 for long stretches is the healthy tug of war;
- ``spread_fake`` and ``spread_real``: the mode-collapse indicator, the per-pixel standard deviation across the batch's
  generated images that share a label (all of them for an unconditional GAN), averaged, beside the same for the real
  images: a generator that collapses to one image per class drives ``spread_fake`` toward 0 while ``spread_real``
  stays put.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from train import engine
from zoo.losses import gan_loss


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="dcgan", choices=["dcgan", "toy"], help="toy: the 2-D sine GAN")
    parser.add_argument(
        "--conditional", action=argparse.BooleanOptionalAction, default=False, help="class-conditional DCGAN"
    )
    parser.add_argument("--latent-dim", type=int, default=None, help="z size (default: 100 DCGAN, 2 toy)")
    parser.add_argument("--ngf", type=int, default=64, help="DCGAN generator width")
    parser.add_argument("--ndf", type=int, default=64, help="DCGAN discriminator width")
    parser.add_argument("--embed-dim", type=int, default=50, help="conditional generator's label embedding size")
    parser.add_argument(
        "--g-label-injection",
        default="input",
        choices=["input", "map"],
        help="where a conditional G takes its label: joined with z, or as a label-map channel after the projection",
    )
    parser.add_argument(
        "--aux-class-weight",
        type=float,
        default=0.0,
        help="AC-GAN: weight of a class head on D (cross-entropy on real images; G is pushed to the requested class)",
    )
    parser.add_argument("--dropout", type=float, default=0.3, help="dropout in D")
    parser.add_argument(
        "--d-augment-shift",
        type=int,
        default=0,
        help="DiffAugment (translation): every image D sees, real or generated, in both players' steps, is shifted "
        "by its own random offset of up to N pixels (zero fill), so that D cannot memorise a small training set",
    )
    parser.add_argument(
        "--d-conditioning",
        default="channel",
        choices=["channel", "projection"],
        help="how a conditional D sees the label: an extra label-map channel, or a projection of its features",
    )
    parser.add_argument("--hidden", type=int, default=64, help="toy GAN MLP width")
    parser.add_argument("--toy-points", type=int, default=20000, help="toy GAN training set size (x uniform in +-pi)")
    parser.add_argument("--real-label", type=float, default=0.9, help="one-sided label smoothing: D's target on real")
    parser.add_argument("--evaluator", default=None, help="classifier that scores samples (default: by dataset)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")


class PointDataset(torch.utils.data.Dataset):
    """``{"image": float [2]}``: the toy set's points (x, sin x), under the key the training step reads."""

    def __init__(self, points) -> None:
        self.points = torch.as_tensor(points, dtype=torch.float32)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.points[index]}


def spread(x: torch.Tensor, labels: torch.Tensor | None = None) -> float:
    """Mode-collapse indicator: the standard deviation of every element across the items of ``x`` (``[N, ...]``) that
    share a label (all of ``x`` without labels), averaged over elements and over the labels present at least twice;
    0 when every label's items are identical. NaN when no label has two items."""
    x = x.detach().float().flatten(1)
    groups = [x] if labels is None else [x[labels == label] for label in labels.unique()]
    values = [group.std(dim=0, unbiased=False).mean() for group in groups if len(group) >= 2]
    return float(torch.stack(values).mean()) if values else math.nan


CURVE_PANELS = [
    ("losses", ["loss_d", "loss_g"], None),
    ("D(x) and D(G(z)): D's mean probability of real", ["d_real", "d_fake"], (0.0, 1.0)),
    ("D's accuracy on real and on fake", ["d_acc_real", "d_acc_fake"], (0.0, 1.0)),
    ("spread per label (0 = mode collapse)", ["spread_fake", "spread_real"], (0.0, None)),
]


class GANTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import DCGANDiscriminator, DCGANGenerator, ToyDiscriminator, ToyGenerator

        a = self.args
        if a.model == "toy":
            if a.conditional:
                raise engine.TrainingError("the toy GAN is unconditional; drop --conditional")
            generator = ToyGenerator(latent_dim=a.latent_dim or 2, hidden=a.hidden)
            discriminator = ToyDiscriminator(hidden=a.hidden)
            self.labels = []
        else:
            from zoo.data import class_names, image_shape

            channels, size = image_shape(a.dataset or "mnist")
            self.labels = class_names(a.dataset or "mnist") if a.conditional else []
            classes = len(self.labels)
            if a.aux_class_weight and not (a.conditional and a.d_conditioning == "projection"):
                raise engine.TrainingError("--aux-class-weight needs --conditional and --d-conditioning projection")
            generator = DCGANGenerator(
                latent_dim=a.latent_dim or 100,
                num_classes=classes,
                ngf=a.ngf,
                embed_dim=a.embed_dim,
                label_injection=a.g_label_injection,
                image_size=size,
                out_channels=channels,
            )
            discriminator = DCGANDiscriminator(
                num_classes=classes,
                ndf=a.ndf,
                dropout=a.dropout,
                conditioning=a.d_conditioning,
                auxiliary_classes=classes if a.aux_class_weight else 0,
                image_size=size,
                in_channels=channels,
            )
        if a.d_augment_shift and a.model == "toy":
            raise engine.TrainingError("--d-augment-shift shifts images; the toy GAN's points take none")
        if not 0 <= a.d_augment_shift < 8:
            raise engine.TrainingError(f"--d-augment-shift must be 0-7 pixels, got {a.d_augment_shift}")
        if not 0.5 < a.real_label <= 1.0:
            raise engine.TrainingError(f"--real-label must be in (0.5, 1], got {a.real_label}")
        self.nets = {"generator": generator, "discriminator": discriminator}
        self.optimizers = {"generator": self.adam(generator), "discriminator": self.adam(discriminator)}

    def dataset(self):
        a = self.args
        if a.model == "toy":
            from zoo.data import sine_points

            return PointDataset(sine_points(a.toy_points, seed=a.seed))
        from zoo.data import ArrayImageDataset, load_labelled

        images, labels = load_labelled(a.dataset or "mnist", "train", a.data_dir)
        return ArrayImageDataset(images[: a.train_limit], labels[: a.train_limit], signed=True)  # tanh range

    def training_step(self, batch, accelerator, step):
        """D then G in one step; every network call goes through forward (DDP-wrapped nets sync gradients)."""
        generator, discriminator = self.nets["generator"], self.nets["discriminator"]
        real = batch["image"]
        n, device = real.shape[0], real.device
        z = torch.randn(n, self.latent_dim, device=device)
        aux = self.args.aux_class_weight
        logs = {}
        if self.labels:
            real_labels = batch["label"]
            fake_labels = torch.randint(0, len(self.labels), (n,), device=device)
            fake = generator(z, fake_labels)
            d_out = discriminator(
                self.augment(torch.cat([real, fake.detach()])),
                torch.cat([real_labels, fake_labels]),
                with_class_logits=bool(aux),
            )
        else:
            fake_labels = None
            fake = generator(z)
            d_out = discriminator(self.augment(torch.cat([real, fake.detach()])))
        d_out, d_classes = d_out if aux else (d_out, None)
        d_real, d_fake = d_out[:n], d_out[n:]
        # One-sided label smoothing: real targets are real_label (0.9), fake targets stay 0.
        loss_d = gan_loss(d_real, True, real_target=self.args.real_label) + gan_loss(d_fake, False)
        if d_classes is not None:  # AC-GAN: D's class head learns the classes from real images only
            loss_d = loss_d + aux * F.cross_entropy(d_classes[:n], real_labels)
            logs["d_class_acc_real"] = (d_classes[:n].argmax(1) == real_labels).float().mean().item()
        self.optimize(accelerator, loss_d, "discriminator")

        # G: the non-saturating loss, D (just updated) judging the same fakes with "real" targets.
        if aux:
            d_gen, gen_classes = discriminator(self.augment(fake), fake_labels, with_class_logits=True)
            loss_class = F.cross_entropy(gen_classes, fake_labels)
            loss_g = gan_loss(d_gen, True) + aux * loss_class
            logs["g_class_acc"] = (gen_classes.detach().argmax(1) == fake_labels).float().mean().item()
        else:
            seen = self.augment(fake)
            d_gen = discriminator(seen, fake_labels) if self.labels else discriminator(seen)
            loss_g = gan_loss(d_gen, True)
        self.optimize(accelerator, loss_g, "generator")
        # D's verdict threshold is the midpoint of its two targets (0.45 with smoothing): at equilibrium D outputs
        # real_label / 2 everywhere, so both accuracies hover around 0.5 instead of flipping to 0 and 1.
        threshold = math.log(self.args.real_label / (2 - self.args.real_label))
        return (
            {
                "loss_d": loss_d.item(),
                "loss_g": loss_g.item(),
                "d_real": torch.sigmoid(d_real.detach()).mean().item(),
                "d_fake": torch.sigmoid(d_fake.detach()).mean().item(),
                "d_acc_real": (d_real.detach() > threshold).float().mean().item(),
                "d_acc_fake": (d_fake.detach() <= threshold).float().mean().item(),
            }
            | logs
            | self.spreads(fake, fake_labels, real, batch)
        )

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """--d-augment-shift: each image shifted by its own random offset (differentiable: G learns through it);
        unchanged, and no random number drawn, without it."""
        from train.classifier import random_shift

        return random_shift(images, self.args.d_augment_shift)

    def spreads(self, fake, fake_labels, real, batch) -> dict[str, float]:
        """``spread_fake`` and ``spread_real`` of this batch; left out of the step's logs (not logged as NaN) when
        no label occurs twice in it (small batches of many classes)."""
        values = {
            "spread_fake": spread(fake, fake_labels),
            "spread_real": spread(real, batch["label"] if self.labels else None),
        }
        return values if all(math.isfinite(v) for v in values.values()) else {}

    @property
    def latent_dim(self) -> int:
        return int(engine.unwrap(self.nets["generator"]).config.latent_dim)

    def samples(self, nets):
        from zoo.pipelines.images import image_grid

        pipe = self.pipeline(nets)
        if self.args.model == "toy":
            return pipe.sample(1000, seed=0)[0]
        if self.labels:
            rows = [image for label in range(len(self.labels)) for image in pipe.sample(10, seed=0, label=label)]
            return image_grid(rows, columns=10)
        return image_grid(pipe.sample(64, seed=0), columns=8)

    def figures(self, history):
        """The diagnostics of the module docstring, one panel per pair of curves (the card's training curves)."""
        from zoo.pipelines.generative import TRAINING_CURVES
        from zoo.plots import curves_plot

        if not any("d_real" in row for row in history):
            return []
        return [(Path(TRAINING_CURVES).name, "GAN training diagnostics", curves_plot(history, CURVE_PANELS))]

    def pipeline(self, nets):
        from zoo.pipelines import GANPipeline, ToyGANPipeline

        if self.args.model == "toy":
            return ToyGANPipeline({"model": nets["generator"]}, options={"protocol": "gan-toy"})
        options = {"labels": self.labels, "dataset": self.args.dataset or "mnist"}
        if self.args.evaluator:
            options["evaluator"] = self.args.evaluator
        return GANPipeline({"model": nets["generator"]}, options=options)

    def card_info(self):
        a = self.args
        if a.model == "toy":
            return {"tags": ["gan", "toy"], "data": f"{a.toy_points} points (x, sin x), x uniform in [-pi, pi]"}
        return {"tags": ["gan", "dcgan"] + (["conditional"] if a.conditional else [])}


def main(argv: list[str] | None = None) -> int:
    return engine.main(GANTask, "gan", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
