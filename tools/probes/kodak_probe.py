"""Session 11 one-off: the published-floor white-noise check's three Kodak crops, blind vs strength 22/25/28."""

import numpy as np
import torch

import zoo
from tests.restoration.test_published_real import kodak
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise

torch.set_num_threads(2)
real, col = zoo.load("denoise-real"), zoo.load("denoise-color")


def q(a):
    return np.rint(np.clip(a, 0, 1) * 255)


for name, clean in kodak():
    noisy = add_gaussian_noise(clean.astype(np.float32) / 255, 25, seed=0)
    est = real.blind_level(noisy)
    r = [psnr(clean, q(col.denoise_array(noisy, None)))] + [
        psnr(clean, q(real.denoise_array(noisy, s))) for s in (est, 22, 25, 28)
    ]
    print(name, f"est {est:.1f}", " ".join(f"{v:.2f}" for v in r))
