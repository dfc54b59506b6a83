"""The photo restoration family's reports: the card notes (protocol prose and markdown tables, through ``zoo.tables``)
and the before/after strips. Everything here is given the numbers; nothing is measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL
from zoo.protocols.common import SEED
from zoo.protocols.restoration.measure import HINT_COUNTS, HINT_PATCH, HINT_SEED, HINT_SETS, _center_crop, _mean
from zoo.tables import table

# Published PSNR (dB) at sigma 15/25/50 from docs/EVALUATION.md, shown in the card's notes for context.
PUBLISHED_DENOISE = {
    "set12": "DnCNN 32.67/30.35/27.18, FFDNet 32.75/30.43/27.32",
    "bsd68": "BM3D 31.07/28.57/25.62, DnCNN 31.73/29.23/26.23, FFDNet 31.63/29.19/26.29, DRUNet 31.91/29.48/26.59",
    "cbsd68": "FFDNet 33.87/31.21/27.96, DRUNet 34.30/31.69/28.51",
    "kodak24": "FFDNet 34.63/32.13/28.98",
}
PUBLISHED_SR = {
    ("set5", 2): "bicubic 33.66, SRCNN 36.66, VDSR 37.56, EDSR-baseline 37.99",
    ("set5", 4): "bicubic 28.42, SRCNN 30.48, VDSR 31.35, EDSR-baseline 32.10",
    ("set14", 2): "bicubic 30.24, VDSR 33.02, EDSR-baseline 33.57",
    ("set14", 4): "bicubic 26.00, VDSR 27.99, EDSR-baseline 28.58",
}


def _markdown(header: list[str], rows: list[list[Any]]) -> str:
    return table(header, rows)


def _compute(pipe: Any) -> str:
    """How the model ran, for the cards' timing notes: threads and the precision the networks computed in."""
    import torch

    dtype = "bf16 autocast" if pipe.compute_dtype == torch.bfloat16 else "fp32"
    return f"torch, {torch.get_num_threads()} threads, {dtype} (precision={pipe.precision!r})"


def _strip(arrays: list[np.ndarray], size: int = 192) -> Image.Image:
    """One row of same-size centre crops (uint8 arrays), for the card's before/after figure."""
    from zoo.pipelines.images import image_grid

    return image_grid([Image.fromarray(_center_crop(a, size)) for a in arrays], columns=len(arrays))


def _missing(missing: list[str]) -> list[str]:
    return [f"Not evaluated (test set not found on this machine): {', '.join(missing)}."] if missing else []


# ------------------------------------------------------------------------------------------------------ denoising
def denoise_notes(
    pipe: Any,
    scores: dict[tuple, list[float]],
    counts: dict[str, int],
    missing: list[str],
    estimates: dict[int, list[float]],
    model_seconds: dict[str, float],
    bm3d_seconds: dict[str, list[float]],
    peer: bool,
    version: str | None,
    *,
    sigmas: tuple[int, ...],
    strides: dict[str, int],
    subsets: dict[str, str],
    primary: str,
) -> str:
    """``strides``: the model's every-k-th image per set; ``subsets``: the BM3D rows' dataset name per set."""
    parts = [
        "Protocol (KAIR / DnCNN, docs/EVALUATION.md): clean image in [0, 1] plus Gaussian noise N(0, (sigma/255)^2) "
        f"drawn with `numpy.random.seed({SEED})` for every image (float, not clipped); outputs clipped and quantized "
        "to uint8; PSNR (dB) and SSIM on the "
        + ("gray" if pipe.channels == 1 else "RGB")
        + " image, no border crop; the noisy-input row is the noisy image clipped and quantized. The model is given "
        "the true sigma, except in the blind rows, where `sigma=None` estimates it (below)."
    ]
    for name, count in counts.items():
        stride = strides.get(name, 1)
        what = f"{count} images" + (f" (every {stride}th image of the set)" if stride > 1 else "")
        subset = subsets[name]
        header = ["sigma", "noisy input", "this model", "this model SSIM"]
        blind = any(key[0] == name and key[2].endswith("(blind)") for key in scores)
        if blind:
            header.append("this model, blind")
        if peer:
            header += [f"BM3D ({subset})", f"this model ({subset})"]
        rows = []
        for sigma in sigmas:
            row: list[Any] = [
                sigma,
                _mean(scores.get((name, sigma, "noisy input", "PSNR"), [])),
                _mean(scores.get((name, sigma, THIS_MODEL, "PSNR"), [])),
                _mean(scores.get((name, sigma, THIS_MODEL, "SSIM"), [])),
            ]
            if blind:
                row.append(_mean(scores.get((name, sigma, THIS_MODEL + " (blind)", "PSNR"), [])))
            if peer:
                row += [
                    _mean(scores.get((subset, sigma, "BM3D", "PSNR"), [])),
                    _mean(scores.get((subset, sigma, THIS_MODEL, "PSNR"), [])),
                ]
            rows.append(row)
        parts.append(f"**{name}** ({what}), PSNR dB:\n\n" + _markdown(header, rows))
        if name in PUBLISHED_DENOISE:
            parts.append(f"Published on {name} (sigma 15/25/50): {PUBLISHED_DENOISE[name]}.")
    timing = []
    for name, seconds in model_seconds.items():
        line = f"{name}: this model {seconds:.2f} s/image ({_compute(pipe)})"
        if subsets[name] in bm3d_seconds:
            line += f", BM3D {_mean(bm3d_seconds[subsets[name]]):.1f} s/image (one core)"
        timing.append(line)
    parts.append("Time per image: " + "; ".join(timing) + ".")
    if peer:
        parts.append(
            f"BM3D peer: PyPI `bm3d` {version} (`bm3d.bm3d` for gray, `bm3d.bm3d_rgb` (CBM3D) for colour, given the "
            "true sigma, default profile), on the same noisy images; it takes seconds to minutes per image, so it "
            "runs on every k-th evaluated image (the subset named in the column) and the model's PSNR on that same "
            "subset stands beside it."
        )
    else:
        why = "not installed" if version is None else "switched off for this run (BM3D_PEER / ZOO_BM3D=0)"
        parts.append(f"BM3D peer: **not measured** (the `bm3d` package is {why}).")
    if estimates:
        rows = []
        for sigma, values in estimates.items():
            errors = np.asarray(values) - sigma
            rows.append([sigma, len(values), _mean(values), float(np.abs(errors).mean()), float(np.abs(errors).max())])
        parts.append(
            "Blind mode (`sigma=None`): the noise level is estimated with Liu, Tanaka & Okutomi's weak-texture patch "
            "method (`zoo.noise.estimate_sigma`: smallest eigenvalue of the 7x7 patch covariance over weak-textured "
            "patches, 3 rounds, with a finite-sample correction; colour = mean of the channels; on a central crop of "
            "at most 1024x1024), then clamped to [0, max_sigma]; here on the protocol's float noisy images, which are "
            "not clipped (clipping a uint8 photo makes strong noise read lower). Its error on the "
            f"{primary} noisy images (0-255 scale):\n\n"
            + _markdown(["sigma", "images", "mean estimate", "mean abs error", "max abs error"], rows)
        )
    return "\n\n".join(parts + _missing(missing))


