"""What train/pix2pix.py and train/cyclegan.py share: the flags of both translation scripts, the synthetic dataset's
name, the paper's jitter size, where a paired dataset's splits are, and the [-1, 1] tensor -> PIL conversion."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

SYNTHETIC = "shapes"
SAMPLE_SEED = 12_345  # the fixed shapes shown in sample grids (not the training seed)


def jitter_load_size(resolution: int, load_size: int | None) -> int:
    """The paper's 286 -> 256 jitter, scaled to other crop sizes (143 for 128, 72 for 64)."""
    return load_size or round(resolution * 286 / 256)


def paired_root(args: argparse.Namespace) -> Path:
    """The folder that holds ``train/`` and ``test/`` or ``val/``."""
    from zoo.data import resolve_dataset

    return resolve_dataset(args.dataset, args.data_dir)


def eval_split(root: Path) -> str:
    return "test" if (root / "test").is_dir() else "val"


def tensor_image(tensor: torch.Tensor):
    """[C,H,W] in [-1,1] -> PIL."""
    from zoo.pipelines.images import from_array, to_numpy

    return from_array((to_numpy(tensor[None].float()) + 1.0) / 2.0)


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--direction", choices=["AtoB", "BtoA"], help="which half is the input (default: the task's)")
    parser.add_argument("--load-size", type=int, help="jitter: resize to this before the random crop (default 286/256)")
    parser.add_argument("--ngf", type=int, default=64, help="generator width")
    parser.add_argument("--ndf", type=int, default=64, help="discriminator width")
    parser.add_argument("--n-layers-d", type=int, default=3, help="PatchGAN depth (3 = 70x70 patches)")
    parser.add_argument("--norm", default="batch", choices=["batch", "instance", "none"], help="generator norm")
    parser.add_argument("--gan-mode", default="vanilla", choices=["vanilla", "lsgan"], help="BCE or least squares")
    parser.add_argument("--train-limit", type=int, help="use only the first N training items (smoke runs)")
    parser.add_argument("--synthetic-count", type=int, default=4000, help="training images of --dataset shapes")
