"""Session 11 one-off: the strength estimator averaged over 8 flips/rotations vs one pass, white noise sigma 25."""

import glob

import numpy as np
import torch
from PIL import Image

import zoo
from tests.restoration.test_published_real import kodak
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise
from zoo.pipelines.images import to_tensor

torch.set_num_threads(2)
real, col = zoo.load("outputs/denoise-real/final"), zoo.load("denoise-color")
est = real.models["estimator"]


def q(a):
    return np.rint(np.clip(a, 0, 1) * 255)


@torch.no_grad()
def tta(a):
    x = to_tensor(a, "cpu").float()
    vals = []
    for k in range(4):
        for flip in (False, True):
            y = torch.rot90(x, k, (2, 3))
            y = y.flip(3) if flip else y
            vals.append(float(est(y)))
    return float(np.mean(vals)) * 255, float(np.median(vals)) * 255


sets = [
    (f.split("/")[-1], np.asarray(Image.open(f).convert("RGB")))
    for f in sorted(glob.glob("../shared/data/cbsd68/*.png"))[::4]
]
for label, items in (("cbsd68/4", sets), ("kodak crops", kodak())):
    r = []
    for _name, clean in items:
        noisy = add_gaussian_noise(clean.astype(np.float32) / 255, 25, seed=0)
        e1 = real.blind_level(noisy)
        m, med = tta(noisy)
        r.append(
            [psnr(clean, q(col.denoise_array(noisy, None)))]
            + [psnr(clean, q(real.denoise_array(noisy, s))) for s in (e1, m, 25.0)]
            + [e1, m]
        )
    print(label, "color | est | tta | true25 | est, tta readings", np.round(np.mean(r, 0), 3), flush=True)
