"""The annealed-mean temperature of a classification colouriser, chosen by measurement: the held-out validation
numbers (PSNR, gain over gray, colourfulness ratio, hue spread ratio, ab AuC) of a trained run at several T.

    PYTHONPATH=. .venv/bin/python tools/probes/colorize_temperature.py outputs/colorize-hints/final [T ...]

The temperature is a decoding option (``pipeline.json`` options), so changing it needs no retraining; Zhang et al.
2016 picked T = 0.38 the same way, on their validation set.
"""

from __future__ import annotations

import sys

import zoo
from train.colorize import load_photos
from zoo.data.paths import resolve_datasets
from zoo.protocols.restoration.measure import colorize_validation


def main(argv: list[str]) -> None:
    folder, temperatures = argv[0], [float(t) for t in argv[1:]] or [0.38, 0.5, 0.62, 0.75, 1.0]
    pipe = zoo.load(folder)
    photos = load_photos(resolve_datasets("imagenet-sample/val"), int(pipe.options.get("working_size", 256)))
    print(f"{folder}: {len(photos)} imagenet-sample/val photos")
    for temperature in temperatures:
        pipe.options["temperature"] = temperature
        scores = colorize_validation(pipe, photos)
        print(f"T={temperature:<5g} " + "  ".join(f"{key} {value:.4g}" for key, value in scores.items()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
