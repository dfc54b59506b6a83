"""Train the course's 28x28 autoencoders: plain (dense or convolutional), denoising, and x2 super-resolution.

python -m train.autoencoder --config ae-mnist        # DenseAutoencoder, 32-number code -> AutoencoderPipeline
python -m train.autoencoder --config ae-mnist-conv   # ConvAutoencoder (Conv/MaxPool, Conv/UpSampling)
python -m train.autoencoder --config denoise-mnist   # ConvAutoencoder, noisy -> clean -> DenoisePipeline
python -m train.autoencoder --config superres-mnist  # SuperResAutoencoder, 14x14 -> 28x28 -> SuperResolutionPipeline

The course's comparisons are flags away, e.g. a 5-number code with one hidden layer:
python -m train.autoencoder --config ae-mnist --name "" --code-size 5 --hidden-sizes 128 --output-dir outputs/ae-5
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F

from train import engine
from zoo.losses import batch_psnr

PREVIEW = 8  # training images shown in the sample grids


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--objective",
        default="reconstruct",
        choices=["reconstruct", "denoise", "superres"],
        help="reconstruct: x -> x; denoise: clip(x + sigma N(0,1)) -> x; superres: avg-pooled x -> x",
    )
    parser.add_argument(
        "--architecture",
        default=None,
        choices=["dense", "conv"],
        help="reconstruct/denoise: DenseAutoencoder or ConvAutoencoder (default dense / conv); superres is conv only",
    )
    parser.add_argument("--code-size", type=int, default=32, help="dense code length (the course: 1, 5, 10, 32, 100)")
    parser.add_argument("--hidden-sizes", type=int, nargs="*", default=[], help="dense hidden layers, e.g. 128")
    parser.add_argument(
        "--code-activation", default="relu", choices=["relu", "none"], help="dense code activation; none for codes <= 2"
    )
    parser.add_argument("--base-channels", type=int, default=32, help="conv / super-resolution width")
    parser.add_argument("--upsampling", default="nearest", choices=["nearest", "transpose"], help="conv decoder")
    parser.add_argument("--loss", default="bce", choices=["bce", "mse"], help="reconstruction loss per pixel")
    parser.add_argument("--noise-sigma-min", type=float, default=0.1, help="denoise: noise std range, 0-1 scale")
    parser.add_argument("--noise-sigma-max", type=float, default=0.5)
    parser.add_argument("--scale", type=int, default=2, help="superres: upscaling factor (power of two)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")


class AutoencoderTask(engine.Task):
    def build(self) -> None:
        from zoo.nets import ConvAutoencoder, DenseAutoencoder, SuperResAutoencoder

        a = self.args
        if a.objective == "superres":
            if a.architecture == "dense":
                raise engine.TrainingError("--objective superres trains a SuperResAutoencoder; drop --architecture")
            net = SuperResAutoencoder(in_size=28 // a.scale, scale=a.scale, base_channels=a.base_channels)
        elif (a.architecture or ("conv" if a.objective == "denoise" else "dense")) == "dense":
            net = DenseAutoencoder(
                code_size=a.code_size, hidden_sizes=list(a.hidden_sizes), code_activation=a.code_activation
            )
        else:
            net = ConvAutoencoder(base_channels=a.base_channels, upsampling=a.upsampling)
        if not 0 <= a.noise_sigma_min <= a.noise_sigma_max:
            raise engine.TrainingError(
                f"need 0 <= --noise-sigma-min <= --noise-sigma-max, got {a.noise_sigma_min} and {a.noise_sigma_max}"
            )
        self.nets = {"autoencoder": net}
        self.optimizers = {"autoencoder": self.adam(net)}

    def dataset(self):
        from zoo.data import ArrayImageDataset, load_mnist

        images, labels = load_mnist(self.args.dataset or "mnist", "train", self.args.data_dir)
        images, labels = images[: self.args.train_limit], labels[: self.args.train_limit]
        if self.args.objective == "superres" and (
            images.shape[1] % self.args.scale or images.shape[2] % self.args.scale
        ):
            raise engine.TrainingError(f"--scale {self.args.scale} does not divide the image size {images.shape[1:]}")
        self.preview = torch.from_numpy(images[:PREVIEW]).float().div(255.0)[:, None]
        return ArrayImageDataset(images, labels)

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The network input for clean images ``x`` in [0, 1], by objective."""
        a = self.args
        if a.objective == "denoise":  # the course's noise: additive Gaussian, one strength per image, clipped
            low, high = a.noise_sigma_min, a.noise_sigma_max
            where = {"generator": generator} if generator is not None else {"device": x.device}
            sigma = low + (high - low) * torch.rand(x.shape[0], 1, 1, 1, **where).to(x.device)
            noise = torch.randn(x.shape, **where).to(x.device)
            return (x + sigma * noise).clamp(0, 1)
        if a.objective == "superres":  # 8-bit values, as the low-resolution PNGs a user uploads
            return torch.round(F.avg_pool2d(x, a.scale) * 255.0) / 255.0
        return x

    def training_step(self, batch, accelerator, step):
        net = self.nets["autoencoder"]
        x = batch["image"]
        output = net(self.corrupt(x))  # through forward, so DDP synchronises gradients
        loss = F.binary_cross_entropy(output, x) if self.args.loss == "bce" else F.mse_loss(output, x)
        self.optimize(accelerator, loss, "autoencoder")
        return {"loss": loss.item(), "psnr": batch_psnr(output, x)}

    def samples(self, nets):
        """Rows: the network input (upscaled for superres), the output, the clean target."""
        from zoo.pipelines.images import image_grid, tensors_to_images

        net = nets["autoencoder"]
        device = next(net.parameters()).device
        x = self.preview.to(device)
        inputs = self.corrupt(x, torch.Generator().manual_seed(0))
        with torch.no_grad():
            output = net(inputs)
        shown = F.interpolate(inputs, size=x.shape[-2:], mode="nearest")
        return image_grid(tensors_to_images(shown) + tensors_to_images(output) + tensors_to_images(x), columns=len(x))

    def pipeline(self, nets):
        from zoo.pipelines import AutoencoderPipeline, DenoisePipeline, SuperResolutionPipeline

        a, net = self.args, nets["autoencoder"]
        dataset = a.dataset or "mnist"
        if a.objective == "denoise":
            size = self.preview.shape[-1]
            options = {"channels": 1, "image_size": size, "protocol": "denoise-digits", "dataset": dataset}
            return DenoisePipeline({"model": net}, options=options)
        if a.objective == "superres":
            options = {"scale": a.scale, "channels": 1, "protocol": "superres-digits", "dataset": dataset}
            return SuperResolutionPipeline({"model": net}, options=options)
        return AutoencoderPipeline({"model": net}, options={"dataset": dataset})

    def card_info(self):
        a = self.args
        tags = {"reconstruct": ["autoencoder"], "denoise": ["denoising", "autoencoder"], "superres": ["autoencoder"]}
        info = {"tags": tags[a.objective]}
        if a.objective == "denoise":
            info["data"] = (
                f"{a.dataset or 'mnist'} train, clean targets; inputs with Gaussian noise of std uniform in "
                f"[{a.noise_sigma_min}, {a.noise_sigma_max}] (0-1 scale), clipped to [0, 1]"
            )
        elif a.objective == "superres":
            info["data"] = f"{a.dataset or 'mnist'} train; inputs {a.scale}x{a.scale} average-pooled"
        return info


def main(argv: list[str] | None = None) -> int:
    return engine.main(AutoencoderTask, "autoencoder", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
