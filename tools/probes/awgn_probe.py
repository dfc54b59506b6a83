"""Session 11 one-off: blind and fixed-strength PSNR of a denoise-real run against denoise-color (blind) on
10 CBSD68 images, white noise sigma 25.
Run from the repo root: PYTHONPATH=. python tools/probes/awgn_probe.py RUN/final"""

import glob
import sys

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.metrics import psnr

torch.set_num_threads(2)
real = zoo.load(sys.argv[1])
color = zoo.load("denoise-color")
files = sorted(glob.glob("../shared/data/cbsd68/*.png"))[::7][:10]
rows = []
for i, f in enumerate(files):
    clean = np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / 255
    rng = np.random.default_rng(i)
    noisy = clean + rng.normal(0, 25 / 255, clean.shape).astype(np.float32)
    est = real.blind_level(noisy)
    r = [psnr(clean, color.denoise_array(noisy, None), 1.0)]
    for s in (20, 25, 30, est):
        r.append(psnr(clean, real.denoise_array(noisy, s), 1.0))
    r.append(est)
    rows.append(r)
    print(f, " ".join(f"{v:.2f}" for v in r), flush=True)
print("mean color-blind | real@20 @25 @30 @est | est", " ".join(f"{v:.2f}" for v in np.mean(rows, 0)))
