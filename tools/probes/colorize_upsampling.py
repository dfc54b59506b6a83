"""How a colouriser's working-size ab is brought to the photo's size, chosen by measurement: bicubic against the
fast guided filter (``zoo.pipelines.colorize.guided_upsample``) at several radii and eps, on the held-out
imagenet-sample/val photos at their FULL size (the pipeline upsamples 2-4x from its working size, 8-16x for a
quarter-resolution classification head).

    PYTHONPATH=. .venv/bin/python tools/probes/colorize_upsampling.py colorize [radius:eps ...]

Prints the validation numbers (PSNR, gain over gray, colourfulness ratio, hue spread ratio, ab AuC) per setting.
"""

from __future__ import annotations

import sys

import zoo
from train.colorize import load_photos
from zoo.data.paths import resolve_datasets
from zoo.protocols.restoration.measure import colorize_validation


def main(argv: list[str]) -> None:
    name, settings = argv[0], argv[1:] or ["1:0.01", "1:0.001", "2:0.01", "2:0.001"]
    pipe = zoo.load(name)
    photos = load_photos(resolve_datasets("imagenet-sample/val"), 100_000)  # full size
    print(f"{name}: {len(photos)} imagenet-sample/val photos at full size, working size {pipe.working_size}")
    for setting in ["bicubic", *settings]:
        if setting == "bicubic":
            pipe.options["upsampling"] = "bicubic"
        else:
            radius, eps = setting.split(":")
            pipe.options.update(upsampling="guided", guide_radius=int(radius), guide_eps=float(eps))
        scores = colorize_validation(pipe, photos)
        print(f"{setting:<10} " + "  ".join(f"{key} {value:.4g}" for key, value in scores.items()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
