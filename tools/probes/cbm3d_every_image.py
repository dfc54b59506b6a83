"""denoise-real (blind) against CBM3D (sigma from the white-noise estimate, the protocol's peer) on every image of a
real-world test set that the protocol evaluates (``MODEL_STRIDE``: cbsd68 one in 2), for the degradation kinds named.
The protocol (``zoo.protocols.realworld.CBM3D_STRIDE``) runs CBM3D on one of those images in 12 to keep a full
evaluation short; this runs it on all of them. Same degraded images and seeds as the protocol.

    PYTHONPATH=. .venv/bin/python tools/probes/cbm3d_every_image.py kodak24 "jpeg q20"

2026-12-06, Intel Xeon 2 cores (CBM3D in 2 processes): kodak24 jpeg q20 (24 images, 7 min): input 29.02, CBM3D
29.03, denoise-real 30.09 (+1.06 over CBM3D; the protocol's two images read +0.77); cbsd68 jpeg q20 (34 images,
6 min): input 28.37, CBM3D 28.38, denoise-real 29.50 (+1.13). The white-noise estimate reads JPEG damage as about
1, so CBM3D returns the input nearly as it came.
"""

from __future__ import annotations

import sys

import numpy as np

import zoo
from zoo.data import dataset_dir, list_images
from zoo.metrics import psnr
from zoo.protocols.realworld import MODEL_STRIDE, _denoise_blind, cbm3d_blind, degrade_for_test
from zoo.protocols.restoration.measure import _load_uint8
from zoo.protocols.restoration.peers import run_in_processes


def main(argv: list[str]) -> None:
    name, kinds = argv[0], argv[1:]
    pipe = zoo.load("denoise-real")
    files = list_images(dataset_dir(name, None))[:: MODEL_STRIDE.get(name, 1)]
    for kind in kinds:
        cleans = [_load_uint8(path, 3) for path in files]
        degraded = [degrade_for_test(clean, kind, path.name) for clean, path in zip(cleans, files, strict=True)]
        ours = [psnr(clean, _denoise_blind(pipe, image)) for clean, image in zip(cleans, degraded, strict=True)]
        peer = run_in_processes(cbm3d_blind, [(image,) for image in degraded], 2)
        theirs = [psnr(clean, out) for clean, (out, _, _) in zip(cleans, peer, strict=True)]
        inputs = [psnr(clean, image) for clean, image in zip(cleans, degraded, strict=True)]
        print(
            f"{name} {kind} ({len(files)} images): input {np.mean(inputs):.2f}, CBM3D {np.mean(theirs):.2f}, "
            f"denoise-real {np.mean(ours):.2f} ({np.mean(ours) - np.mean(theirs):+.2f} over CBM3D)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
