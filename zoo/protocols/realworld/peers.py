"""The real-world restoration peers: CBM3D with the estimated noise level (run in worker processes) and the other
published zoo models shown beside the model (``denoise-color``, ``superres-x4``, ...). Whether they run is the
protocol's choice (``zoo.protocols.realworld.MODEL_PEERS``, ``zoo.protocols.restoration.bm3d_enabled``)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from zoo.protocols.restoration.measure import _quantize


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


def published_model(name: str, exclude_pipe: Any) -> Any | None:
    """The published zoo model ``name`` (None when it is the model under test or is not available here)."""
    import zoo

    if getattr(exclude_pipe, "name", None) == name:
        return None
    try:
        return zoo.load(name)
    except zoo.ZooError:
        return None
