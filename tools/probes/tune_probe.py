"""Session 11 one-off: a Gaussian-heavier denoiser fine-tune (outputs/denoise-real-awgn) against the stage-1 denoiser,
both with the attention estimator, on imagenet-sample/val crops and on CBSD68 (every 4th) at sigma 25."""

import glob

import numpy as np
import torch
from PIL import Image

import zoo
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise
from zoo.protocols.realworld import degrade_for_test

torch.set_num_threads(2)
old = zoo.load("outputs/denoise-real/final")
new = zoo.load("outputs/denoise-real/final")
new.models["model"].load_state_dict(zoo.load("outputs/denoise-real-awgn/final").models["model"].state_dict())
col = zoo.load("denoise-color")


def q(a):
    return np.rint(np.clip(a, 0, 1) * 255)


def val_images():
    for f in sorted(glob.glob("../shared/data/imagenet-sample/val/*.jpg"))[::3]:
        im = Image.open(f).convert("RGB")
        im = im.resize((im.width // 2, im.height // 2), Image.Resampling.BOX)
        yield f.split("/")[-1], np.asarray(im)[:256, :256]


res = {}
for name, clean in val_images():
    cases = [("awgn25", add_gaussian_noise(clean.astype(np.float32) / 255, 25, seed=0))]
    cases += [
        (k, degrade_for_test(clean, k, name).astype(np.float32) / 255)
        for k in ["jpeg q20", "poisson-gaussian", "correlated 20", "mixed"]
    ]
    for kind, d in cases:
        e = old.blind_level(d)
        for m, p in (("color", col), ("old", old), ("new", new)):
            res.setdefault((kind, m), []).append(psnr(clean, q(p.denoise_array(d, None if m == "color" else e))))
for kind in dict.fromkeys(k for k, _ in res):
    c = np.mean(res[(kind, "color")])
    print(
        f"val {kind:18s} color {c:.2f} old {np.mean(res[(kind, 'old')]) - c:+.2f} "
        f"new {np.mean(res[(kind, 'new')]) - c:+.2f}",
        flush=True,
    )
# the check: cbsd68 sigma 25 blind, 17 images (every 4th)
files = sorted(glob.glob("../shared/data/cbsd68/*.png"))[::4]
r = []
for _i, f in enumerate(files):
    clean = np.asarray(Image.open(f).convert("RGB"))
    noisy = add_gaussian_noise(clean.astype(np.float32) / 255, 25, seed=0)
    r.append([psnr(clean, q(p.denoise_array(noisy, None))) for p in (col, old, new)])
print("cbsd68/4 awgn25 blind color old new", np.round(np.mean(r, 0), 3))
