"""The photo restoration family's peers and baselines: BM3D / CBM3D (PyPI ``bm3d``, run in worker processes), bicubic
upscaling, and the variant runs found in outputs/ (the colouriser's losses, the upscalers' block kinds). When they
run is the protocol's choice
(``zoo.protocols.restoration``: ``BM3D_PEER``, ``BM3D_STRIDE``, ``BM3D_WORKERS``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from zoo.cards import THIS_MODEL
from zoo.protocols.common import SEED, find_runs, run_label
from zoo.protocols.restoration.measure import _load_uint8, _quantize


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


def run_in_processes(function: Callable, jobs: Sequence[tuple], workers: int) -> list[Any]:
    """``function(*job)`` for every job, in ``workers`` fresh processes (spawned: no forked torch), or here when
    ``workers`` is 1 or less; results in the jobs' order."""
    if not jobs:
        return []
    if workers <= 1:
        return [function(*job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(function, *zip(*jobs, strict=True)))


def bicubic_upscale(image: Image.Image, scale: int) -> Image.Image:
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)


def variant_runs(pipe: Any, variants: Sequence[str]) -> list[tuple[str, Any]]:
    """(label, pipeline) of every training run named in ``variants`` found in outputs/, other than the model itself
    (the colouriser's loss variants, the upscalers' WDSR / EDSR runs)."""
    from zoo.pipelines import load_pipeline

    loaded: list[tuple[str, Any]] = []
    for folder in find_runs(variants, exclude=pipe.name):
        variant = load_pipeline(folder, name=folder.parent.name)
        loaded.append((run_label(variant, folder, [THIS_MODEL, *(n for n, _ in loaded)]), variant))
    return loaded
