"""Session 11 one-off: interpolating denoise-real and denoise-color weights (alpha 1, .85, .7, .5) on 256 px crops of
imagenet-sample/val (not a test set): PSNR gain over denoise-color per kind."""

import copy
import glob

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise
from zoo.protocols.realworld import degrade_for_test

torch.set_num_threads(2)
real, col = zoo.load("denoise-real"), zoo.load("denoise-color")
sd_r = copy.deepcopy(real.models["model"].state_dict())
sd_c = col.models["model"].state_dict()
files = sorted(glob.glob("../shared/data/imagenet-sample/val/*.jpg"))[::3]
imgs = []
for f in files:
    im = Image.open(f).convert("RGB")
    im = im.resize((im.width // 2, im.height // 2), Image.Resampling.BOX)
    a = np.asarray(im)[:256, :256]
    imgs.append((f.split("/")[-1], a))


def q(a):
    return np.rint(np.clip(a, 0, 1) * 255)


kinds = ["jpeg q20", "poisson-gaussian", "correlated 20", "mixed"]
cases = []
for name, clean in imgs:
    cases.append(("awgn25", clean, add_gaussian_noise(clean.astype(np.float32) / 255, 25, seed=0)))
    for k in kinds:
        cases.append((k, clean, degrade_for_test(clean, k, name).astype(np.float32) / 255))
ests = [real.blind_level(d) for _, _, d in cases]
base = {}
for kind, clean, d in cases:
    base.setdefault(kind, []).append(psnr(clean, q(col.denoise_array(d, None))))
print("color", {k: round(np.mean(v), 2) for k, v in base.items()}, flush=True)
for alpha in (1.0, 0.85, 0.7, 0.5):
    real.models["model"].load_state_dict(
        {k: alpha * sd_r[k] + (1 - alpha) * sd_c[k] if sd_r[k].is_floating_point() else sd_r[k] for k in sd_r}
    )
    res = {}
    for (kind, clean, d), e in zip(cases, ests, strict=False):
        res.setdefault(kind, []).append(psnr(clean, q(real.denoise_array(d, e))))
    print(alpha, {k: round(np.mean(v) - np.mean(base[k]), 2) for k, v in res.items()}, flush=True)
