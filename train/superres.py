"""Train an EDSR-baseline-family super-resolution network (x2, x3 or x4) on photos.

python train/superres.py --config superres-x2     # t91 + bsds500/train
python train/superres.py --config superres-x4

Training pairs are random HR patches of --resolution pixels and their PIL-bicubic downscales (the evaluation
protocol's degradation); the network learns the residual over bicubic upscaling (``global_skip="bicubic"``) with an
L1 loss, as EDSR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    parser.add_argument("--loss", default="l1", choices=["l1", "mse"], help="pixel loss (EDSR: L1)")
    parser.add_argument(
        "--patches-per-image", type=int, default=16, help="random patches drawn from each photo per epoch"
    )
    parser.add_argument(
        "--init-from",
        default="",
        help="start from a trained SuperResNet (a checkpoint folder or catalog name, e.g. the x2 model for x4, as "
        "EDSR does): every tensor of the same name and shape except the tail is copied; '' starts from scratch",
    )


class SuperResTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import SuperResNet

        a = self.args
        net = SuperResNet(scale=a.scale, features=a.features, num_blocks=a.num_blocks, res_scale=a.res_scale)
        # Start as bicubic upscaling (the global skip) and learn the residual from there: zero the last convolution.
        torch.nn.init.zeros_(net.tail.weight)
        torch.nn.init.zeros_(net.tail.bias)
        if a.init_from:
            # The tail stays at zero, so the network still starts as exact bicubic upscaling.
            hint = "train that model first (e.g. --config superres-x2)"
            self.copied = engine.initialize_from(net, a.init_from, skip=("tail.",), hint=hint)
        self.nets = {"generator": net}
        self.optimizers = {"generator": self.adam(net)}

    def dataset(self):
        from zoo.data import ImagePatchDataset

        a = self.args
        self.folders = resolve_datasets(a.dataset, a.data_dir, DEFAULT_DATA)
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
        net, opt = self.nets["generator"], self.optimizers["generator"]
        hr, lr = batch["image"], batch["lr"]
        sr = net(lr)  # through forward, so DDP synchronises gradients
        loss = F.l1_loss(sr, hr) if self.args.loss == "l1" else F.mse_loss(sr, hr)
        opt.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opt.step()
        return {"loss": loss.item(), "psnr": batch_psnr(sr, hr)}

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

        options = {"scale": self.args.scale, "channels": 3, "protocol": "superres-photo", "precision": "auto"}
        return SuperResolutionPipeline({"model": nets["generator"]}, options=options)

    def card_info(self):
        a = self.args
        size = a.resolution or 24 * a.scale
        copied = getattr(self, "copied", None)  # set by build(); --eval-only of an old run rebuilds without it
        tensors = f"{len(copied)} tensors, " if copied is not None else ""
        start = f"; initialised from {a.init_from} ({tensors}tail zeroed)" if a.init_from else ""
        return {
            "tags": ["super-resolution", "edsr"],
            "data": (
                f"{a.dataset or DEFAULT_DATA}: random {size}x{size} HR patches ({a.patches_per_image} per photo and "
                f"epoch, one of 8 rotations/flips) and their PIL bicubic x{a.scale} downscales{start}"
            ),
        }


def main(argv: list[str] | None = None) -> int:
    return engine.main(SuperResTask, "superres", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