# ----------------------------------------------------------------------------------------------- super-resolution
def superres_notes(
    pipe: Any, rows: list[list[Any]], missing: list[str], sets: tuple[str, ...], variants: list | None = None
) -> str:
    scale = pipe.scale
    parts = [
        f"Protocol (docs/EVALUATION.md): HR image cropped to a multiple of {scale}; LR = PIL `BICUBIC` downscale by "
        f"{scale}; PSNR and SSIM on the Y channel (MATLAB rgb2ycbcr, 0-255; gray images as they are) with {scale} "
        "pixels shaved from each side; SR output quantized to uint8 (the pipeline's PIL output). Bicubic = PIL "
        f"`BICUBIC` upscale of the same LR image. Time per image; the model ran with {_compute(pipe)}.",
        _markdown(["set", "images", "method", "PSNR (Y)", "SSIM (Y)", "s/image"], rows),
    ]
    published = [f"{name} x{scale}: {PUBLISHED_SR[(name, scale)]}" for name in sets if (name, scale) in PUBLISHED_SR]
    if published:
        parts.append("Published Y-PSNR (docs/EVALUATION.md): " + "; ".join(published) + ".")
    if variants:
        recipes = ", ".join(f"`bash train/run_recipes.sh {v}` (recipe `train/configs/{v}.json`)" for v, _ in variants)
        parts.append(
            "Architecture variants (their training runs in outputs/, measured in this run): "
            + "; ".join(f"{label}: {_architecture(v)}, {_training(v)}" for label, v in variants)
            + f". This model: {_architecture(pipe)}, {_training(pipe)}. To reproduce a row: "
            + recipes
            + " (a recipe with `init_from` needs that run first), then this card: `python -m train.superres --config "
            + f"{pipe.name or 'NAME'} --eval-only --from-published` (docs/EVALUATION.md)."
        )
    return "\n\n".join(parts + _missing(missing))


def _architecture(pipe: Any) -> str:
    """``"WDSR-B blocks, 439,027 weights"`` of a super-resolution pipeline's network."""
    net = pipe.models["model"]
    kind = "WDSR-B blocks" if getattr(net.config, "block", "edsr") == "wdsr" else "EDSR blocks"
    return f"{kind}, {sum(p.numel() for p in net.parameters()):,} weights"


