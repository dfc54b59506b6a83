"""Train the colouriser: a U-Net predicting Lab ab from lightness (L1, L2, class-rebalanced and/or adversarial loss).

python -m train.colorize --config colorize        # the published recipe
python -m train.colorize --config colorize-l1     # plain L1 (then colorize-gan: its GAN fine-tune), for the card

On large data, plain L1/L2 regression of ab averages the plausible colours of a pixel and gives brown/gray
pictures. Two remedies, alone or together:

- ``--loss rebalanced``: each pixel's L1 is weighted by how rare its true colour is in the training photos
  (Zhang et al. 2016's class rebalancing, for regression: ab histogram in 10x10 bins, smoothed, mixed with a uniform
  distribution by ``--rebalance-mix``, inverted, normalised to mean 1 over the training pixels);
- ``--gan-weight W > 0``: a conditional PatchGAN (L, ab) -> real/fake adds ``W`` x its adversarial loss.

On a few hundred training photos the opposite risk dominates: the net memorises their colours and paints new photos
with confident, wrong ones. ``--val-dataset`` scores held-out photos every ``--checkpointing-steps`` and
``--keep-best val_psnr`` publishes the best-scoring step.

Photos are first shrunk so their longer side is ``--working-size`` (the pipeline's working resolution), then random
``--resolution`` crops are taken, so objects appear at the scale the pipeline shows them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from train import engine
from zoo.data import EpochMixin, resolve_datasets

DEFAULT_DATA = "bsds500/train,t91"
AB_SCALE = 110.0  # as zoo.pipelines.colorize: the net's tanh output times this is Lab a/b
AB_BIN = 10.0  # ab histogram bin width (Zhang et al.)
AB_BINS = int(2 * AB_SCALE / AB_BIN)  # 22 bins per axis over [-110, 110]


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ngf", type=int, default=32, help="U-Net width")
    parser.add_argument("--num-downs", type=int, default=5, help="U-Net levels (input multiple of 2**num_downs)")
    parser.add_argument("--working-size", type=int, default=256, help="longer side the pipeline colourises at")
    parser.add_argument(
        "--loss",
        default="rebalanced",
        choices=["l1", "l2", "rebalanced", "classification"],
        help="ab regression loss (l2: the conditional mean, what PSNR rewards; rebalanced: class-rebalanced L1), or "
        "classification: cross-entropy over zoo.colorbins' ab bins, class-rebalanced, decoded by the annealed mean",
    )
    parser.add_argument("--temperature", type=float, default=0.38, help="annealed-mean temperature (classification)")
    parser.add_argument(
        "--saturation",
        type=float,
        default=1.0,
        help="decoding (classification): the annealed mean's ab times this (below 1: fewer loud wrong colours)",
    )
    parser.add_argument(
        "--upsampling",
        default="bicubic",
        choices=["bicubic", "guided"],
        help="decoding: how the working-size ab reaches the photo's size (guided: zoo.pipelines.colorize."
        "guided_upsample, along the photo's edges)",
    )
    parser.add_argument(
        "--hint-spread",
        default="",
        help="decoding: 'reach,tone,prior' of zoo.colorbins.spread_hints, which blends the hints' residuals into the "
        "decoded ab along similar lightness ('' : off)",
    )
    parser.add_argument(
        "--head-stride",
        type=int,
        default=1,
        help="classification: predict the ab bins at 1/head-stride of the resolution (Zhang 2016 uses 4) and "
        "upsample the decoded ab; targets are the bins of the area-averaged ab",
    )
    parser.add_argument(
        "--hints",
        type=float,
        default=0.0,
        help="mean number of simulated user colour hints per training crop (Zhang 2017; 0: a colouriser without hint "
        "input); the network then takes 4 channels and the pipeline hints=[(x, y, (r, g, b))]",
    )
    parser.add_argument(
        "--degrade-input",
        type=float,
        default=0.0,
        help="probability of degrading a crop's gray input like an old print or a phone JPEG (old_print: grain, "
        "camera noise, JPEG, mild blur; the target colours stay clean), so grain does not turn into colour blotches",
    )
    parser.add_argument("--rebalance-mix", type=float, default=0.5, help="uniform share in the rebalancing prior")
    parser.add_argument("--gan-weight", type=float, default=0.0, help="weight of the PatchGAN loss (0: no GAN)")
    parser.add_argument(
        "--hint-l1",
        type=float,
        default=0.0,
        help="classification with hints: weight of an L1 loss between the decoded ab (annealed mean) and the "
        "original's on the crops that carry hints (Zhang et al. 2017 train the hint network by regression: hints "
        "remove most of the ambiguity that classification is for); 0: off",
    )
    parser.add_argument("--ndf", type=int, default=32, help="PatchGAN width")
    parser.add_argument("--patches-per-image", type=int, default=8, help="random crops of each photo per epoch")
    parser.add_argument(
        "--flips",
        default="dihedral",
        choices=["dihedral", "horizontal"],
        help="augmentation: one of the 8 rotations/mirrors, or only a left-right mirror (keeps sky above ground)",
    )
    parser.add_argument(
        "--val-dataset",
        default="",
        help="held-out photos (never a test set) scored every --checkpointing-steps: val_psnr, val_gain over the "
        "gray input, val_colour (colourfulness ratio), at the working size; pair with --keep-best val_psnr",
    )
    parser.add_argument(
        "--init-from",
        default="",
        help="start the U-Net from a trained colouriser (checkpoint folder or catalog name), e.g. a GAN fine-tune of "
        "the L1 model; '' starts from scratch",
    )


def old_print():
    """The ``--degrade-input`` degradations of the gray input: ``zoo.degradations.DenoiseMix`` on one channel with
    milder ranges than ``denoise-real``'s (grain and camera noise up to sigma 30 of 255, JPEG quality 30-95, the mixed
    shuffle with an optional blur), which is what scans of old prints and phone JPEGs carry."""
    from zoo.degradations import DenoiseMix, NoiseRanges

    noise = NoiseRanges(gaussian=(1.0, 30.0), correlated=(2.0, 30.0), poisson_b=(0.0, 8.0))
    return DenoiseMix(noise=noise, max_sigma=30.0, jpeg_quality=(30, 95))


def shrink(image, size: int):
    """The image with its longer side at most ``size`` (PIL bicubic, antialiased); smaller images are kept."""
    from PIL import Image

    scale = size / max(image.size)
    if scale >= 1:
        return image
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BICUBIC)


class LabPatchDataset(EpochMixin, Dataset):
    """Random crops of photos as ``{"L": [1, p, p] in [-1, 1], "ab": [2, p, p] in [-1, 1]}`` (L / 50 - 1, ab / 110).

    ``L`` is the lightness of the photo's gray version (PIL ``convert("L")``), which is what the pipeline and the
    evaluation feed the network; ``ab`` is the photo's own chroma. Photos are shrunk to ``working_size`` first and kept
    in memory as float32 Lab plus the gray value; crop position, one of 8 rotations/flips and, with ``degrade``, the
    old-print degradation of L (``old_print``) come from ``(seed, epoch, index)``.
    """

    def __init__(
        self,
        folders,
        patch_size: int,
        working_size: int,
        patches_per_image: int = 8,
        seed: int = 0,
        flips: str = "dihedral",
        hints: float = 0.0,
        degrade: float = 0.0,
    ):
        from PIL import Image

        from zoo.color import lightness, rgb_to_lab
        from zoo.data import DatasetError

        self.patch_size, self.patches_per_image, self.seed, self.hints = patch_size, patches_per_image, seed, hints
        self.degrade, self.old_print = degrade, old_print()
        self.transforms = 8 if flips == "dihedral" else 2
        self.images: list[np.ndarray] = []
        for image in load_photos(folders, working_size):
            if min(image.shape[:2]) >= patch_size:
                rgb = image.astype(np.float32) / 255.0
                gray = np.asarray(Image.fromarray(image).convert("L"), dtype=np.float32)
                light = lightness(gray / 255.0)
                lab = rgb_to_lab(rgb)[..., 1:]
                self.images.append(np.concatenate([light[..., None], lab, gray[..., None] / 255.0], axis=2))
        if not self.images:
            raise DatasetError(f"no readable photo of at least {patch_size} px (after shrinking) in {folders}")

    def __len__(self) -> int:
        return len(self.images) * self.patches_per_image

    def __getitem__(self, index: int) -> dict:
        from zoo.data import dihedral, item_rng

        lab = self.images[index % len(self.images)]
        rng = item_rng(self.seed, self.epoch, index)
        size = self.patch_size
        top = int(rng.integers(0, lab.shape[0] - size + 1))
        left = int(rng.integers(0, lab.shape[1] - size + 1))
        transform = int(rng.integers(self.transforms))  # 0..7, or 0 / 1 -> identity / left-right mirror
        transform = transform if self.transforms == 8 else 4 * transform
        patch = np.ascontiguousarray(dihedral(lab[top : top + size, left : left + size], transform))
        if self.degrade > 0 and rng.random() < self.degrade:
            from zoo.color import lightness

            degraded, _ = self.old_print(patch[..., 3:], rng)
            patch[..., 0] = lightness(np.clip(degraded[..., 0], 0.0, 1.0))
        tensor = torch.from_numpy(patch).permute(2, 0, 1)
        item = {"L": tensor[:1] / 50.0 - 1.0, "ab": (tensor[1:3] / AB_SCALE).clamp(-1.0, 1.0)}
        if self.hints > 0:
            from zoo.colorbins import simulate_hints

            item["hints"] = torch.from_numpy(simulate_hints(item["ab"].numpy(), rng, self.hints))
        return item

    def ab_values(self, step: int = 1) -> np.ndarray:
        """The training photos' ab at every ``step``-th row and column, [N, 2] (for the rebalancing weights)."""
        return np.concatenate([lab[::step, ::step, 1:3].reshape(-1, 2) for lab in self.images])


