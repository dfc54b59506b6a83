"""Protocols for the photo restoration family (EVALUATION.md): ``denoise-photo``, ``superres-photo``, ``colorize``.

Every protocol is ``(pipe, data_dir=None, limit=None, folder=None) -> (records, notes, images)``: ``limit`` caps the
images per test set (smoke runs), ``folder`` receives the card's before/after strip. The model's rows have method
``"this model"``; each protocol measures its baseline in the same run ("noisy input", "bicubic", "gray baseline"),
and the denoising protocol also its peer, BM3D (PyPI ``bm3d``), on the same noisy images.

Record keys (``EvalRecord``: dataset, metric, value, method, config):

- denoise-photo: ``(<set>, "PSNR" | "SSIM", config "sigma=<s>")`` for "this model" and "noisy input" on every image
  of a set; ``(<set>, "PSNR", "sigma=<s> blind")`` for "this model" with the estimated noise level (primary set);
  ``(<set>/every-<k>, "PSNR" | "SSIM", "sigma=<s>")`` for "this model" and "BM3D" on the images BM3D ran on (every
  k-th image; plain ``<set>`` when k is 1); ``(<set>, "seconds per image")`` for the model (and BM3D on its subset).
- superres-photo: ``(<set>, "PSNR (Y)" | "SSIM (Y)", config "x<scale>")`` and ``(<set>, "seconds per image",
  "x<scale>")`` for "this model" and "bicubic".
- colorize: ``(<set>, "PSNR" | "colourfulness ratio" | "hue spread" | "hue spread ratio" | "ab AuC", None)`` for
  "this model", each loss variant and "gray baseline" (whose colourfulness and hue measures are 0);
  ``(<set>, "hue spread", None)`` for "original photos"; for colourisers that take hints, on ``HINT_SET``:
  ``(kodak24, "PSNR" | "colourfulness ratio", "<k> hints")`` for k in ``HINT_COUNTS`` ("1 hint", "0 hints", ...).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord
from zoo.evaluation.common import SEED, find_runs, run_label, save_image

Result = tuple[list[EvalRecord], str, list[dict[str, str]]]

# ---------------------------------------------------------------------------------------------------- denoising
SIGMAS = (15, 25, 50)
GRAY_SETS = ("set12", "bsd68")
COLOR_SETS = ("cbsd68", "kodak24", "sun_hays80")
# The set whose numbers the targets and the blind-mode rows refer to.
PRIMARY_SET = {1: "bsd68", 3: "cbsd68"}
# Every k-th image of a set is evaluated (1 = all). sun_hays80 (1024x768) is thinned to keep a colour run short.
MODEL_STRIDE = {"sun_hays80": 8}
# The BM3D peer: on by default (the published cards include it); off for smoke runs by setting this to False or the
# environment variable ZOO_BM3D=0. BM3D takes ~4 s per 256x256 gray image and ~25 s per 481x321 colour image on one
# core, so it runs on every k-th image of the evaluated images (the model's rows on the same subset sit beside it).
BM3D_PEER = True
BM3D_STRIDE = {"set12": 1, "bsd68": 4, "cbsd68": 8, "kodak24": 8, "sun_hays80": 10}
BM3D_WORKERS = 2  # processes running BM3D side by side (after the model's timed runs, so timings do not mix)
# Published PSNR (dB) at sigma 15/25/50 from EVALUATION.md, shown in the card's notes for context.
PUBLISHED_DENOISE = {
    "set12": "DnCNN 32.67/30.35/27.18, FFDNet 32.75/30.43/27.32",
    "bsd68": "BM3D 31.07/28.57/25.62, DnCNN 31.73/29.23/26.23, FFDNet 31.63/29.19/26.29, DRUNet 31.91/29.48/26.59",
    "cbsd68": "FFDNet 33.87/31.21/27.96, DRUNet 34.30/31.69/28.51",
    "kodak24": "FFDNet 34.63/32.13/28.98",
}

# ---------------------------------------------------------------------------------------------- super-resolution
SR_SETS = ("set5", "set14")
PUBLISHED_SR = {
    ("set5", 2): "bicubic 33.66, SRCNN 36.66, VDSR 37.56, EDSR-baseline 37.99",
    ("set5", 4): "bicubic 28.42, SRCNN 30.48, VDSR 31.35, EDSR-baseline 32.10",
    ("set14", 2): "bicubic 30.24, VDSR 33.02, EDSR-baseline 33.57",
    ("set14", 4): "bicubic 26.00, VDSR 27.99, EDSR-baseline 28.58",
}

# --------------------------------------------------------------------------------------------------- colourising
COLORIZE_SETS = ("kodak24", "cbsd68", "sun_hays80")
# Every k-th image of a colourisation test set (1 = all): sun_hays80's 80 photos are about 1024x768, 2x a kodak24
# photo's pixels. The network runs at its working size, but upsampling, the Lab conversions and the measures run at
# full resolution: measured on the 2-core machine (one thread, under load) about 2.5-4 s for the published model and
# 1.5 s for the measures per photo and method, so one photo in 4 (20 photos) keeps the set near a minute per method.
COLORIZE_STRIDE = {"sun_hays80": 4}
# The hint protocol (Zhang et al. 2017's "PSNR vs number of revealed points"), on one set, for colourisers that take
# hints: HINT_COUNTS points per image, drawn uniformly over the pixels by numpy.random.default_rng([HINT_SEED, i])
# for the i-th image of the set (nested: the 5 hints are the first 5 of the 20); each hint's colour is the mean RGB of
# the ORIGINAL photo over the (2 HINT_PATCH + 1)-pixel square around the point (clipped at the border), rounded.
HINT_SET = "kodak24"
HINT_COUNTS = (0, 1, 5, 10, 20)
HINT_SEED = SEED
HINT_PATCH = 2  # 5x5 input pixels: about one working-size pixel of a kodak24 photo (768 -> 256) plus its neighbours
# Reserved entries of score_colorizers' result: the originals' own measures and the gray baseline's.
ORIGINALS = "original photos"
GRAY_BASELINE = "gray baseline"
# Training runs (train/configs) of the colouriser's loss variants: the card shows every one that exists beside the model
# (plain L1 regression, the brown/gray look; class-rebalanced L1; L1 + PatchGAN), measured in the same run.
COLORIZE_VARIANTS = ("colorize", "colorize-l1", "colorize-gan", "colorize-hints")


# ------------------------------------------------------------------------------------------------------- helpers
def _test_files(name: str, data_dir: str | None, stride: int = 1, limit: int | None = None) -> list[Path] | None:
    """Every ``stride``-th image of a test set (at most ``limit``), or None when the set is not on this machine."""
    from zoo.data import DatasetError, dataset_dir, list_images

    try:
        files = list_images(dataset_dir(name, data_dir))
    except DatasetError:
        return None
    return files[::stride][:limit] or None


def _load_uint8(path: Path, channels: int | None) -> np.ndarray:
    """uint8 [H, W] (``channels=1``), [H, W, 3] (``channels=3``), or the file's own L/RGB (``None``)."""
    from zoo.data import load_image

    image = load_image(path, None)
    if channels == 1 or (channels is None and image.mode in ("L", "1", "I;16", "I", "F")):
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))


