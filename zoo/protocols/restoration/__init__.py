"""Protocols for the photo restoration family (docs/EVALUATION.md): ``denoise-photo``, ``superres-photo``, ``colorize``.

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
  ``(<set>, "hue spread", None)`` for "original photos"; for colourisers that take hints, on each of ``HINT_SETS``:
  ``(kodak24, "PSNR" | "colourfulness ratio", "<k> hints")`` for k in ``HINT_COUNTS`` ("1 hint", "0 hints", ...).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord
from zoo.protocols.common import SEED, save_image
from zoo.protocols.restoration import peers, report
from zoo.protocols.restoration.measure import (  # noqa: F401 (also re-exported: tests, train/colorize.py, realworld)
    GRAY_BASELINE,
    HINT_COUNTS,
    HINT_PATCH,
    HINT_SEED,
    HINT_SETS,
    ORIGINALS,
    _center_crop,
    _load_uint8,
    _mean,
    _quantize,
    _ratio,
    _test_files,
    colorize_validation,
    colour_hints,
    score_colorizers,
    takes_hints,
)
from zoo.protocols.restoration.peers import bicubic_upscale, bm3d_denoise, bm3d_version
from zoo.protocols.restoration.report import PUBLISHED_DENOISE, PUBLISHED_SR, _compute, _markdown, _strip  # noqa: F401

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

# ---------------------------------------------------------------------------------------------- super-resolution
SR_SETS = ("set5", "set14")

# --------------------------------------------------------------------------------------------------- colourising
COLORIZE_SETS = ("kodak24", "cbsd68", "sun_hays80")
# Every k-th image of a colourisation test set (1 = all): sun_hays80's 80 photos are about 1024x768, 2x a kodak24
# photo's pixels. The network runs at its working size, but upsampling, the Lab conversions and the measures run at
# full resolution: measured on the 2-core machine (one thread, under load) about 2.5-4 s for the published model and
# 1.5 s for the measures per photo and method, so one photo in 4 (20 photos) keeps the set near a minute per method.
COLORIZE_STRIDE = {"sun_hays80": 4}
# The hint protocol's set, counts, seed and patch: HINT_* in ``measure`` (re-exported above).
# Training runs (train/configs) of the colouriser's loss variants: the card shows every one that exists beside the model
# (plain L1 regression, the brown/gray look; class-rebalanced L1; L1 + PatchGAN), measured in the same run.
COLORIZE_VARIANTS = ("colorize", "colorize-l1", "colorize-gan", "colorize-hints")
# Training runs of the upscalers' architecture variants, same recipe and weight count (WDSR-B blocks vs EDSR's): the
# card of either shows the other when its run exists in outputs/, measured in the same run.
SUPERRES_VARIANTS = {2: ("superres-x2", "superres-x2-wdsr"), 4: ("superres-x4", "superres-x4-wdsr")}


# ---------------------------------------------------------------------------------------------------------- BM3D
# Read at call time from this module, so that tests and ``zoo.halving`` can switch the peer (BM3D_PEER, ZOO_BM3D),
# its subsets (BM3D_STRIDE) and its processes (BM3D_WORKERS, or ``_run_bm3d`` itself) here.
def bm3d_enabled() -> bool:
    return BM3D_PEER and os.environ.get("ZOO_BM3D", "1").strip().lower() not in {"0", "false", "no", "off"}


def _run_bm3d(jobs: list[tuple[str, int, float]]) -> list[tuple[np.ndarray, float]]:
    """BM3D on every (path, channels, sigma) job, in ``BM3D_WORKERS`` fresh processes (spawned: no forked torch)."""
    return peers.run_in_processes(bm3d_denoise, jobs, BM3D_WORKERS)


def bm3d_subset(name: str) -> str:
    """The dataset name of the BM3D comparison rows: the set itself, or ``<set>/every-<k>`` for a subset."""
    stride = BM3D_STRIDE.get(name, 1)
    return name if stride == 1 else f"{name}/every-{stride}"


def colorize_variants(pipe: Any) -> list[tuple[str, Any]]:
    """(label, pipeline) of every ``COLORIZE_VARIANTS`` run found in outputs/, other than the model itself."""
    return peers.variant_runs(pipe, COLORIZE_VARIANTS)


# ------------------------------------------------------------------------------------------------------ denoising
def evaluate_denoise(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """KAIR / DnCNN protocol (docs/EVALUATION.md): clean [0, 1] + N(0, sigma/255), seed 0 per image, float, not clipped;
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
    notes = report.denoise_notes(
        pipe, scores, counts, missing, estimates, model_seconds, bm3d_seconds, peer, version,
        sigmas=SIGMAS, strides=MODEL_STRIDE, subsets={name: bm3d_subset(name) for name in counts}, primary=primary,
    )  # fmt: skip
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


