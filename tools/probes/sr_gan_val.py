"""Perception-distortion of x4 upscalers on held-out photos (imagenet-sample/val, 44 photos, never a test set), with
the superres-real protocol's LR pipeline (``zoo.protocols.realworld.superres_lr``, seeded per file name): mean Y-PSNR
(4 pixels shaved) and sharpness ratio (mean luminance gradient of the output over the HR's) per model, and bicubic.

    PYTHONPATH=. .venv/bin/python tools/probes/sr_gan_val.py superres-x4-real superres-x4-gan \\
        outputs/superres-x4-gan-w10/final
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import zoo
from zoo.data.paths import resolve_datasets
from zoo.metrics import crop_to_multiple, y_psnr
from zoo.protocols.realworld import sharpness_ratio, superres_lr


def main(names: list[str]) -> None:
    files = sorted((resolve_datasets("imagenet-sample")[0] / "val").glob("*.jpg"))
    methods = {name: zoo.load(name) for name in names}
    methods["bicubic"] = lambda low: low.resize((low.width * 4, low.height * 4), Image.Resampling.BICUBIC)
    scores = {name: ([], []) for name in methods}
    for path in files:
        hr = crop_to_multiple(np.asarray(Image.open(path).convert("RGB")), 4)
        low = Image.fromarray(superres_lr(hr, path.name, 4))
        for name, upscale in methods.items():
            sr = np.asarray(upscale(low).convert("RGB"))
            scores[name][0].append(y_psnr(hr, sr, 4))
            scores[name][1].append(sharpness_ratio(sr, hr))
    print(f"imagenet-sample/val: {len(files)} photos")
    for name, (psnrs, sharpness) in scores.items():
        print(f"{name:<40} PSNR (Y) {np.mean(psnrs):.2f}  sharpness ratio {np.mean(sharpness):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
