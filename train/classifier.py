"""Train the evaluator classifiers that score generated images (classifier-FID, label accuracy of GAN cards).

python -m train.classifier --config classifier-mnist     # digits, 28x28 gray
python -m train.classifier --config classifier-fashion   # clothing, 28x28 gray
python -m train.classifier --config classifier-signs     # the four GTSRB traffic signs, 32x32 colour (gtsrb4)

Publish them (``python -m zoo.publish outputs/classifier-mnist/final --name classifier-mnist --to mirror``) before the
GANs are evaluated: the GAN protocol loads them with ``zoo.load``.
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F

from train import engine


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int, default=32, help="ImageClassifier width (features: 4 x width)")
    parser.add_argument("--shift", type=int, default=2, help="augmentation: random translation of up to N pixels")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")


def random_shift(x: torch.Tensor, pixels: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image of ``[N, C, H, W]`` by its own random offset in [-pixels, pixels]^2, zero fill."""
    if pixels <= 0:
        return x
    height, width = x.shape[-2:]
    padded = F.pad(x, (pixels, pixels, pixels, pixels))
    offsets = torch.randint(0, 2 * pixels + 1, (x.shape[0], 2), generator=generator).tolist()
    return torch.stack([padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(offsets)])


class ClassifierTask(engine.Task):
    def build(self) -> None:
        from zoo.data import class_names, image_shape
        from zoo.nets import ImageClassifier

        a = self.args
        self.labels = class_names(a.dataset or "mnist")
        channels, size = image_shape(a.dataset or "mnist")
        net = ImageClassifier(in_channels=channels, num_classes=len(self.labels), image_size=size, width=a.width)
        self.nets = {"classifier": net}
        self.optimizers = {"classifier": self.adam(net)}

    def dataset(self):
        from zoo.data import ArrayImageDataset, load_labelled

        images, labels = load_labelled(self.args.dataset or "mnist", "train", self.args.data_dir)
        if labels.max(initial=0) >= len(self.labels):
            raise engine.TrainingError(
                f"labels go up to {labels.max()}, but {self.args.dataset} has {len(self.labels)} classes"
            )
        return ArrayImageDataset(images[: self.args.train_limit], labels[: self.args.train_limit])

    def training_step(self, batch, accelerator, step):
        net = self.nets["classifier"]
        x = random_shift(batch["image"], self.args.shift)
        logits = net(x)  # inputs in [0, 1], as ClassifierPipeline feeds them
        loss = F.cross_entropy(logits, batch["label"], label_smoothing=self.args.label_smoothing)
        self.optimize(accelerator, loss, "classifier")
        accuracy = (logits.detach().argmax(1) == batch["label"]).float().mean()
        return {"loss": loss.item(), "accuracy": accuracy.item()}

    def pipeline(self, nets):
        from zoo.pipelines import ClassifierPipeline

        options = {"labels": self.labels, "dataset": self.args.dataset or "mnist"}
        return ClassifierPipeline({"model": nets["classifier"]}, options=options)

    def card_info(self):
        return {"tags": ["image-classification", "evaluator"]}


def main(argv: list[str] | None = None) -> int:
    return engine.main(ClassifierTask, "classifier", __doc__.splitlines()[0], add_flags, argv)


if __name__ == "__main__":
    sys.exit(main())