HALVES = ("left", "right")


def photo_folders(spec: str, data_dir=None, default: str = "") -> list:
    """The folders of a ``--dataset`` spec as ``resolve_datasets``; a name ending in ``@left`` or ``@right``
    (``"facades/train@left"``) takes that half of each side-by-side pix2pix image (facades and maps keep the photo on
    the left), returned as a ``(folder, half)`` pair."""
    from zoo.data import DatasetError

    names, halves = [], []
    for entry in (spec or default).split(","):
        name, _, half = entry.strip().partition("@")
        if half and half not in HALVES:
            raise DatasetError(f"--dataset {name}@{half}: the half after @ is 'left' or 'right'")
        if name:
            names.append(name)
            halves.append(half)
    folders = resolve_datasets(",".join(names), data_dir)  # refuses a spec naming no folder
    return [(folder, half) if half else folder for folder, half in zip(folders, halves, strict=True)]


def load_photos(folders, working_size: int) -> list[np.ndarray]:
    """The readable photos in ``folders`` (folders, or ``(folder, half)`` pairs as ``photo_folders``') as RGB uint8
    arrays, shrunk to a longer side of at most ``working_size``."""
    from zoo.data import DatasetError, list_images, load_image, split_pair

    photos = []
    for entry in folders:
        folder, half = entry if isinstance(entry, tuple) else (entry, "")
        for path in list_images(folder):
            try:
                image = load_image(path, "RGB")
            except DatasetError:
                continue
            if half:
                image = split_pair(image)[HALVES.index(half)]
            photos.append(np.asarray(shrink(image, working_size)))
    return photos