# ----------------------------------------------------------------------------------------------- super-resolution
def evaluate_superres(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """docs/EVALUATION.md: HR cropped to a multiple of the scale, LR = PIL bicubic downscale; Y-channel PSNR/SSIM
    (MATLAB rgb2ycbcr) with ``scale`` pixels shaved from each side; bicubic upscaling as the baseline row."""
    from zoo.metrics import crop_to_multiple, y_psnr, y_ssim

    scale = pipe.scale
    config = f"x{scale}"
    records: list[EvalRecord] = []
    rows, missing, figure = [], [], None
    variants = peers.variant_runs(pipe, SUPERRES_VARIANTS.get(scale, ()))
    methods: dict[str, Callable[[Image.Image], Image.Image]] = {
        THIS_MODEL: pipe,
        **dict(variants),
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
    notes = report.superres_notes(pipe, rows, missing, SR_SETS, variants=[(n, v) for n, v in variants])
    images = []
    if figure is not None:
        images = save_image(figure, folder, "superres_strip.png", f"{figure_name}, centre crop: HR | bicubic | model")
    return records, notes, images


# --------------------------------------------------------------------------------------------------- colourising
def evaluate_colorize(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """docs/EVALUATION.md: input = the luminance of a colour test image (PIL "L"); PSNR (RGB) of the output vs the
    original, the same for the gray baseline (the input replicated to RGB), the colourfulness ratio, the hue spread (and
    its ratio to the originals') and the ab accuracy AuC. Colourisers that take hints are also measured with 0, 1, 5, 10
    and 20 simulated hints on ``HINT_SETS``. The loss variants' runs found in outputs/ (``COLORIZE_VARIANTS``) are
    measured beside the model on the same images."""
    methods = [(THIS_MODEL, pipe), *colorize_variants(pipe)]
    hinted = [method for method, model in methods if takes_hints(model)]
    records: list[EvalRecord] = []
    rows, missing, figure_rows, hint_rows, gains = [], [], [], [], []
    hint_images: dict[str, int] = {}
    for name in COLORIZE_SETS:
        stride = COLORIZE_STRIDE.get(name, 1)
        files = _test_files(name, data_dir, stride, limit)
        if files is None:
            missing.append(name)
            continue
        originals = (_load_uint8(path, 3) for path in files)
        keep = 4 - len(figure_rows) if name == COLORIZE_SETS[0] else 0
        counts = HINT_COUNTS if name in HINT_SETS and hinted else ()
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
            hint_images[name] = len(files)
            psnrs = [_mean(score[f"psnr {k} hints"]) for k in counts]
            colours = [_ratio(score[f"colour {k} hints"], original_colour) for k in counts]
            for count, value, colour in zip(counts, psnrs, colours, strict=True):
                records += [
                    EvalRecord(name, "PSNR", value, method, report._hint_label(count)),
                    EvalRecord(name, "colourfulness ratio", colour, method, report._hint_label(count)),
                ]
            hint_rows += [[label, method, "PSNR", *psnrs], [label, method, "colourfulness ratio", *colours]]
            if 0 in counts and 10 in counts:
                gain = psnrs[counts.index(10)] - psnrs[counts.index(0)]
                gains.append(f"{name}: {method} {gain:+.2f} dB")
    if not rows:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(COLORIZE_SETS)} was found under the data folder")
    notes = report.colorize_notes(
        pipe, methods, rows, hint_rows, hint_images, gains, hinted, missing,
        strides=COLORIZE_STRIDE, variant_runs=COLORIZE_VARIANTS,
    )  # fmt: skip
    images = []
    if figure_rows:
        grid, alt = report.colorize_figure(figure_rows, [method for method, _ in methods])
        images = save_image(grid, folder, "colorize_strip.png", alt)
    return records, notes, images


PROTOCOLS = {
    "denoise-photo": evaluate_denoise,
    "superres-photo": evaluate_superres,
    "colorize": evaluate_colorize,
}
