"""A colouriser's decoding, chosen by measurement on held-out photos (imagenet-sample/val at full size, never a test
set): the annealed-mean temperature T, the chroma upsampling (bicubic or the guided filter) and the hint spread.
None of these needs retraining: they are pipeline options that ``--eval-only`` applies (``Task.decoding``).

    PYTHONPATH=. .venv/bin/python tools/probes/colorize_decoding.py outputs/colorize-hints/final \\
        T=0.38 T=0.62,up=guided T=0.62,spread=0.1:0.1:0.3

``--set=bsds500/test`` scores another held-out set instead (the colourisers train on bsds500/train; never name a
test set of the protocol here: kodak24, cbsd68, sun_hays80).

A setting is comma-separated ``T=<temperature>``, ``sat=<saturation>``, ``up=<bicubic|guided>``,
``guide=<radius>:<eps>``, ``spread=<reach>:<tone>:<prior>``; the rest stay at the model's own options. Per setting
it prints the validation numbers (PSNR, gain over gray, colourfulness ratio, hue spread ratio, ab AuC) and, for a
model taking hints, the PSNR with 10 simulated hints (the hint protocol's sampling,
``zoo.protocols.restoration.measure.colour_hints``).
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import zoo
from train.colorize import load_photos
from zoo.data.paths import resolve_datasets
from zoo.metrics import psnr
from zoo.protocols.restoration.measure import colorize_validation, colour_hints

HINTS = 10


def apply(pipe, setting: str, base: dict) -> None:
    pipe.options.clear()
    pipe.options.update(base)
    for part in filter(None, setting.split(",")):
        key, value = part.split("=")
        if key == "T":
            pipe.options["temperature"] = float(value)
        elif key == "sat":
            pipe.options["saturation"] = float(value)
        elif key == "up":
            pipe.options["upsampling"] = value
        elif key == "guide":
            radius, eps = value.split(":")
            pipe.options.update(guide_radius=int(radius), guide_eps=float(eps))
        elif key == "spread":
            reach, tone, prior = (float(v) for v in value.split(":"))
            pipe.options["hint_spread"] = {"reach": reach, "tone": tone, "prior": prior}
        else:
            raise SystemExit(f"unknown setting {key!r} in {setting!r}")


def hinted_psnr(pipe, photos) -> float:
    scores = []
    for index, original in enumerate(photos):
        gray = Image.fromarray(original).convert("L")
        out = np.asarray(pipe(gray, hints=colour_hints(original, HINTS, index)).convert("RGB"))
        scores.append(psnr(original, out))
    return float(np.mean(scores))


def main(argv: list[str]) -> None:
    held_out = next((arg.split("=", 1)[1] for arg in argv if arg.startswith("--set=")), "imagenet-sample/val")
    argv = [arg for arg in argv if not arg.startswith("--set=")]
    if held_out.split("/")[0] in ("kodak24", "cbsd68", "sun_hays80"):
        raise SystemExit(f"{held_out} is a test set: decoding is chosen on held-out photos only")
    folder, settings = argv[0], argv[1:] or [""]
    pipe = zoo.load(folder)
    base = dict(pipe.options)
    photos = load_photos(resolve_datasets(held_out), 100_000)  # full size, as a visitor's photo
    print(f"{folder}: {len(photos)} {held_out} photos at full size; options {base}")
    for setting in settings:
        apply(pipe, setting, base)
        scores = colorize_validation(pipe, photos)
        line = "  ".join(f"{key} {value:.4g}" for key, value in scores.items())
        if pipe.takes_hints:
            line += f"  psnr_{HINTS}_hints {hinted_psnr(pipe, photos):.4g}"
        print(f"{setting or 'as published':<32} {line}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
