"""Train a VAE on 28x28 digits or clothing (vae-mnist: 2-D latent MLP; vae-fashion: convolutional, 16-D latent).

python -m train.vae --config vae-mnist
accelerate launch -m train.vae --config vae-fashion --output-dir outputs/vae-fashion
"""

from __future__ import annotations

import argparse
import sys

from train import engine
from zoo.losses import vae_terms


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--architecture", default="mlp", choices=["mlp", "conv"])
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--hidden-sizes", type=int, nargs="*", default=[512, 256], help="MLP hidden layer sizes")
    parser.add_argument("--base-channels", type=int, default=32, help="conv VAE width")
    parser.add_argument("--kl-weight", type=float, default=1.0, help="beta of a beta-VAE (1 = the ELBO)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")


class VAETask(engine.Task):
    def build(self) -> None:
        from zoo.nets import MLPVAE, ConvVAE

        a = self.args
        if a.architecture == "mlp":
            net = MLPVAE(latent_dim=a.latent_dim, hidden_sizes=list(a.hidden_sizes))
        else:
            net = ConvVAE(latent_dim=a.latent_dim, base_channels=a.base_channels)
        self.nets = {"vae": net}
        self.optimizers = {"vae": self.adam(net)}

    def dataset(self):
        from zoo.data import ArrayImageDataset, load_mnist

        images, labels = load_mnist(self.args.dataset or "mnist", "train", self.args.data_dir)
        limit = self.args.train_limit
        return ArrayImageDataset(images[:limit], labels[:limit])

    def training_step(self, batch, accelerator, step):
        net = self.nets["vae"]
        x = batch["image"]
        logits, mu, logvar = net(x)  # through forward, so DDP synchronises gradients
        bce, kl = vae_terms(logits, x, mu, logvar)
        loss = (bce + self.args.kl_weight * kl).mean()
        self.optimize(accelerator, loss, "vae")
        return {"loss": loss.item(), "bce": bce.mean().item(), "kl": kl.mean().item()}

    def samples(self, nets):
        from zoo.pipelines import VAEPipeline
        from zoo.pipelines.images import image_grid

        return image_grid(VAEPipeline({"model": nets["vae"]}).sample(64, seed=0), columns=8)

    def pipeline(self, nets):
        from zoo.pipelines import VAEPipeline

        return VAEPipeline({"model": nets["vae"]}, options={"dataset": self.args.dataset})


if __name__ == "__main__":
    sys.exit(engine.main(VAETask, "vae", __doc__.splitlines()[0], add_flags))
