"""Can colorize-hints lose its blotches (red, green and blue patches over faces, clothes and foliage) at decode time,
without retraining, while keeping the colour the issue asks for? Each setting decodes the network's bin logits
another way; printed per setting, on held-out photos at full size (never a test set): PSNR, colourfulness ratio, hue
spread ratio, and the **loud-error share**: the share of pixels whose output is colourful (chroma > 20 Lab units) and
wrong (ab more than 30 units from the original's), which is what a blotch is; the gray image scores 0.

A setting is comma-separated ``key=value`` (defaults: the published decoding):

- ``T``: annealed-mean temperature (published 0.38); ``sat``: the global saturation (published 0.77);
- ``blur``: the bin probabilities averaged over a ``blur`` x ``blur`` window of the head's grid before decoding, so
  neighbouring pixels agree on a mode (0: off);
- ``agree`` (gamma) with ``conf`` (r, Lab units): each pixel's ab scaled by ``c ** gamma``, c the probability mass
  (at T = 1) within r of the decoded colour: a pixel whose distribution is split between far-apart colours (the
  network does not know red from green) is muted, a confident one keeps its colour.

    PYTHONPATH=. .venv/bin/python tools/probes/colorize_blotches.py colorize-hints imagenet-sample/val \\
        "" blur=3 agree=1,conf=20

2026-12-07 (AMD EPYC), imagenet-sample/val (44 photos), colorize-hints as published (T 0.38, saturation 0.77):
PSNR 21.55, colourfulness ratio 0.876, hue spread ratio 0.92, loud errors 8.5% of the pixels; saturation 0.7: 0.799
and 6.0%. Every other decoding lands on the same line of loud errors against colourfulness: blur 3 / 5 / 9 give
0.816 / 0.773 / 0.710 at 6.8 / 5.6 / 4.2%; agree 0.3 (conf 20, saturation 1) 0.818 at 6.4%, agree 0.25 (conf 30,
saturation 0.9) 0.872 at 8.2%, agree 0.5 (conf 30, saturation 1.1) 0.913 at 9.5%; T 0.2 0.956 at 10.8%; T 0.6
(saturation 1) 1.03 at 15.9%. The network's confidence does not tell its right colours from its blotches, so no
decoding removes the blotches without removing as much of the colour. For scale, the L2 ``colorize`` (``sat=1``):
0.761 at 6.6% (its brown is "loud" on a blue or green original). colorize-hints-mix09 retrained
(``outputs/colorize-hints-mix09/final``): saturation 1.3 / 1.4 give 0.791 / 0.851 at 5.6 / 7.2%, PSNR 22.10 / 21.83,
about half a point of loud errors under the published model at the same colour; on kodak24's faces (kodim04,
kodim15, looked at, not scored) it paints a green face where the published one paints blue and red patches, and the
L2 model a plausible brown. The blotches are the network's, and the faces show why: the 1121 training photos hold few
people.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import zoo
from train.colorize import load_photos
from zoo.colorbins import AB_RANGE, ab_bins, decode_logits
from zoo.data.paths import resolve_datasets
from zoo.metrics import ab_channels, colourfulness, hue_spread, psnr

DEFAULTS = {"T": 0.38, "sat": 0.77, "blur": 0, "agree": 0.0, "conf": 20.0}
LOUD_CHROMA, LOUD_ERROR = 20.0, 30.0
TEST_SETS = ("kodak24", "cbsd68", "sun_hays80")


def parse(setting: str) -> dict:
    values = dict(DEFAULTS)
    for part in filter(None, setting.split(",")):
        key, value = part.split("=")
        values[key] = float(value)
    return values


def decode(logits: torch.Tensor, s: dict) -> torch.Tensor:
    """``[N, Q, h, w]`` logits -> ``[N, 2, h, w]`` ab / 110 under setting ``s`` (a regression network's ``[N, 2, h,
    w]`` ab / 110 takes only ``sat``)."""
    if logits.shape[1] == 2:
        return logits.float() * s["sat"]
    centres = torch.from_numpy(ab_bins() / AB_RANGE).to(logits.device)
    probs = torch.softmax(logits.float(), dim=1)
    if s["blur"] > 1:
        k = int(s["blur"])
        probs = F.avg_pool2d(probs, k, stride=1, padding=k // 2, count_include_pad=False)
    ab = decode_logits(probs.clamp_min(1e-12).log(), s["T"])  # softmax(log p / T): the annealed mean of p
    if s["agree"] > 0:
        distance = torch.cdist(ab.permute(0, 2, 3, 1).reshape(-1, 2), centres)  # [N h w, Q]
        near = (distance <= s["conf"] / AB_RANGE).float()
        mass = (probs.permute(0, 2, 3, 1).reshape(-1, centres.shape[0]) * near).sum(dim=1)
        gate = mass.reshape(ab.shape[0], 1, ab.shape[2], ab.shape[3]) ** s["agree"]
        ab = ab * gate
    return ab * s["sat"]


def scores(pipe, photos, setting: dict) -> dict:
    pipe.decode = lambda out: decode(out, setting)
    out = {"psnr": [], "colour": [], "orig_colour": [], "hue": [], "orig_hue": [], "loud": []}
    for original in photos:
        gray = Image.fromarray(original).convert("L")
        result = np.asarray(pipe(gray).convert("RGB"))
        ab_out, ab_ref = ab_channels(result), ab_channels(original)
        chroma = np.hypot(ab_out[..., 0], ab_out[..., 1])
        error = np.hypot(*(ab_out - ab_ref).transpose(2, 0, 1))
        out["psnr"].append(psnr(original, result))
        out["colour"].append(colourfulness(result))
        out["orig_colour"].append(colourfulness(original))
        out["hue"].append(hue_spread(ab_out, ab=True))
        out["orig_hue"].append(hue_spread(ab_ref, ab=True))
        out["loud"].append(float(((chroma > LOUD_CHROMA) & (error > LOUD_ERROR)).mean()))
    return {
        "psnr": np.mean(out["psnr"]),
        "colour": np.mean(out["colour"]) / np.mean(out["orig_colour"]),
        "hue": np.mean(out["hue"]) / np.mean(out["orig_hue"]),
        "loud%": 100 * np.mean(out["loud"]),
    }


def main(argv: list[str]) -> None:
    name, held_out, settings = argv[0], argv[1], argv[2:] or [""]
    if held_out.split("/")[0] in TEST_SETS:
        raise SystemExit(f"{held_out} is a test set: decoding is chosen on held-out photos only")
    pipe = zoo.load(name)
    photos = load_photos(resolve_datasets(held_out), 100_000)
    print(f"{name}: {len(photos)} {held_out} photos at full size")
    for setting in settings:
        line = "  ".join(f"{k} {v:.3f}" for k, v in scores(pipe, photos, parse(setting)).items())
        print(f"{setting or 'as published':<28} {line}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