def rebalance_weights(ab: np.ndarray, mix: float = 0.5, smoothing: float = 5.0) -> np.ndarray:
    """Per-bin loss weights [AB_BINS * AB_BINS] from training ab values [N, 2] (Zhang et al. 2016, eq. 4).

    ``p`` = ab histogram in 10x10 bins, smoothed by a Gaussian of ``smoothing`` ab units; ``w = 1 / ((1 - mix) p +
    mix / Q)`` over the Q bins that occur, normalised so that the expected weight of a training pixel is 1.
    """
    index = ab_bin_index(torch.from_numpy(np.ascontiguousarray(ab.T[:, :, None])).float() / AB_SCALE).numpy()
    counts = np.bincount(index.ravel(), minlength=AB_BINS * AB_BINS).reshape(AB_BINS, AB_BINS).astype(np.float64)
    radius = 3
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets * AB_BIN / smoothing) ** 2)
    kernel /= kernel.sum()
    smoothed = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 0, counts)
    smoothed = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 1, smoothed)
    prior = smoothed / smoothed.sum()
    seen = counts > 0
    weights = np.zeros_like(prior)
    weights[seen] = 1.0 / ((1.0 - mix) * prior[seen] + mix / seen.sum())
    empirical = counts / counts.sum()
    weights /= (empirical * weights).sum()
    return weights.ravel().astype(np.float32)


