"""The restoration protocols (denoise-photo, superres-photo, colorize) on tiny generated test sets: the record keys the
cards rely on, the baselines, the BM3D peer, figures, and clear errors when no test set is there."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.errors import InputError
from zoo.evaluation import evaluate, protocols, restoration
from zoo.metrics import crop_to_multiple, y_psnr

from .conftest import colour_denoiser, colouriser, gray_denoiser, super_resolver

SIGMA_CONFIGS = {f"sigma={s}" for s in restoration.SIGMAS}


def keys(records) -> set[tuple[str, str, str | None, str]]:
    return {(r.dataset, r.metric, r.config, r.method) for r in records}


def value(records, dataset, metric, config, method) -> float:
    wanted = (dataset, metric, config, method)
    (found,) = [r.value for r in records if (r.dataset, r.metric, r.config, r.method) == wanted]
    return found


def test_protocols_are_registered():
    assert {"denoise-photo", "superres-photo", "colorize"} <= set(protocols())


@pytest.mark.parametrize("channels", [1, 3])
def test_denoise_protocol_records(channels, data_root, tmp_path, no_bm3d):
    pipe = gray_denoiser() if channels == 1 else colour_denoiser()
    records, notes, images = evaluate(pipe, data_dir=str(data_root), limit=2, folder=tmp_path)
    sets = restoration.GRAY_SETS if channels == 1 else restoration.COLOR_SETS
    primary = restoration.PRIMARY_SET[channels]
    expected = {
        (name, metric, config, method)
        for name in sets
        for metric in ("PSNR", "SSIM")
        for config in SIGMA_CONFIGS
        for method in ("this model", "noisy input")
    }
    expected |= {(primary, "PSNR", f"{config} blind", "this model") for config in SIGMA_CONFIGS}
    expected |= {(name, "seconds per image", None, "this model") for name in sets}
    assert keys(records) == expected
    noisy = value(records, sets[0], "PSNR", "sigma=25", "noisy input")
    assert 19.5 < noisy < 21.5  # N(0, 25/255) on [0, 1] images, clipped and quantized: about 20.2 dB
    assert "BM3D peer: **not measured**" in notes and "mean abs error" in notes
    assert [image["path"] for image in images] == ["images/denoise_strip.png"]
    assert (tmp_path / "images" / "denoise_strip.png").is_file()


def test_denoise_protocol_measures_bm3d_on_the_same_noisy_images(data_root, monkeypatch):
    pytest.importorskip("bm3d")
    monkeypatch.setattr(restoration, "BM3D_WORKERS", 1)
    monkeypatch.setattr(restoration, "SIGMAS", (25,))
    monkeypatch.setattr(restoration, "BM3D_STRIDE", {"set12": 1, "bsd68": 2})
    records, notes, _ = restoration.evaluate_denoise(gray_denoiser(), data_dir=str(data_root), limit=2)
    for dataset in ("set12", "bsd68/every-2"):
        bm3d = value(records, dataset, "PSNR", "sigma=25", "BM3D")
        assert bm3d > value(records, "set12", "PSNR", "sigma=25", "noisy input") + 3
        assert "this model" in {r.method for r in records if r.dataset == dataset and r.metric == "PSNR"}
        assert value(records, dataset, "seconds per image", None, "BM3D") > 0
    assert "PyPI `bm3d`" in notes and "not measured" not in notes


def test_superres_protocol_records_and_bicubic_row(data_root, tmp_path):
    pipe = super_resolver(scale=2)
    records, notes, images = evaluate(pipe, data_dir=str(data_root), limit=2, folder=tmp_path)
    assert keys(records) == {
        (name, metric, "x2", method)
        for name in ("set5", "set14")
        for metric in ("PSNR (Y)", "SSIM (Y)", "seconds per image")
        for method in ("this model", "bicubic")
    }
    # the bicubic row, recomputed independently for the first two set5 images
    expected = []
    for path in sorted((data_root / "set5").glob("*.bmp"))[:2]:
        hr = crop_to_multiple(np.asarray(Image.open(path).convert("RGB")), 2)
        low = Image.fromarray(hr).resize((hr.shape[1] // 2, hr.shape[0] // 2), Image.BICUBIC)
        expected.append(y_psnr(hr, np.asarray(low.resize((hr.shape[1], hr.shape[0]), Image.BICUBIC)), 2))
    assert value(records, "set5", "PSNR (Y)", "x2", "bicubic") == pytest.approx(np.mean(expected))
    assert "bicubic 33.66" in notes
    assert (tmp_path / images[0]["path"]).is_file()


def test_colorize_protocol_records_and_gray_equivalence(data_root, tmp_path):
    pipe = colouriser()
    records, notes, _ = evaluate(pipe, data_dir=str(data_root), limit=2, folder=tmp_path)
    assert keys(records) == {
        (name, metric, None, method)
        for name in ("kodak24", "cbsd68")
        for metric in ("PSNR", "colourfulness ratio")
        for method in ("this model", "gray baseline")
    }
    assert value(records, "kodak24", "colourfulness ratio", None, "this model") > 0
    with torch.no_grad():  # a net that predicts no colour scores as the gray baseline, colourfulness ratio ~0
        for parameter in pipe.models["model"].unet.up[0].parameters():
            parameter.zero_()
    records, _, _ = evaluate(pipe, data_dir=str(data_root), limit=2)
    gray = value(records, "kodak24", "PSNR", None, "gray baseline")
    assert value(records, "kodak24", "PSNR", None, "this model") == pytest.approx(gray, abs=0.05)
    assert value(records, "kodak24", "colourfulness ratio", None, "this model") < 0.02
    assert "colourfulness" in notes and (tmp_path / "images" / "colorize_strip.png").is_file()


def test_colorize_shows_the_loss_variants_found_in_outputs(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path / "outputs"))
    pipe = colouriser()
    _, notes, _ = evaluate(pipe, data_dir=str(data_root), limit=1)
    assert "No loss-variant run was found" in notes
    variant = colouriser(seed=1)
    variant.options["method"] = "plain L1"
    variant.save_pretrained(tmp_path / "outputs" / "colorize-l1" / "final")
    pipe.save_pretrained(tmp_path / "outputs" / "colorize" / "final")  # the model itself: never its own variant
    pipe.name = "colorize"
    records, notes, images = evaluate(pipe, data_dir=str(data_root), limit=1, folder=tmp_path / "card")
    assert {key[3] for key in keys(records)} == {"this model", "gray baseline", "plain L1"}
    mine, theirs = (value(records, "kodak24", "PSNR", None, m) for m in ("this model", "plain L1"))
    assert mine != theirs  # really the other network's outputs
    assert "plain L1" in notes and "plain L1" in images[0]["alt"]


def test_missing_test_sets_are_named_and_none_is_an_error(data_root, tmp_path, no_bm3d):
    partial = tmp_path / "data"
    shutil.copytree(data_root / "set12", partial / "set12")
    _, notes, _ = evaluate(gray_denoiser(), data_dir=str(partial), limit=1)
    assert "test set not found on this machine): bsd68" in notes
    with pytest.raises(InputError, match="none of the test sets"):
        evaluate(super_resolver(), data_dir=str(partial), limit=1)
    with pytest.raises(InputError, match="none of the test sets"):
        evaluate(colouriser(), data_dir=str(partial), limit=1)