def _training(pipe: Any) -> str:
    """Steps and training time of the checkpoint: its run's ``training.json`` (beside ``final/``), else the training
    table of its card (a published folder), else what is unknown."""
    import json
    import re

    folder = getattr(pipe, "folder", None)
    if folder is None:
        return "training time not recorded"
    for record_file in (Path(folder) / "training.json", Path(folder).parent / "training.json"):
        try:
            record = json.loads(record_file.read_text())["training"]
            return f"{record['steps']} steps in {record['train_time']}"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    try:
        card = (Path(folder) / "README.md").read_text()
    except OSError:
        return "training time not recorded"
    steps, time = (re.search(rf"^\| {key} \| ([^|]+) \|$", card, re.M) for key in ("steps", "training time"))
    return f"{steps[1].strip()} steps in {time[1].strip()}" if steps and time else "training time not recorded"


# --------------------------------------------------------------------------------------------------- colourising
def _hint_label(count: int) -> str:
    return f"{count} hint" + ("" if count == 1 else "s")


def colorize_notes(
    pipe: Any,
    methods: list[tuple[str, Any]],
    rows: list[list[Any]],
    hint_rows: list[list[Any]],
    hint_images: dict[str, int],
    gains: list[str],
    hinted: list[str],
    missing: list[str],
    *,
    strides: dict[str, int],
    variant_runs: tuple[str, ...],
) -> str:
    header = [
        "set", "images", "method", "PSNR", "PSNR gray", "gain", "colourfulness ratio", "median ratio", "share > gray",
        "hue spread", "hue spread originals", "hue spread ratio", "ab AuC", "ab AuC gray",
    ]  # fmt: skip
    variants = ", ".join(method for method, _ in methods[1:])
    thinned = ", ".join(f"{name} one image in {k}" for name, k in strides.items() if k > 1)
    parts = [
        "Protocol (docs/EVALUATION.md): the input is the luminance of each colour test image (PIL `convert('L')`, "
        "ITU-R 601); PSNR (dB) on RGB uint8 of the output against the original; the gray baseline is that input "
        "replicated to RGB. Colourfulness (Hasler & Suesstrunk 2003) ratio = mean colourfulness of the outputs "
        "over the mean colourfulness of the originals (the median of the per-image ratios is shown too); a "
        "gray or brown output scores near 0. Hue spread = 1 - the chroma-weighted mean resultant length of the CIE "
        "Lab hue angle atan2(b, a) over the pixels with chroma >= 5 (0 = one hue, e.g. sepia; 1 = hues balanced "
        "around the circle; 0 for a gray image), mean over the images; hue spread ratio = the outputs' mean over the "
        "originals' mean. ab AuC = area under Zhang et al. (2016)'s raw-accuracy curve (share of pixels whose ab "
        "distance to the original is within t, t = 0..150 Lab units, trapezoid rule, / 150), mean over the images "
        f"(the gray baseline's shows how much is free). Sets thinned for time: {thinned or 'none'}. "
        f"The model ran with {_compute(pipe)}. "
        + (
            f"Loss variants trained by their own recipes and measured in this run on the same images: {variants}."
            if variants
            else f"No loss-variant run was found in outputs/ ({', '.join(variant_runs)}); none is shown."
        ),
        _markdown(header, rows),
    ]
    if hint_rows:
        parts.append(
            "User colour hints on "
            + " and ".join(f"{name} ({count} images)" for name, count in hint_images.items())
            + ", for the colourisers that take them: k points per "
            f"image drawn uniformly over the pixels with `numpy.random.default_rng([{HINT_SEED}, i])` for the i-th "
            "image (the k hints are the first k of the same 20), each given through "
            f"`pipe(gray, hints=[(x, y, (r, g, b)), ...])` with the original photo's mean RGB over the "
            f"{2 * HINT_PATCH + 1}x{2 * HINT_PATCH + 1} pixels around the point (rounded); 0 hints is the plain "
            "output. PSNR (dB) and colourfulness ratio:\n\n"
            + _markdown(["set", "method", "measure", *(_hint_label(k) for k in HINT_COUNTS)], hint_rows)
        )
        parts.append("PSNR gain at 10 hints over 0 hints: " + "; ".join(gains) + ".")
    if THIS_MODEL not in hinted:
        absent = [name for name in HINT_SETS if name in missing]
        where = (f"{' and '.join(absent)} {'was' if len(absent) == 1 else 'were'} not found"
                 if len(absent) == len(HINT_SETS) else "this model takes no colour hints")  # fmt: skip
        parts.append(f"Hints: not measured for this model ({where}; its network has 1 input channel).")
    return "\n\n".join(parts + _missing(missing))


def colorize_figure(figure_rows: list[list[np.ndarray]], labels: list[str]) -> tuple[Image.Image, str]:
    """The card's colourisation grid (original | gray input | one column per method) and its alt text."""
    from zoo.pipelines.images import image_grid

    tiles = [Image.fromarray(a).resize((160, 160), Image.Resampling.BICUBIC) for row in figure_rows for a in row]
    alt = " | ".join(["original", "gray input", *labels])
    return image_grid(tiles, columns=2 + len(labels)), alt
