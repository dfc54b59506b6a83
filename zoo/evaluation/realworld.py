"""Real-world restoration protocols (docs/EVALUATION.md, "Real-world"): ``denoise-real`` and ``superres-real``.

Test images are made from clean test photos (kodak24, cbsd68, sun_hays80; never a training set) by
``zoo.degradations`` with fixed parameters per kind and a seed per (kind, image): the same degraded image on every
machine and every run. Every method sees the same 8-bit degraded image (a real upload is 8-bit).

- ``denoise-real``, one row per kind (``DENOISE_KINDS``): JPEG only at quality 10/20/30/40; AWGN sigma 15 then JPEG
  q50; Poisson-Gaussian (a 0.01, b 2); correlated noise (sigma 20, 1 px); the ``mixed`` kind of ``DenoiseMix``
  (random blur / noise / JPEG in shuffled order, drawn from the seed). Methods: the model in blind mode (what the app
  runs by default), ``denoise-color`` in blind mode (the synthetic-noise model), the degraded input, and CBM3D with
  the noise level estimated from the image (``zoo.noise.estimate_sigma``, at least 1) on every k-th image. Plus the
  AWGN check: cbsd68 at sigma 25 by the synthetic protocol, both models blind.
- ``superres-real``: HR cropped to a multiple of 4, LR = ``SuperResMix(scale=4)`` (second-order blur, resize,
  noise, JPEG) seeded per image; Y-PSNR / Y-SSIM with 4 pixels shaved, and the sharpness ratio (mean luminance
  gradient of the output over the HR's). Methods: the model, ``superres-x4`` (bicubic-trained), bicubic, and the
  other real-world x4 model when it exists (the perception-distortion pair).

Record keys: ``(<set>, "PSNR" | "SSIM", <method>, config <kind>)`` (denoise); ``(<set>, "PSNR (Y)" | "SSIM (Y)" |
"sharpness ratio", <method>, "real x4")`` (super-resolution); ``(<set>/every-<k>, ...)`` where a peer ran on a
subset, and ``"seconds per image"`` rows for the model's blind path.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo import degradations as deg
from zoo.cards import THIS_MODEL, EvalRecord
from zoo.evaluation.common import SEED, save_image
from zoo.evaluation.restoration import (
    BM3D_WORKERS,
    _center_crop,
    _load_uint8,
    _markdown,
    _mean,
    _quantize,
    _test_files,
)

Result = tuple[list[EvalRecord], str, list[dict[str, str]]]

REAL_SETS = ("kodak24", "cbsd68", "sun_hays80")
# Every k-th image of a set is evaluated: cbsd68 is halved and sun_hays80 (1024x768) thinned to keep a run short.
MODEL_STRIDE = {"kodak24": 1, "cbsd68": 2, "sun_hays80": 8}
# CBM3D (~10 s per 500x500 image on one core) runs on every k-th of the evaluated images; 0 = not on that set.
CBM3D_STRIDE = {"kodak24": 12, "cbsd68": 12, "sun_hays80": 0}
SYNTHETIC = "denoise-color"  # the white-noise model the real-world one must beat
SYNTHETIC_SR = "superres-x4"
REAL_SR_PAIR = ("superres-x4-real", "superres-x4-gan")
DEGRADED = "degraded input"
CBM3D = "CBM3D (estimated sigma)"


def _gauss_jpeg(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return deg.jpeg(deg.add_gaussian_noise(clean, 15, rng), 50)


DENOISE_KINDS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "jpeg q10": lambda clean, rng: deg.jpeg(clean, 10),
    "jpeg q20": lambda clean, rng: deg.jpeg(clean, 20),
    "jpeg q30": lambda clean, rng: deg.jpeg(clean, 30),
    "jpeg q40": lambda clean, rng: deg.jpeg(clean, 40),
    "awgn 15 + jpeg q50": _gauss_jpeg,
    "poisson-gaussian": lambda clean, rng: deg.quantize(deg.add_poisson_gaussian_noise(clean, 0.01, 2.0, rng)),
    "correlated 20": lambda clean, rng: deg.quantize(deg.add_correlated_noise(clean, 20, 1.0, rng)),
    "mixed": lambda clean, rng: deg.DenoiseMix()(clean, rng, kind="mixed")[0],
}


def case_rng(kind: str, name: str) -> np.random.Generator:
    """The seed of one (kind, image) pair: fixed, independent of the order images are evaluated in."""
    return np.random.default_rng([SEED, zlib.crc32(kind.encode()), zlib.crc32(name.encode())])


def degrade_for_test(clean_uint8: np.ndarray, kind: str, name: str) -> np.ndarray:
    """The protocol's degraded version (uint8) of a clean test image for ``kind``; ``name`` is the image's file name."""
    clean = clean_uint8.astype(np.float32) / 255.0
    return _quantize(DENOISE_KINDS[kind](clean, case_rng(kind, name)))


def superres_lr(hr_uint8: np.ndarray, name: str, scale: int = 4) -> np.ndarray:
    """The protocol's real-world LR image (uint8) of an HR image already cropped to a multiple of ``scale``."""
    lr, _ = deg.SuperResMix(scale=scale)(hr_uint8.astype(np.float32) / 255.0, case_rng(f"sr x{scale}", name))
    return _quantize(lr)