def ab_bin_index(ab: torch.Tensor) -> torch.Tensor:
    """Flat histogram bin ``a_bin * 22 + b_bin`` of ab / 110 given as ``[..., 2, H, W]`` -> ``[..., H, W]``."""
    bins = ((ab * AB_SCALE + AB_SCALE) / AB_BIN).floor().long().clamp(0, AB_BINS - 1)
    return bins.select(-3, 0) * AB_BINS + bins.select(-3, 1)


def lab_batch_to_images(light: torch.Tensor, ab: torch.Tensor) -> list:
    """[N,1,H,W] L (-1..1) and [N,2,H,W] ab (-1..1) -> N RGB PIL images."""
    from zoo.color import lab_to_rgb
    from zoo.pipelines.images import from_array

    lab = torch.cat([(light + 1.0) * 50.0, ab.clamp(-1, 1) * AB_SCALE], dim=1).permute(0, 2, 3, 1)
    return [from_array(lab_to_rgb(item.numpy())) for item in lab.detach().cpu()]


class ColorizeTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import ColorizationUNet, PatchDiscriminator

        a = self.args
        if a.loss == "classification":
            from zoo.colorbins import ab_bins

            net = ColorizationUNet(in_channels=4 if a.hints > 0 else 1, out_channels=len(ab_bins()),
                                   num_downs=a.num_downs, ngf=a.ngf, head="classification",
                                   head_stride=a.head_stride)  # fmt: skip
        else:
            net = ColorizationUNet(in_channels=4 if a.hints > 0 else 1, num_downs=a.num_downs, ngf=a.ngf)
        if a.init_from:
            self.copied = engine.initialize_from(net, a.init_from, hint="train it first (e.g. --config colorize-l1)")
        self.nets = {"generator": net}
        self.optimizers = {"generator": self.adam(net)}
        if a.gan_weight > 0:
            critic = PatchDiscriminator(in_channels=3, ndf=a.ndf, n_layers=3)
            self.nets["discriminator"] = critic
            self.optimizers["discriminator"] = self.adam(critic)

    def dataset(self):
        a = self.args
        if a.keep_best and not a.val_dataset:
            raise engine.TrainingError(f"--keep-best {a.keep_best} needs held-out photos: give --val-dataset")
        size = a.resolution or 128
        self.folders = photo_folders(a.dataset, a.data_dir, DEFAULT_DATA)
        data = LabPatchDataset(
            self.folders, size, a.working_size, a.patches_per_image, a.seed, a.flips, a.hints, a.degrade_input
        )
        self.val_photos = []
        if a.val_dataset:
            self.val_photos = load_photos(photo_folders(a.val_dataset, a.data_dir, a.val_dataset), a.working_size)
            if not self.val_photos:
                from zoo.data import DatasetError

                raise DatasetError(f"--val-dataset {a.val_dataset!r} holds no readable photo")
        if a.loss == "rebalanced":
            self.weights = torch.from_numpy(rebalance_weights(data.ab_values(), a.rebalance_mix))
        if a.loss == "classification":
            from zoo.colorbins import ab_bins, ab_to_bin, rebalancing_weights

            # a 1/16 sample estimates the bin frequencies; all pixels took ~8 single-core minutes on 1121 photos
            counts = np.bincount(ab_to_bin(data.ab_values(step=4)).ravel(), minlength=len(ab_bins()))
            self.weights = torch.from_numpy(rebalancing_weights(counts, a.rebalance_mix))
        items = [data[i] for i in range(min(4, len(data)))]
        self.preview = {key: torch.stack([item[key] for item in items]) for key in items[0]}
        return data

    def validate(self, nets) -> dict[str, float]:
        """--val-dataset: PSNR, gain over gray and colourfulness ratio on the held-out photos (working size)."""
        from zoo.protocols.restoration import colorize_validation

        return colorize_validation(self.pipeline(nets), self.val_photos) if self.val_photos else {}

    def regression_loss(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.args.loss == "l2":
            return F.mse_loss(prediction, target)
        error = (prediction - target).abs()
        if self.args.loss == "l1":
            return error.mean()
        weights = self.weights.to(target.device)[ab_bin_index(target)]  # [N, H, W]
        return (error * weights[:, None]).mean()

    def inputs(self, batch) -> torch.Tensor:
        """The network's input: L, and the simulated hint map when the colouriser takes hints."""
        return torch.cat([batch["L"], batch["hints"]], dim=1) if "hints" in batch else batch["L"]

    def ab_of(self, out: torch.Tensor) -> torch.Tensor:
        """The network's output as ab / 110 at full size (bin logits decoded by the annealed mean, upsampled)."""
        if self.args.loss != "classification":
            return out
        from zoo.colorbins import decode_logits

        ab = decode_logits(out, self.args.temperature)
        stride = self.args.head_stride
        return F.interpolate(ab, scale_factor=stride, mode="bilinear") if stride > 1 else ab

    def training_step(self, batch, accelerator, step):
        a = self.args
        net = self.nets["generator"]
        light, ab = batch["L"], batch["ab"]
        out = net(self.inputs(batch))  # through forward, so DDP synchronises gradients
        fake = self.ab_of(out)
        logs = {}
        if a.gan_weight > 0:
            critic = self.nets["discriminator"]
            # Real and fake in one forward: one DDP reduction per backward, batch norm sees both halves.
            pairs = torch.cat([torch.cat([light, ab], 1), torch.cat([light, fake.detach()], 1)])
            logits = critic(pairs)
            real_logits, fake_logits = logits.chunk(2)
            critic_loss = 0.5 * (
                F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            )
            self.optimize(accelerator, critic_loss, "discriminator")
            fooled = critic(torch.cat([light, fake], 1))
            adversarial = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
            logs.update(critic=critic_loss.item(), adversarial=adversarial.item())
        if a.loss == "classification":
            from zoo.colorbins import nearest_bins

            target = nearest_bins(F.avg_pool2d(ab, a.head_stride) if a.head_stride > 1 else ab)
            regression = F.cross_entropy(out.float(), target, weight=self.weights.to(out.device))
        else:
            regression = self.regression_loss(fake, ab)
        loss = regression + a.gan_weight * adversarial if a.gan_weight > 0 else regression
        if a.hint_l1 > 0 and "hints" in batch:
            hinted = (batch["hints"][:, :1].flatten(1).amax(dim=1) > 0).float()  # [N]: crops with at least one hint
            per_crop = (fake - ab).abs().flatten(1).mean(dim=1)
            hint_l1 = (per_crop * hinted).sum() / hinted.sum().clamp_min(1.0)
            loss = loss + a.hint_l1 * hint_l1
            logs["hint_l1"] = hint_l1.item()
        self.optimize(accelerator, loss, "generator")
        with torch.no_grad():
            logs.update(loss=loss.item(), l1=(fake - ab).abs().mean().item(), chroma=fake.abs().mean().item())
        return logs

    def samples(self, nets):
        """Rows: gray input, colourised, original."""
        from zoo.pipelines.images import image_grid

        net = nets["generator"]
        device = next(net.parameters()).device
        light = self.preview["L"].to(device)
        with torch.no_grad():  # without hints: what a visitor gets before clicking
            x = torch.cat([light, torch.zeros_like(self.preview["hints"]).to(device)], 1) if self.args.hints else light
            ab = self.ab_of(net(x)).cpu()
        gray = lab_batch_to_images(light.cpu(), torch.zeros_like(ab))
        return image_grid(
            gray + lab_batch_to_images(light.cpu(), ab) + lab_batch_to_images(light.cpu(), self.preview["ab"]),
            columns=len(light),
        )

    def pipeline(self, nets):
        from zoo.pipelines import ColorizePipeline

        options = {"working_size": self.args.working_size, "protocol": "colorize", "precision": "auto"}
        options.update(self.decoding())
        options["method"] = self.loss_name()  # how the colorize card labels this run among the loss variants
        return ColorizePipeline({"model": nets["generator"]}, options=options)

    def decoding(self) -> dict:
        """The decoding choices (``--temperature`` and ``--saturation`` for classification, ``--upsampling``,
        ``--hint-spread``) as pipeline options; defaults are left out, so older models keep their pipeline.json."""
        a = self.args
        options: dict = {"temperature": a.temperature} if a.loss == "classification" else {}
        if a.loss == "classification" and a.saturation != 1.0:
            options["saturation"] = a.saturation
        if a.upsampling != "bicubic":
            options["upsampling"] = a.upsampling
        if a.hint_spread:
            try:
                reach, tone, prior = (float(value) for value in a.hint_spread.split(","))
            except ValueError as error:
                raise engine.TrainingError(f"--hint-spread takes 'reach,tone,prior', got {a.hint_spread!r}") from error
            options["hint_spread"] = {"reach": reach, "tone": tone, "prior": prior}
        return options

    def loss_name(self) -> str:
        a = self.args
        loss = {"rebalanced": "class-rebalanced L1", "l1": "L1", "l2": "L2"}.get(a.loss, "")
        if a.loss == "classification":
            loss = f"ab classification (class-rebalanced cross-entropy, annealed mean T={a.temperature:g})"
        if a.hints > 0:
            loss += f", simulated hints (mean {a.hints:g} per crop)"
        if a.hint_l1 > 0:
            loss += f" + {a.hint_l1:g} x L1 of the decoded ab on hinted crops"
        if a.gan_weight > 0:
            loss += f" + {a.gan_weight:g} x conditional PatchGAN (ndf {a.ndf})"
        if a.init_from:  # outputs/<run>/final is named by its run
            source = Path(a.init_from)
            loss += f", fine-tuned from {source.parent.name if source.name == 'final' else a.init_from}"
        if a.keep_best:
            floors = engine.parse_floors(a.keep_best_floor, a.keep_best)
            loss += f", best {a.keep_best} step" + "".join(f" with {k} >= {v:g}" for k, v in floors.items())
        return loss

    def card_info(self):
        a = self.args
        loss = self.loss_name()
        size = a.resolution or 128
        flips = "one of 8 rotations/flips" if a.flips == "dihedral" else "mirrored left-right half the time"
        return {
            "tags": ["colorization", "unet"] + (["gan"] if a.gan_weight > 0 else []),
            "data": (
                f"{a.dataset or DEFAULT_DATA}: photos shrunk to a longer side of {a.working_size}, random "
                f"{size}x{size} crops ({flips}); input L of the PIL gray image"
                + (
                    f" (degraded like an old print with probability {a.degrade_input:g}: grain/camera noise sigma "
                    "1-30, JPEG q30-95, mild blur; train.colorize.old_print)"
                    if a.degrade_input > 0
                    else ""
                )
                + f", target Lab ab; loss: {loss}"
                + (
                    f"; validation: {a.val_dataset} (held out, scored every {a.checkpointing_steps} steps)"
                    if a.val_dataset
                    else ""
                )
            ),
        }


def main(argv: list[str] | None = None) -> int:
    return engine.main(ColorizeTask, "colorize", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
