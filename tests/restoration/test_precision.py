"""Inference precision (``Pipeline.precision``): fp32, bf16 autocast, or "auto" (bf16 where the CPU runs it natively).

bf16 must change the computation (so the tests below can fail when autocast is not applied) but not the result beyond
a small fraction of a dB, and golden outputs are always computed in fp32 so that a checkpoint verifies on any machine.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zoo
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise
from zoo.pipelines import base

from .conftest import colouriser, gray_denoiser, photo, super_resolver


def test_default_is_fp32_and_bad_values_are_refused():
    pipe = gray_denoiser()
    assert pipe.precision == "fp32" and pipe.compute_dtype == torch.float32
    pipe.precision = "BF16"
    assert pipe.precision == "bf16" and pipe.compute_dtype == torch.bfloat16
    with pytest.raises(zoo.InputError, match="auto, fp32, bf16"):  # a ZooError: one line in the app and CLIs
        pipe.precision = "half"


@pytest.mark.parametrize("native", [True, False])
def test_auto_uses_bf16_only_where_the_cpu_has_it(monkeypatch, native):
    monkeypatch.setattr(base, "cpu_has_native_bf16", lambda: native)
    pipe = gray_denoiser()
    pipe.precision = "auto"
    assert pipe.compute_dtype == (torch.bfloat16 if native else torch.float32)


def test_checkpoint_option_and_environment_override(monkeypatch):
    pipe = gray_denoiser()
    options = {**pipe.options, "precision": "bf16"}
    assert type(pipe)(pipe.models, options).precision == "bf16"
    monkeypatch.setenv("ZOO_PRECISION", "fp32")
    assert type(pipe)(pipe.models, options).precision == "fp32"


def runs():
    noisy = add_gaussian_noise(photo(64, 80, seed=3, channels=1).astype(np.float32) / 255, 25, seed=0)
    low = photo(40, 56, seed=4).astype(np.float32) / 255
    light = (photo(64, 80, seed=5, channels=1).astype(np.float32) / 255) * 100
    return {
        "denoise": (lambda: gray_denoiser(num_layers=8), lambda p: p.denoise_array(noisy, 25)),
        "superres": (lambda: super_resolver(num_blocks=2), lambda p: p.upscale_array(low)),
        "colorize": (colouriser, lambda p: p.predict_ab(light) / 110),
    }


@pytest.mark.parametrize("task", ["denoise", "superres", "colorize"])
def test_bf16_changes_the_computation_but_not_the_result(task):
    make, run = runs()[task]
    pipe = make()
    full = run(pipe)
    pipe.precision = "bf16"
    half = run(pipe)
    assert half.dtype == np.float32 and half.shape == full.shape
    assert not np.array_equal(half, full)  # autocast really ran
    assert np.abs(half - full).mean() < 2e-3
    if task != "colorize":  # the bf16 deviation is far below what the noise or the upscale leaves
        assert psnr(full, half, 1.0) > 45


def test_golden_outputs_are_fp32_whatever_the_precision(tmp_path):
    pipe = super_resolver(num_blocks=2)
    pipe.precision = "bf16"
    pipe.write_golden(tmp_path)
    assert pipe.precision == "bf16"  # restored afterwards
    pipe.precision = "fp32"
    assert pipe.check_golden(tmp_path, atol=1e-6) <= 1e-6