# Other published zoo models shown beside the model (denoise-color, superres-x4, ...): on for the cards; off (False)
# when only the model's own rows are wanted (``zoo.halving``).
MODEL_PEERS = True


def _peer(name: str, exclude_pipe: Any) -> Any | None:
    """A published zoo model to compare with (None when it is the model under test, is not available here, or
    ``MODEL_PEERS`` is off)."""
    import zoo

    if not MODEL_PEERS or getattr(exclude_pipe, "name", None) == name:
        return None
    try:
        return zoo.load(name)
    except zoo.ZooError:
        return None


def real_sets(data_dir: str | None, limit: int | None, counts: dict[str, int], missing: list[str]):
    """``(set name, files)`` of every real-world test set on this machine (every ``MODEL_STRIDE``-th image); fills
    ``counts`` with the images per set and ``missing`` with the sets that are not here."""
    for name in REAL_SETS:
        files = _test_files(name, data_dir, MODEL_STRIDE.get(name, 1), limit)
        if files is None:
            missing.append(name)
            continue
        counts[name] = len(files)
        yield name, files


def cbm3d_blind(image_uint8: np.ndarray) -> tuple[np.ndarray, float, float]:
    """CBM3D with the white-noise estimate of the image as its sigma (at least 1): (uint8 output, sigma, seconds).
    Runs in a worker process (``_run_parallel``)."""
    import bm3d

    from zoo.pipelines.restoration import estimate_noise_level

    image = image_uint8.astype(np.float32) / 255.0
    sigma = max(estimate_noise_level(image), 1.0)
    start = time.perf_counter()
    out = bm3d.bm3d_rgb(image, sigma / 255.0)
    return _quantize(out), sigma, time.perf_counter() - start


