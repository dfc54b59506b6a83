"""Y-PSNR and sharpness of bicubic, superres-x4, superres-x4-real and denoise -> upscale chains on the superres-real
LR of 8 kodak24 + 8 cbsd68 images (session 11; since 2026-12-06 it reads the published superres-x4-real). Argument:
a denoiser (a catalog name or a run's final folder).

    PYTHONPATH=. .venv/bin/python tools/probes/sr_probe.py denoise-real

2026-12-06 (AMD EPYC, the published denoise-real and superres-x4-real): bicubic 23.62, superres-x4 23.64,
superres-x4-real 24.21, denoise-real -> superres-x4 23.90, denoise-real -> superres-x4-real 24.21, denoise-real ->
bicubic 23.77: denoising the LR first adds nothing to superres-x4-real, which already removes the noise it can.
"""

import glob
import sys

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.metrics import crop_to_multiple, y_psnr
from zoo.protocols.realworld import sharpness_ratio, superres_lr

torch.set_num_threads(2)
den = zoo.load(sys.argv[1])
x4 = zoo.load("superres-x4")
x4r = zoo.load("superres-x4-real")
files = sorted(glob.glob("../shared/data/kodak24/*.png"))[::3] + sorted(glob.glob("../shared/data/cbsd68/*.png"))[::9]
methods = {
    "bicubic": lambda low: low.resize((low.width * 4, low.height * 4), Image.Resampling.BICUBIC),
    "x4": x4,
    "x4-real": x4r,
    "den->x4": lambda low: x4(den(low)),
    "den->x4-real": lambda low: x4r(den(low)),
    "den->bicubic": lambda low: den(low).resize((low.width * 4, low.height * 4), Image.Resampling.BICUBIC),
}
res = {m: [] for m in methods}
sh = {m: [] for m in methods}
for f in files:
    hr = crop_to_multiple(np.asarray(Image.open(f).convert("RGB")), 4)
    low = Image.fromarray(superres_lr(hr, f.split("/")[-1], 4))
    for m, fn in methods.items():
        sr = np.asarray(fn(low).convert("RGB"))
        res[m].append(y_psnr(hr, sr, 4))
        sh[m].append(sharpness_ratio(sr, hr))
    print(f.split("/")[-1], " ".join(f"{m}={res[m][-1]:.2f}" for m in methods), flush=True)
for m in methods:
    print(f"{m:14s} {np.mean(res[m]):.3f}  sharp {np.mean(sh[m]):.3f}")
