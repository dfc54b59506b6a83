"""A colouriser's PSNR with 0 and 10 simulated hints on a set, per photo (the hint protocol's sampling,
``zoo.protocols.restoration.measure.colour_hints``): the mean gain and how many photos get worse with hints.

    PYTHONPATH=. .venv/bin/python tools/probes/hint_gain.py colorize-hints kodak24

2026-12-05, colorize-hints as published: kodak24 22.79 -> 24.37 dB (+1.58), 6 of 24 photos worse (kodim22 -3.7,
kodim11 -1.8); the model's hint spread off (``--no-spread``): +1.68. 2026-12-06, saturation 0.77: 22.42 -> 24.12 dB
(+1.70), 5 of 24 worse. What goes wrong, seen on strips of kodim22 and kodim11: one hint on a small red patch (a barn's
reflection, a boat's hull) turns the whole water below it red; the network spreads a hint over every pixel of a
similar lightness it reaches.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import zoo
from zoo.data.paths import resolve_datasets
from zoo.metrics import psnr
from zoo.protocols.restoration.measure import colour_hints


def main(argv: list[str]) -> None:
    name, dataset = argv[0], argv[1]
    pipe = zoo.load(name)
    if "--no-spread" in argv:
        pipe.options["hint_spread"] = None
    files = sorted(p for p in resolve_datasets(dataset)[0].rglob("*") if p.suffix.lower() in (".png", ".jpg"))
    zero, ten = [], []
    for index, path in enumerate(files):
        original = np.asarray(Image.open(path).convert("RGB"))
        gray = Image.fromarray(original).convert("L")
        zero.append(psnr(original, np.asarray(pipe(gray).convert("RGB"))))
        hinted = pipe(gray, hints=colour_hints(original, 10, index))
        ten.append(psnr(original, np.asarray(hinted.convert("RGB"))))
        print(f"{path.name}: {zero[-1]:.2f} -> {ten[-1]:.2f} ({ten[-1] - zero[-1]:+.2f})")
    worse = sum(b < a for a, b in zip(zero, ten, strict=True))
    print(f"{dataset}: {np.mean(zero):.2f} -> {np.mean(ten):.2f} dB ({np.mean(ten) - np.mean(zero):+.2f}), "
          f"{worse} of {len(files)} photos worse")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