def _run_parallel(function: Callable, jobs: list[Any]) -> list[Any]:
    if not jobs:
        return []
    if BM3D_WORKERS <= 1:
        return [function(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=BM3D_WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(function, jobs))


def _denoise_blind(pipe: Any, image_uint8: np.ndarray) -> np.ndarray:
    return _quantize(pipe.denoise_array(image_uint8.astype(np.float32) / 255.0, None))


def evaluate_denoise_real(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """The ``denoise-real`` protocol (module docstring)."""
    from zoo.evaluation.restoration import bm3d_enabled, bm3d_version  # read at call time: tests switch the peer off
    from zoo.metrics import psnr, ssim

    synthetic = _peer(SYNTHETIC, pipe)
    methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {THIS_MODEL: lambda image: _denoise_blind(pipe, image)}
    if synthetic is not None:
        methods[f"{SYNTHETIC} (blind)"] = lambda image: _denoise_blind(synthetic, image)
    peer = bm3d_enabled() and bm3d_version() is not None
    scores: dict[tuple[str, str, str, str], list[float]] = {}
    seconds: dict[str, list[float]] = {}
    jobs, job_keys, counts, missing = [], [], {}, []
    figure: list[Image.Image] = []
    figure_kinds = ("jpeg q20", "correlated 20", "mixed")
    for name, files in real_sets(data_dir, limit, counts, missing):
        stride = CBM3D_STRIDE.get(name, 0)
        for index, path in enumerate(files):
            clean = _load_uint8(path, 3)
            for kind in DENOISE_KINDS:
                degraded = degrade_for_test(clean, kind, path.name)
                outputs = {DEGRADED: degraded}
                for method, run in methods.items():
                    start = time.perf_counter()
                    outputs[method] = run(degraded)
                    if method == THIS_MODEL:
                        seconds.setdefault(name, []).append(time.perf_counter() - start)
                for method, out in outputs.items():
                    scores.setdefault((name, kind, method, "PSNR"), []).append(psnr(clean, out))
                    scores.setdefault((name, kind, method, "SSIM"), []).append(ssim(clean, out))
                if peer and stride and index % stride == 0:
                    subset = f"{name}/every-{stride * MODEL_STRIDE.get(name, 1)}"
                    jobs.append(degraded)
                    job_keys.append((subset, kind, path.name, clean))
                    for metric in ("PSNR", "SSIM"):
                        own = scores[(name, kind, THIS_MODEL, metric)][-1]
                        scores.setdefault((subset, kind, THIS_MODEL, metric), []).append(own)
                if name == "kodak24" and index == 0 and kind in figure_kinds:
                    shown = [outputs[DEGRADED], *(outputs[m] for m in methods if m != THIS_MODEL)]
                    shown += [outputs[THIS_MODEL], clean]
                    figure += [Image.fromarray(_center_crop(a, 160)) for a in shown]
    if not counts:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(REAL_SETS)} was found under the data folder ({data_dir})")
    estimated: list[float] = []
    for (subset, kind, _, clean), (out, sigma, _spent) in zip(job_keys, _run_parallel(cbm3d_blind, jobs), strict=True):
        scores.setdefault((subset, kind, CBM3D, "PSNR"), []).append(psnr(clean, out))
        scores.setdefault((subset, kind, CBM3D, "SSIM"), []).append(ssim(clean, out))
        estimated.append(sigma)

    records = [
        EvalRecord(dataset, metric, _mean(values), method, kind)
        for (dataset, kind, method, metric), values in scores.items()
    ]
    records += [
        EvalRecord(name, "seconds per image", _mean(values), THIS_MODEL, "blind") for name, values in seconds.items()
    ]
    awgn_rows = _awgn_check(pipe, synthetic, data_dir, limit, records)

    method_names = [DEGRADED, *methods]
    rows = []
    for name in counts:
        for kind in DENOISE_KINDS:
            rows.append(
                [name, kind]
                + [
                    f"{_mean(scores[(name, kind, m, 'PSNR')]):.2f} / {_mean(scores[(name, kind, m, 'SSIM')]):.3f}"
                    for m in method_names
                ]
            )
    parts = [
        "Protocol (docs/EVALUATION.md, real-world denoising): clean test photos degraded by `zoo.degradations` with "
        "fixed parameters per kind and a fixed seed per (kind, image) (`zoo.evaluation.realworld.DENOISE_KINDS`); "
        "every method gets the same 8-bit degraded image and runs blind (no noise level given); PSNR / SSIM on RGB "
        f"against the clean photo. Images: {_counts(counts)}.",
        _markdown(["set", "kind", *[f"{m} PSNR / SSIM" for m in method_names]], rows),
    ]
    subsets = sorted({key[0] for key in scores if "/every-" in key[0]})
    if subsets:
        cbm3d_rows = [
            [
                subset,
                kind,
                len(scores[(subset, kind, CBM3D, "PSNR")]),
                _mean(scores[(subset, kind, THIS_MODEL, "PSNR")]),
                _mean(scores[(subset, kind, CBM3D, "PSNR")]),
            ]
            for subset in subsets
            for kind in DENOISE_KINDS
            if (subset, kind, CBM3D, "PSNR") in scores
        ]
        parts += [
            f"The classical peer: CBM3D (PyPI `bm3d` {bm3d_version()}, `bm3d_rgb`) with sigma estimated from the "
            "degraded image by the white-noise estimator (at least 1; mean estimate "
            f"{_mean(estimated):.1f}), on every k-th image; the model's PSNR on the same images beside it. No "
            "classical JPEG deblocking filter is installable from this project's registries (Debian has no "
            "`jpeg2png`; Pillow and numpy have none), so CBM3D stands for the classical methods on every kind.",
            _markdown(["images", "kind", "n", "this model PSNR", "CBM3D PSNR"], cbm3d_rows),
        ]
    elif not peer:
        parts.append("CBM3D was not run (the `bm3d` package is missing or ZOO_BM3D=0).")
    parts += awgn_rows
    if missing:
        parts.append(f"Not evaluated (test set not found on this machine): {', '.join(missing)}.")
    images = []
    if figure:
        from zoo.pipelines.images import image_grid

        columns = len(figure) // len(figure_kinds)
        alt = f"kodak24 image 1, {', '.join(figure_kinds)} (rows): " + " | ".join(
            [DEGRADED, *(m for m in methods if m != THIS_MODEL), THIS_MODEL, "clean"]
        )
        images = save_image(image_grid(figure, columns=columns), folder, "real_strip.png", alt)
    return records, "\n\n".join(parts), images


def _counts(counts: dict[str, int]) -> str:
    """``kodak24 24, cbsd68 34 (every 2nd)``: how many images of each set, and the stride where there is one."""
    parts = []
    for name, count in counts.items():
        stride = MODEL_STRIDE.get(name, 1)
        parts.append(f"{name} {count}" + (f" (one image in {stride})" if stride > 1 else ""))
    return ", ".join(parts)


def _awgn_check(pipe: Any, synthetic: Any, data_dir: str | None, limit: int | None, records: list) -> list[str]:
    """cbsd68, sigma 25, the synthetic protocol's float noisy images, both models blind: the real-world model must not
    lose much on plain white noise."""
    from zoo.metrics import psnr
    from zoo.noise import add_gaussian_noise

    files = _test_files("cbsd68", data_dir, 1, limit)
    if files is None:
        return []
    models = {THIS_MODEL: pipe, **({f"{SYNTHETIC} (blind)": synthetic} if synthetic is not None else {})}
    values: dict[str, list[float]] = {}
    for path in files:
        clean = _load_uint8(path, 3)
        noisy = add_gaussian_noise(clean.astype(np.float32) / 255.0, 25, seed=SEED)
        for method, model in models.items():
            values.setdefault(method, []).append(psnr(clean, _quantize(model.denoise_array(noisy, None))))
    for method, numbers in values.items():
        records.append(EvalRecord("cbsd68", "PSNR", _mean(numbers), method, "awgn sigma=25 blind"))
    text = ", ".join(f"{method} {_mean(numbers):.2f} dB" for method, numbers in values.items())
    return [
        f"White Gaussian noise (the synthetic protocol: cbsd68, sigma 25, float noisy images, seed 0), blind: {text} "
        f"({len(files)} images)."
    ]


def sharpness_ratio(output: np.ndarray, reference: np.ndarray) -> float:
    from zoo.metrics import sharpness

    return sharpness(output) / max(sharpness(reference), 1e-6)


def evaluate_superres_real(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """The ``superres-real`` protocol (module docstring), x``pipe.scale`` (4 for the published models)."""
    from zoo.metrics import crop_to_multiple, y_psnr, y_ssim
    from zoo.pipelines.images import image_grid

    scale = pipe.scale
    methods: dict[str, Callable[[Image.Image], Image.Image]] = {THIS_MODEL: pipe}
    for name in (SYNTHETIC_SR, *REAL_SR_PAIR):
        other = _peer(name, pipe)
        if other is not None and getattr(other, "scale", None) == scale:
            methods[name] = other
    methods["bicubic"] = lambda low: low.resize((low.width * scale, low.height * scale), Image.Resampling.BICUBIC)
    config = f"real x{scale}"
    values: dict[tuple[str, str, str], list[float]] = {}
    counts, missing, figure = {}, [], []
    for name, files in real_sets(data_dir, limit, counts, missing):
        for path in files:
            hr = crop_to_multiple(_load_uint8(path, 3), scale)
            low = Image.fromarray(superres_lr(hr, path.name, scale))
            outputs = {}
            for method, upscale in methods.items():
                start = time.perf_counter()
                sr = np.asarray(upscale(low).convert("RGB"))
                if method == THIS_MODEL:
                    values.setdefault((name, method, "seconds per image"), []).append(time.perf_counter() - start)
                outputs[method] = sr
                values.setdefault((name, method, "PSNR (Y)"), []).append(y_psnr(hr, sr, scale))
                values.setdefault((name, method, "SSIM (Y)"), []).append(y_ssim(hr, sr, scale))
                values.setdefault((name, method, "sharpness ratio"), []).append(sharpness_ratio(sr, hr))
            if not figure and name == "kodak24":
                nearest = np.asarray(low.resize((low.width * scale, low.height * scale), Image.Resampling.NEAREST))
                shown = [nearest, *(outputs[m] for m in methods if m != THIS_MODEL), outputs[THIS_MODEL], hr]
                figure = [Image.fromarray(_center_crop(a, 192)) for a in shown]
    if not counts:
        from zoo.errors import InputError

        raise InputError(f"none of the test sets {', '.join(REAL_SETS)} was found under the data folder ({data_dir})")
    records = [EvalRecord(n, metric, _mean(v), m, config) for (n, m, metric), v in values.items()]
    rows = [
        [name, counts[name], method]
        + [_mean(values.get((name, method, metric), [])) for metric in ("PSNR (Y)", "SSIM (Y)", "sharpness ratio")]
        for name in counts
        for method in methods
    ]
    parts = [
        f"Protocol (docs/EVALUATION.md, real-world x{scale}): HR test photo cropped to a multiple of {scale}; LR = "
        f"`zoo.degradations.SuperResMix(scale={scale})` (two orders of blur, random resize, Gaussian / "
        "Poisson-Gaussian / correlated noise and JPEG q30-95), seeded per image; 8-bit LR. Y-channel PSNR / SSIM "
        f"with {scale} pixels shaved; sharpness ratio = mean luminance gradient of the output over the HR's (1.0: as "
        "much fine detail as the original; blur scores lower, noise and artefacts higher). Images: "
        + _counts(counts)
        + ".",
        _markdown(["set", "images", "method", "PSNR (Y)", "SSIM (Y)", "sharpness ratio"], rows),
    ]
    if missing:
        parts.append(f"Not evaluated (test set not found on this machine): {', '.join(missing)}.")
    images = []
    if figure:
        alt = "kodak24 image 1, centre crop: LR (nearest) | " + " | ".join(
            [*(m for m in methods if m != THIS_MODEL), THIS_MODEL, "HR"]
        )
        images = save_image(image_grid(figure, columns=len(figure)), folder, "real_sr_strip.png", alt)
    return records, "\n\n".join(parts), images


PROTOCOLS = {"denoise-real": evaluate_denoise_real, "superres-real": evaluate_superres_real}
