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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL, EvalRecord
from zoo.protocols.common import SEED, save_image
from zoo.protocols.realworld import peers, report
from zoo.protocols.realworld.measure import (  # noqa: F401 (re-exported: tests, tools/probes)
    DENOISE_KINDS,
    _denoise_blind,
    _gauss_jpeg,
    case_rng,
    degrade_for_test,
    sharpness_ratio,
    superres_lr,
)
from zoo.protocols.realworld.peers import cbm3d_blind
from zoo.protocols.realworld.report import CBM3D, DEGRADED
from zoo.protocols.restoration import BM3D_WORKERS
from zoo.protocols.restoration.measure import _center_crop, _load_uint8, _mean, _quantize, _test_files
from zoo.protocols.restoration.peers import run_in_processes

Result = tuple[list[EvalRecord], str, list[dict[str, str]]]

REAL_SETS = ("kodak24", "cbsd68", "sun_hays80")
# Every k-th image of a set is evaluated: cbsd68 is halved and sun_hays80 (1024x768) thinned to keep a run short.
MODEL_STRIDE = {"kodak24": 1, "cbsd68": 2, "sun_hays80": 8}
# CBM3D (~10 s per 500x500 image on one core) runs on every k-th of the evaluated images; 0 = not on that set.
CBM3D_STRIDE = {"kodak24": 12, "cbsd68": 12, "sun_hays80": 0}
SYNTHETIC = "denoise-color"  # the white-noise model the real-world one must beat
SYNTHETIC_SR = "superres-x4"
REAL_SR_PAIR = ("superres-x4-real", "superres-x4-gan")


# Other published zoo models shown beside the model (denoise-color, superres-x4, ...): on for the cards; off (False)
# when only the model's own rows are wanted (``zoo.halving``).
MODEL_PEERS = True


def _peer(name: str, exclude_pipe: Any) -> Any | None:
    """A published zoo model to compare with (None when it is the model under test, is not available here, or
    ``MODEL_PEERS`` is off)."""
    if not MODEL_PEERS:
        return None
    return peers.published_model(name, exclude_pipe)


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


def _run_parallel(function: Callable, jobs: list[Any]) -> list[Any]:
    return run_in_processes(function, [(job,) for job in jobs], BM3D_WORKERS)


def evaluate_denoise_real(
    pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Path | None = None
) -> Result:
    """The ``denoise-real`` protocol (module docstring)."""
    from zoo.metrics import psnr, ssim
    from zoo.protocols.restoration import bm3d_enabled, bm3d_version  # read at call time: tests switch the peer off

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

    notes = report.denoise_real_notes(
        scores, counts, MODEL_STRIDE, list(DENOISE_KINDS), [DEGRADED, *methods],
        peer=peer, version=bm3d_version(), estimated=estimated, awgn=awgn_rows, missing=missing,
        blind=pipe.blind_description(),
    )  # fmt: skip
    images = []
    if figure:
        from zoo.pipelines.images import image_grid

        columns = len(figure) // len(figure_kinds)
        alt = f"kodak24 image 1, {', '.join(figure_kinds)} (rows): " + " | ".join(
            [DEGRADED, *(m for m in methods if m != THIS_MODEL), THIS_MODEL, "clean"]
        )
        images = save_image(image_grid(figure, columns=columns), folder, "real_strip.png", alt)
    return records, notes, images


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
    return report.awgn_text(values, len(files))


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
    notes = report.superres_real_notes(scale, rows, counts, MODEL_STRIDE, missing)
    images = []
    if figure:
        alt = "kodak24 image 1, centre crop: LR (nearest) | " + " | ".join(
            [*(m for m in methods if m != THIS_MODEL), THIS_MODEL, "HR"]
        )
        images = save_image(image_grid(figure, columns=len(figure)), folder, "real_sr_strip.png", alt)
    return records, notes, images


PROTOCOLS = {"denoise-real": evaluate_denoise_real, "superres-real": evaluate_superres_real}