def _quantize(array: np.ndarray) -> np.ndarray:
    """Float in [0, 1] (any range) -> uint8, clipped and rounded as the protocol asks."""
    return np.clip(np.rint(np.asarray(array, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def _center_crop(array: np.ndarray, size: int) -> np.ndarray:
    top, left = max((array.shape[0] - size) // 2, 0), max((array.shape[1] - size) // 2, 0)
    return array[top : top + size, left : left + size]


def _strip(arrays: list[np.ndarray], size: int = 192) -> Image.Image:
    """One row of same-size centre crops (uint8 arrays), for the card's before/after figure."""
    from zoo.pipelines.images import image_grid

    return image_grid([Image.fromarray(_center_crop(a, size)) for a in arrays], columns=len(arrays))


def _markdown(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "n/a" if math.isnan(value) else f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _compute(pipe: Any) -> str:
    """How the model ran, for the cards' timing notes: threads and the precision the networks computed in."""
    import torch

    dtype = "bf16 autocast" if pipe.compute_dtype == torch.bfloat16 else "fp32"
    return f"torch, {torch.get_num_threads()} threads, {dtype} (precision={pipe.precision!r})"


# ---------------------------------------------------------------------------------------------------------- BM3D
def bm3d_version() -> str | None:
    """The installed ``bm3d`` version, or None when the peer cannot run here."""
    import importlib.metadata as md
    import importlib.util

    if importlib.util.find_spec("bm3d") is None:
        return None
    try:
        return md.version("bm3d")
    except md.PackageNotFoundError:
        return "unknown"


def bm3d_enabled() -> bool:
    return BM3D_PEER and os.environ.get("ZOO_BM3D", "1").strip().lower() not in {"0", "false", "no", "off"}


def bm3d_denoise(path: str, channels: int, sigma: float) -> tuple[np.ndarray, float]:
    """BM3D (gray) or CBM3D (``bm3d_rgb``, colour) on the protocol's noisy version of one test image.

    Runs in a worker process: the noisy image is rebuilt there from the file (same seed, so the same noise as the
    model saw). Returns the clipped, quantized uint8 output and the seconds BM3D itself took (one core).
    """
    import bm3d

    from zoo.noise import add_gaussian_noise

    clean = _load_uint8(Path(path), channels).astype(np.float32) / 255.0
    noisy = add_gaussian_noise(clean, sigma, seed=SEED)
    start = time.perf_counter()
    out = bm3d.bm3d_rgb(noisy, sigma / 255.0) if channels == 3 else bm3d.bm3d(noisy, sigma / 255.0)
    return _quantize(out), time.perf_counter() - start


def _run_bm3d(jobs: list[tuple[str, int, float]]) -> list[tuple[np.ndarray, float]]:
    """BM3D on every (path, channels, sigma) job, in ``BM3D_WORKERS`` fresh processes (spawned: no forked torch)."""
    if not jobs:
        return []
    if BM3D_WORKERS <= 1:
        return [bm3d_denoise(*job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=BM3D_WORKERS, mp_context=context) as pool:
        return list(pool.map(bm3d_denoise, *zip(*jobs, strict=True)))


# ------------------------------------------------------------------------------------------------------ denoising
def evaluate_denoise(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """KAIR / DnCNN protocol (EVALUATION.md): clean [0, 1] + N(0, sigma/255), seed 0 per image, float, not clipped;
    the model's output clipped and quantized to uint8; PSNR/SSIM on gray or RGB, no border crop. BM3D side by side."""
    from zoo.metrics import psnr, ssim
    from zoo.noise import add_gaussian_noise
    from zoo.pipelines.restoration import estimate_noise_level

    channels = pipe.channels
    sets = GRAY_SETS if channels == 1 else COLOR_SETS
    primary = PRIMARY_SET[channels]
    version = bm3d_version()
    peer = bm3d_enabled() and version is not None
    records: list[EvalRecord] = []
    scores: dict[tuple, list[float]] = {}  # (set, sigma, method, metric) -> per-image values
    jobs: list[tuple[str, int, float]] = []
    job_keys: list[tuple[str, int, int]] = []  # (set, sigma, image index) of each BM3D job
    estimates: dict[int, list[float]] = {}
    strip_arrays: dict[str, np.ndarray] = {}
    missing, files_by_set, model_seconds = [], {}, {}

    for name in sets:
        files = _test_files(name, data_dir, MODEL_STRIDE.get(name, 1), limit)
        if files is None:
            missing.append(name)
            continue
        files_by_set[name] = files
        seconds = []
        for index, path in enumerate(files):
            clean_uint8 = _load_uint8(path, channels)
            clean = clean_uint8.astype(np.float32) / 255.0
            for sigma in SIGMAS:
                noisy = add_gaussian_noise(clean, sigma, seed=SEED)
                start = time.perf_counter()
                out = _quantize(pipe.denoise_array(noisy, float(sigma)))
                seconds.append(time.perf_counter() - start)
                noisy_uint8 = _quantize(noisy)
                for method, estimate in ((THIS_MODEL, out), ("noisy input", noisy_uint8)):
                    scores.setdefault((name, sigma, method, "PSNR"), []).append(psnr(clean_uint8, estimate))
                    scores.setdefault((name, sigma, method, "SSIM"), []).append(ssim(clean_uint8, estimate))
                if name == primary:
                    level = estimate_noise_level(noisy, pipe.max_sigma)
                    estimates.setdefault(sigma, []).append(level)
                    blind = _quantize(pipe.denoise_array(noisy, level))
                    scores.setdefault((name, sigma, THIS_MODEL + " (blind)", "PSNR"), []).append(
                        psnr(clean_uint8, blind)
                    )
                if peer and index % BM3D_STRIDE.get(name, 1) == 0:
                    jobs.append((str(path), channels, float(sigma)))
                    job_keys.append((name, sigma, index))
                    if bm3d_subset(name) != name:  # the model's rows on the images BM3D runs on
                        for metric in ("PSNR", "SSIM"):
                            score = scores[(name, sigma, THIS_MODEL, metric)][-1]
                            scores.setdefault((bm3d_subset(name), sigma, THIS_MODEL, metric), []).append(score)
                if name == primary and index == 0 and sigma == 25:
                    strip_arrays = {"clean": clean_uint8, "noisy": noisy_uint8, THIS_MODEL: out}
        model_seconds[name] = _mean(seconds)
    if not files_by_set:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(sets)} was found under the data folder ({data_dir})")

    bm3d_seconds: dict[str, list[float]] = {}
    for (name, sigma, index), (out, spent) in zip(job_keys, _run_bm3d(jobs), strict=True):
        subset = bm3d_subset(name)
        clean_uint8 = _load_uint8(files_by_set[name][index], channels)
        scores.setdefault((subset, sigma, "BM3D", "PSNR"), []).append(psnr(clean_uint8, out))
        scores.setdefault((subset, sigma, "BM3D", "SSIM"), []).append(ssim(clean_uint8, out))
        bm3d_seconds.setdefault(subset, []).append(spent)
        if name == primary and index == 0 and sigma == 25:
            strip_arrays["BM3D"] = out

    for (dataset, sigma, method, metric), values in scores.items():
        if method.endswith("(blind)"):
            records.append(EvalRecord(dataset, metric, _mean(values), THIS_MODEL, f"sigma={sigma} blind"))
        else:
            records.append(EvalRecord(dataset, metric, _mean(values), method, f"sigma={sigma}"))
    for name, seconds in model_seconds.items():
        records.append(EvalRecord(name, "seconds per image", seconds, THIS_MODEL))
    for subset, seconds in bm3d_seconds.items():
        records.append(EvalRecord(subset, "seconds per image", _mean(seconds), "BM3D"))

    counts = {name: len(files) for name, files in files_by_set.items()}
    notes = _denoise_notes(pipe, scores, counts, missing, estimates, model_seconds, bm3d_seconds, peer, version)
    images: list[dict[str, str]] = []
    if strip_arrays:
        order = ["clean", "noisy", "BM3D", THIS_MODEL]
        shown = [key for key in order if key in strip_arrays]
        images = save_image(
            _strip([strip_arrays[key] for key in shown]),
            folder,
            "denoise_strip.png",
            f"{primary} image 1, sigma 25, centre crop: " + " | ".join(shown),
        )
    return records, notes, images


def _denoise_notes(
    pipe: Any,
    scores: dict[tuple, list[float]],
    counts: dict[str, int],
    missing: list[str],
    estimates: dict[int, list[float]],
    model_seconds: dict[str, float],
    bm3d_seconds: dict[str, list[float]],
    peer: bool,
    version: str | None,
) -> str:
    parts = [
        "Protocol (KAIR / DnCNN, EVALUATION.md): clean image in [0, 1] plus Gaussian noise N(0, (sigma/255)^2) drawn "
        f"with `numpy.random.seed({SEED})` for every image (float, not clipped); outputs clipped and quantized to "
        "uint8; PSNR (dB) and SSIM on the "
        + ("gray" if pipe.channels == 1 else "RGB")
        + " image, no border crop; the noisy-input row is the noisy image clipped and quantized. The model is given "
        "the true sigma, except in the blind rows, where `sigma=None` estimates it (below)."
    ]
    for name, count in counts.items():
        stride = MODEL_STRIDE.get(name, 1)
        what = f"{count} images" + (f" (every {stride}th image of the set)" if stride > 1 else "")
        subset = bm3d_subset(name)
        header = ["sigma", "noisy input", "this model", "this model SSIM"]
        blind = any(key[0] == name and key[2].endswith("(blind)") for key in scores)
        if blind:
            header.append("this model, blind")
        if peer:
            header += [f"BM3D ({subset})", f"this model ({subset})"]
        rows = []
        for sigma in SIGMAS:
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
        if bm3d_subset(name) in bm3d_seconds:
            line += f", BM3D {_mean(bm3d_seconds[bm3d_subset(name)]):.1f} s/image (one core)"
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
            f"{PRIMARY_SET[pipe.channels]} noisy images (0-255 scale):\n\n"
            + _markdown(["sigma", "images", "mean estimate", "mean abs error", "max abs error"], rows)
        )
    if missing:
        parts.append(f"Not evaluated (test set not found on this machine): {', '.join(missing)}.")
    return "\n\n".join(parts)


def bm3d_subset(name: str) -> str:
    """The dataset name of the BM3D comparison rows: the set itself, or ``<set>/every-<k>`` for a subset."""
    stride = BM3D_STRIDE.get(name, 1)
    return name if stride == 1 else f"{name}/every-{stride}"


# ----------------------------------------------------------------------------------------------- super-resolution
def bicubic_upscale(image: Image.Image, scale: int) -> Image.Image:
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)


def evaluate_superres(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """EVALUATION.md: HR cropped to a multiple of the scale, LR = PIL bicubic downscale; Y-channel PSNR/SSIM (MATLAB
    rgb2ycbcr) with ``scale`` pixels shaved from each side; bicubic upscaling as the baseline row."""
    from zoo.metrics import crop_to_multiple, y_psnr, y_ssim

    scale = pipe.scale
    config = f"x{scale}"
    records: list[EvalRecord] = []
    rows, missing, figure = [], [], None
    methods: dict[str, Callable[[Image.Image], Image.Image]] = {
        THIS_MODEL: pipe,
        "bicubic": lambda low: bicubic_upscale(low, scale),
    }
    for name in SR_SETS:
        files = _test_files(name, data_dir, 1, limit)
        if files is None:
            missing.append(name)
            continue
        values: dict[tuple[str, str], list[float]] = {}
        for path in files:
            hr = crop_to_multiple(_load_uint8(path, None), scale)
            low = Image.fromarray(hr).resize((hr.shape[1] // scale, hr.shape[0] // scale), Image.Resampling.BICUBIC)
            outputs = {}
            for method, upscale in methods.items():
                start = time.perf_counter()
                out = upscale(low)
                values.setdefault((method, "seconds per image"), []).append(time.perf_counter() - start)
                outputs[method] = sr = np.asarray(out)
                values.setdefault((method, "PSNR (Y)"), []).append(y_psnr(hr, sr, scale))
                values.setdefault((method, "SSIM (Y)"), []).append(y_ssim(hr, sr, scale))
            if figure is None and hr.ndim == 3:
                figure = _strip([hr, outputs["bicubic"], outputs[THIS_MODEL]], size=min(192, *hr.shape[:2]))
                figure_name = f"{name}/{path.name}"
        for (method, metric), numbers in values.items():
            records.append(EvalRecord(name, metric, _mean(numbers), method, config))
        rows += [
            [
                name,
                len(files),
                method,
                _mean(values[(method, "PSNR (Y)")]),
                _mean(values[(method, "SSIM (Y)")]),
                _mean(values[(method, "seconds per image")]),
            ]
            for method in methods
        ]
    if not rows:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(SR_SETS)} was found under the data folder ({data_dir})")
    parts = [
        f"Protocol (EVALUATION.md): HR image cropped to a multiple of {scale}; LR = PIL `BICUBIC` downscale by "
        f"{scale}; PSNR and SSIM on the Y channel (MATLAB rgb2ycbcr, 0-255; gray images as they are) with {scale} "
        "pixels shaved from each side; SR output quantized to uint8 (the pipeline's PIL output). Bicubic = PIL "
        f"`BICUBIC` upscale of the same LR image. Time per image; the model ran with {_compute(pipe)}.",
        _markdown(["set", "images", "method", "PSNR (Y)", "SSIM (Y)", "s/image"], rows),
    ]
    published = [f"{name} x{scale}: {PUBLISHED_SR[(name, scale)]}" for name in SR_SETS if (name, scale) in PUBLISHED_SR]
    if published:
        parts.append("Published Y-PSNR (EVALUATION.md): " + "; ".join(published) + ".")
    if missing:
        parts.append(f"Not evaluated (test set not found on this machine): {', '.join(missing)}.")
    images = []
    if figure is not None:
        images = save_image(figure, folder, "superres_strip.png", f"{figure_name}, centre crop: HR | bicubic | model")
    return records, "\n\n".join(parts), images


# --------------------------------------------------------------------------------------------------- colourising
def colorize_variants(pipe: Any) -> list[tuple[str, Any]]:
    """(label, pipeline) of every ``COLORIZE_VARIANTS`` run found in outputs/, other than the model itself."""
    from zoo.pipelines import load_pipeline

    loaded: list[tuple[str, Any]] = []
    for folder in find_runs(COLORIZE_VARIANTS, exclude=pipe.name):
        variant = load_pipeline(folder, name=folder.parent.name)
        loaded.append((run_label(variant, folder, [THIS_MODEL, *(n for n, _ in loaded)]), variant))
    return loaded


def colour_hints(original: np.ndarray, count: int, index: int) -> list[tuple[int, int, tuple[int, int, int]]]:
    """``count`` simulated user hints ``(x, y, (r, g, b))`` for the ``index``-th image of a set, from its RGB uint8
    ``original``: positions uniform over the pixels from ``numpy.random.default_rng([HINT_SEED, index])`` (the first
    ``count`` of a fixed sequence, so fewer hints are a subset of more), colours the original's mean RGB over the
    ``(2 HINT_PATCH + 1)`` square around each point (clipped at the border), rounded to integers."""
    height, width = original.shape[:2]
    rng = np.random.default_rng([HINT_SEED, index])
    points = rng.integers(0, [width, height], size=(max(*HINT_COUNTS, count), 2))[:count]
    hints = []
    for x, y in points.tolist():
        patch = original[max(y - HINT_PATCH, 0) : y + HINT_PATCH + 1, max(x - HINT_PATCH, 0) : x + HINT_PATCH + 1]
        colour = np.rint(patch.reshape(-1, 3).astype(np.float64).mean(axis=0)).astype(int)
        hints.append((int(x), int(y), tuple(int(c) for c in colour)))
    return hints


def takes_hints(model: Any) -> bool:
    """Whether a colouriser accepts ``hints=`` (a ``ColorizePipeline`` whose network has 4 input channels)."""
    return bool(getattr(model, "takes_hints", False))


def score_colorizers(methods, originals, figure_rows: list | None = None, keep: int = 0, hint_counts=()):
    """Colourise the gray version of each RGB uint8 original with every ``(method, model)``.

    Returns the gray baseline's PSNRs, the originals' colourfulness and ``{method: {"psnr", "colour", "ratio", "hue",
    "auc": [per image]}}`` (``zoo.metrics``: PSNR, colourfulness, its per-image ratio to the original's, hue spread,
    ab accuracy AuC). Two reserved entries hold the references: ``ORIGINALS`` (``"colour"``, ``"hue"`` of the
    originals) and ``GRAY_BASELINE`` (``"psnr"``, ``"auc"`` of the gray input). With ``hint_counts``, every method
    that takes hints is also run with ``colour_hints(original, k, index)`` for each k and gets ``"psnr <k> hints"``
    and ``"colour <k> hints"`` (colourfulness) lists; k = 0 reuses the plain output (the same call).
    The first ``keep`` images' rows (original, gray, outputs...) are appended to ``figure_rows``."""
    from zoo.metrics import ab_accuracy_auc, ab_channels, colourfulness, hue_spread, psnr

    reserved = [method for method, _ in methods if method in (ORIGINALS, GRAY_BASELINE)]
    if reserved:
        from zoo.errors import InputError

        raise InputError(f"method label(s) {reserved} are reserved for the reference rows; rename them")
    gray_psnr, original_colour, original_hue, gray_auc = [], [], [], []
    scores: dict[str, dict[str, list[float]]] = {
        m: {"psnr": [], "colour": [], "ratio": [], "hue": [], "auc": []} for m, _ in methods
    }
    for index, original in enumerate(originals):
        gray = Image.fromarray(original).convert("L")
        baseline = np.repeat(np.asarray(gray)[..., None], 3, axis=2)
        reference_ab = ab_channels(original)
        gray_psnr.append(psnr(original, baseline))
        # The gray input's ab is 0 by definition (a gray RGB pixel has a = b = 0 up to float rounding).
        gray_auc.append(ab_accuracy_auc(reference_ab, np.zeros_like(reference_ab), ab=True))
        original_colour.append(colourfulness(original))
        original_hue.append(hue_spread(reference_ab, ab=True))
        outputs = []
        for method, model in methods:
            out = np.asarray(model(gray).convert("RGB"))
            outputs.append(out)
            out_ab = ab_channels(out)
            score = scores[method]
            score["psnr"].append(psnr(original, out))
            score["colour"].append(colourfulness(out))
            score["ratio"].append(score["colour"][-1] / max(original_colour[-1], 1e-6))
            score["hue"].append(hue_spread(out_ab, ab=True))
            score["auc"].append(ab_accuracy_auc(reference_ab, out_ab, ab=True))
            if not takes_hints(model):
                continue
            for count in hint_counts:
                hints = colour_hints(original, count, index)
                hinted = out if count == 0 else np.asarray(model(gray, hints=hints).convert("RGB"))
                score.setdefault(f"psnr {count} hints", []).append(psnr(original, hinted))
                score.setdefault(f"colour {count} hints", []).append(colourfulness(hinted))
        if index < keep and figure_rows is not None:
            figure_rows.append([original, baseline, *outputs])
    scores[ORIGINALS] = {"colour": original_colour, "hue": original_hue}
    scores[GRAY_BASELINE] = {"psnr": gray_psnr, "auc": gray_auc}
    return gray_psnr, original_colour, scores


def _ratio(values: list[float], reference: list[float]) -> float:
    """Mean of ``values`` over the mean of ``reference`` (the ratio of means, not the mean of per-image ratios)."""
    return _mean(values) / max(_mean(reference), 1e-6)


def colorize_validation(model, originals: list[np.ndarray]) -> dict[str, float]:
    """Training-time validation of a colouriser on held-out RGB uint8 photos (not a test set): mean PSNR, its gain
    over the gray input, the colourfulness ratio, the hue spread ratio and the ab accuracy AuC, as ``val_psnr``,
    ``val_gain``, ``val_colour``, ``val_hue``, ``val_auc``."""
    gray_psnr, original_colour, scores = score_colorizers([("model", model)], originals)
    score = scores["model"]
    return {
        "val_psnr": _mean(score["psnr"]),
        "val_gain": _mean(score["psnr"]) - _mean(gray_psnr),
        "val_colour": _ratio(score["colour"], original_colour),
        "val_hue": _ratio(score["hue"], scores[ORIGINALS]["hue"]),
        "val_auc": _mean(score["auc"]),
    }


def _hint_label(count: int) -> str:
    return f"{count} hint" + ("" if count == 1 else "s")


def evaluate_colorize(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """EVALUATION.md: input = the luminance of a colour test image (PIL "L"); PSNR (RGB) of the output vs the original,
    the same for the gray baseline (the input replicated to RGB), the colourfulness ratio, the hue spread (and its
    ratio to the originals') and the ab accuracy AuC. Colourisers that take hints are also measured with 0, 1, 5, 10
    and 20 simulated hints on ``HINT_SET``. The loss variants' runs found in outputs/ (``COLORIZE_VARIANTS``) are
    measured beside the model on the same images."""
    methods = [(THIS_MODEL, pipe), *colorize_variants(pipe)]
    hinted = [method for method, model in methods if takes_hints(model)]
    records: list[EvalRecord] = []
    rows, missing, figure_rows, hint_rows, gains = [], [], [], [], []
    hint_images = 0
    for name in COLORIZE_SETS:
        stride = COLORIZE_STRIDE.get(name, 1)
        files = _test_files(name, data_dir, stride, limit)
        if files is None:
            missing.append(name)
            continue
        originals = (_load_uint8(path, 3) for path in files)
        keep = 4 - len(figure_rows) if name == COLORIZE_SETS[0] else 0
        counts = HINT_COUNTS if name == HINT_SET and hinted else ()
        gray_psnr, original_colour, scores = score_colorizers(methods, originals, figure_rows, keep, counts)
        original_hue, gray_auc = scores[ORIGINALS]["hue"], scores[GRAY_BASELINE]["auc"]
        label = name if stride == 1 else f"{name} (1 in {stride})"
        records += [
            EvalRecord(name, "PSNR", _mean(gray_psnr), GRAY_BASELINE),
            EvalRecord(name, "colourfulness ratio", 0.0, GRAY_BASELINE),
            EvalRecord(name, "hue spread", 0.0, GRAY_BASELINE),
            EvalRecord(name, "hue spread ratio", 0.0, GRAY_BASELINE),
            EvalRecord(name, "ab AuC", _mean(gray_auc), GRAY_BASELINE),
            EvalRecord(name, "hue spread", _mean(original_hue), ORIGINALS),
        ]
        for method, _ in methods:
            score = scores[method]
            ratio = _ratio(score["colour"], original_colour)
            hue_ratio = _ratio(score["hue"], original_hue)
            records += [
                EvalRecord(name, "PSNR", _mean(score["psnr"]), method),
                EvalRecord(name, "colourfulness ratio", ratio, method),
                EvalRecord(name, "hue spread", _mean(score["hue"]), method),
                EvalRecord(name, "hue spread ratio", hue_ratio, method),
                EvalRecord(name, "ab AuC", _mean(score["auc"]), method),
            ]
            rows.append(
                [
                    label,
                    len(files),
                    method,
                    _mean(score["psnr"]),
                    _mean(gray_psnr),
                    _mean(score["psnr"]) - _mean(gray_psnr),
                    ratio,
                    float(np.median(score["ratio"])),
                    float(np.mean(np.asarray(score["psnr"]) > np.asarray(gray_psnr))),
                    _mean(score["hue"]),
                    _mean(original_hue),
                    hue_ratio,
                    _mean(score["auc"]),
                    _mean(gray_auc),
                ]
            )
            if method not in hinted or not counts:
                continue
            hint_images = len(files)
            psnrs = [_mean(score[f"psnr {k} hints"]) for k in counts]
            colours = [_ratio(score[f"colour {k} hints"], original_colour) for k in counts]
            for count, value, colour in zip(counts, psnrs, colours, strict=True):
                records += [
                    EvalRecord(name, "PSNR", value, method, _hint_label(count)),
                    EvalRecord(name, "colourfulness ratio", colour, method, _hint_label(count)),
                ]
            hint_rows += [[method, "PSNR", *psnrs], [method, "colourfulness ratio", *colours]]
            if 0 in counts and 10 in counts:
                gain = psnrs[counts.index(10)] - psnrs[counts.index(0)]
                gains.append(f"{method} {gain:+.2f} dB")
    if not rows:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(COLORIZE_SETS)} was found under the data folder")
    header = [
        "set", "images", "method", "PSNR", "PSNR gray", "gain", "colourfulness ratio", "median ratio", "share > gray",
        "hue spread", "hue spread originals", "hue spread ratio", "ab AuC", "ab AuC gray",
    ]  # fmt: skip
    variants = ", ".join(method for method, _ in methods[1:])
    strides = ", ".join(f"{name} one image in {k}" for name, k in COLORIZE_STRIDE.items() if k > 1)
    parts = [
        "Protocol (EVALUATION.md): the input is the luminance of each colour test image (PIL `convert('L')`, "
        "ITU-R 601); PSNR (dB) on RGB uint8 of the output against the original; the gray baseline is that input "
        "replicated to RGB. Colourfulness (Hasler & Suesstrunk 2003) ratio = mean colourfulness of the outputs "
        "over the mean colourfulness of the originals (the median of the per-image ratios is shown too); a "
        "gray or brown output scores near 0. Hue spread = 1 - the chroma-weighted mean resultant length of the CIE "
        "Lab hue angle atan2(b, a) over the pixels with chroma >= 5 (0 = one hue, e.g. sepia; 1 = hues balanced "
        "around the circle; 0 for a gray image), mean over the images; hue spread ratio = the outputs' mean over the "
        "originals' mean. ab AuC = area under Zhang et al. (2016)'s raw-accuracy curve (share of pixels whose ab "
        "distance to the original is within t, t = 0..150 Lab units, trapezoid rule, / 150), mean over the images "
        f"(the gray baseline's shows how much is free). Sets thinned for time: {strides or 'none'}. "
        f"The model ran with {_compute(pipe)}. "
        + (
            f"Loss variants trained by their own recipes and measured in this run on the same images: {variants}."
            if variants
            else f"No loss-variant run was found in outputs/ ({', '.join(COLORIZE_VARIANTS)}); none is shown."
        ),
        _markdown(header, rows),
    ]
    if hint_rows:
        parts.append(
            f"User colour hints on {HINT_SET} ({hint_images} images), for the colourisers that take them: k points per "
            f"image drawn uniformly over the pixels with `numpy.random.default_rng([{HINT_SEED}, i])` for the i-th "
            "image (the k hints are the first k of the same 20), each given through "
            f"`pipe(gray, hints=[(x, y, (r, g, b)), ...])` with the original photo's mean RGB over the "
            f"{2 * HINT_PATCH + 1}x{2 * HINT_PATCH + 1} pixels around the point (rounded); 0 hints is the plain "
            "output. PSNR (dB) and colourfulness ratio:\n\n"
            + _markdown(["method", "measure", *(_hint_label(k) for k in HINT_COUNTS)], hint_rows)
        )
        parts.append("PSNR gain at 10 hints over 0 hints: " + "; ".join(gains) + ".")
    if THIS_MODEL not in hinted:
        where = f"{HINT_SET} was not found" if HINT_SET in missing else "this model takes no colour hints"
        parts.append(f"Hints: not measured for this model ({where}; its network has 1 input channel).")
    if missing:
        parts.append(f"Not evaluated (test set not found on this machine): {', '.join(missing)}.")
    notes = "\n\n".join(parts)
    images = []
    if figure_rows:
        from zoo.pipelines.images import image_grid

        columns = 2 + len(methods)
        tiles = [Image.fromarray(a).resize((160, 160), Image.Resampling.BICUBIC) for row in figure_rows for a in row]
        alt = " | ".join(["original", "gray input", *(method for method, _ in methods)])
        images = save_image(image_grid(tiles, columns=columns), folder, "colorize_strip.png", alt)
    return records, notes, images


PROTOCOLS = {
    "denoise-photo": evaluate_denoise,
    "superres-photo": evaluate_superres,
    "colorize": evaluate_colorize,
}
