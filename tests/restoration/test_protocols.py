"""The restoration protocols (denoise-photo, superres-photo, colorize) on tiny generated test sets: the record keys the
cards rely on, the baselines, the BM3D peer, figures, and clear errors when no test set is there."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.errors import InputError
from zoo.metrics import crop_to_multiple, y_psnr
from zoo.protocols import all_protocols, evaluate, restoration

from .conftest import colour_denoiser, colouriser, gray_denoiser, super_resolver

SIGMA_CONFIGS = {f"sigma={s}" for s in restoration.SIGMAS}


def keys(records) -> set[tuple[str, str, str | None, str]]:
    return {(r.dataset, r.metric, r.config, r.method) for r in records}


def value(records, dataset, metric, config, method) -> float:
    wanted = (dataset, metric, config, method)
    (found,) = [r.value for r in records if (r.dataset, r.metric, r.config, r.method) == wanted]
    return found


def test_protocols_are_registered():
    assert {"denoise-photo", "superres-photo", "colorize"} <= set(all_protocols())


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


def test_superres_shows_the_architecture_variant_found_in_outputs(data_root, tmp_path, monkeypatch):
    """superres-x2's card measures the WDSR run (outputs/superres-x2-wdsr) beside itself, with each one's block kind,
    weight count, steps and training time; runs of the other scale are not shown."""
    import json

    from zoo.nets import SuperResNet
    from zoo.pipelines import SuperResolutionPipeline

    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path / "outputs"))
    torch.manual_seed(1)
    wdsr = SuperResolutionPipeline(
        {"model": SuperResNet(scale=2, features=8, num_blocks=1, block="wdsr")}, {"scale": 2, "channels": 3}
    )
    run = tmp_path / "outputs" / "superres-x2-wdsr"
    wdsr.save_pretrained(run / "final")
    (run / "training.json").write_text(json.dumps({"training": {"steps": 7, "train_time": "0.1 min"}}))
    super_resolver(scale=4).save_pretrained(tmp_path / "outputs" / "superres-x4-wdsr" / "final")
    pipe = super_resolver(scale=2)
    pipe.name = "superres-x2"
    records, notes, _ = evaluate(pipe, data_dir=str(data_root), limit=1)
    assert {key[3] for key in keys(records)} == {"this model", "superres-x2-wdsr", "bicubic"}
    mine, theirs = (value(records, "set5", "PSNR (Y)", "x2", m) for m in ("this model", "superres-x2-wdsr"))
    assert mine != theirs  # really the other network's outputs
    assert "superres-x2-wdsr: WDSR-B blocks" in notes and "7 steps in 0.1 min" in notes
    assert "This model: EDSR blocks" in notes and "training time not recorded" in notes
    assert "`bash train/run_recipes.sh superres-x2-wdsr`" in notes and "--eval-only --from-published" in notes


COLORIZE_METRICS = ("PSNR", "colourfulness ratio", "hue spread", "hue spread ratio", "ab AuC")


def test_colorize_protocol_records_and_gray_equivalence(data_root, tmp_path):
    pipe = colouriser()
    records, notes, _ = evaluate(pipe, data_dir=str(data_root), limit=2, folder=tmp_path)
    sets = ("kodak24", "cbsd68", "sun_hays80")
    assert keys(records) == {
        (name, metric, None, method)
        for name in sets
        for metric in COLORIZE_METRICS
        for method in ("this model", "gray baseline")
    } | {(name, "hue spread", None, "original photos") for name in sets}
    assert value(records, "kodak24", "colourfulness ratio", None, "this model") > 0
    for name in sets:
        assert 0 < value(records, name, "hue spread", None, "original photos") <= 1
        assert 0 <= value(records, name, "hue spread", None, "this model") <= 1
        assert value(records, name, "hue spread ratio", None, "gray baseline") == 0.0
        assert 0 < value(records, name, "ab AuC", None, "gray baseline") < 1
        assert 0 < value(records, name, "ab AuC", None, "this model") < 1
    mine, originals = (value(records, "kodak24", "hue spread", None, m) for m in ("this model", "original photos"))
    assert value(records, "kodak24", "hue spread ratio", None, "this model") == pytest.approx(mine / originals)
    assert "hue spread ratio" in notes.split("\n\n")[1].splitlines()[0]  # a column of the markdown table
    assert "sun_hays80 (1 in 4)" in notes  # the stride is named in the table
    assert "Hints: not measured for this model (this model takes no colour hints" in notes
    assert "hints on kodak24" not in notes
    with torch.no_grad():  # a net that predicts no colour scores as the gray baseline, colourfulness ratio ~0
        for parameter in pipe.models["model"].unet.up[0].parameters():
            parameter.zero_()
    records, _, _ = evaluate(pipe, data_dir=str(data_root), limit=2)
    gray = value(records, "kodak24", "PSNR", None, "gray baseline")
    assert value(records, "kodak24", "PSNR", None, "this model") == pytest.approx(gray, abs=0.05)
    assert value(records, "kodak24", "colourfulness ratio", None, "this model") < 0.02
    assert value(records, "kodak24", "hue spread ratio", None, "this model") < 0.05
    gray_auc = value(records, "kodak24", "ab AuC", None, "gray baseline")
    assert value(records, "kodak24", "ab AuC", None, "this model") == pytest.approx(gray_auc, abs=0.01)
    assert "colourfulness" in notes and (tmp_path / "images" / "colorize_strip.png").is_file()


def test_colorize_sun_hays80_is_thinned_by_its_stride(data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(restoration, "COLORIZE_STRIDE", {"sun_hays80": 2})
    _, notes, _ = evaluate(colouriser(), data_dir=str(data_root))
    (row,) = [line for line in notes.splitlines() if line.startswith("| sun_hays80")]
    assert row.startswith("| sun_hays80 (1 in 2) | 2 | this model |")  # images 1 and 3 of the 3


def test_colorize_hint_rows_for_a_model_that_takes_hints(data_root):
    pipe = colouriser(hints=True)
    assert pipe.takes_hints
    records, notes, _ = evaluate(pipe, data_dir=str(data_root), limit=2)
    hint_keys = {key for key in keys(records) if key[2] is not None}
    assert hint_keys == {
        (name, metric, f"{k} hint" + ("" if k == 1 else "s"), "this model")
        for name in ("kodak24", "cbsd68")
        for metric in ("PSNR", "colourfulness ratio")
        for k in (0, 1, 5, 10, 20)
    }
    plain = value(records, "kodak24", "PSNR", None, "this model")
    assert value(records, "kodak24", "PSNR", "0 hints", "this model") == plain  # 0 hints: the plain output
    psnrs = [value(records, "kodak24", "PSNR", f"{k} hints", "this model") for k in (5, 10, 20)]
    assert len(set(psnrs)) == 3  # the hints reach the network
    gain = value(records, "kodak24", "PSNR", "10 hints", "this model") - plain
    assert f"PSNR gain at 10 hints over 0 hints: kodak24: this model {gain:+.2f} dB; cbsd68: this model " in notes
    assert "User colour hints on kodak24 (2 images) and cbsd68 (2 images)" in notes
    assert "| cbsd68 | this model | PSNR |" in notes and "Hints: not measured" not in notes
    again, notes_again, _ = evaluate(pipe, data_dir=str(data_root), limit=2)
    assert again == records and notes_again == notes  # deterministic: fixed hint seeds, same outputs


def test_colour_hints_are_seeded_nested_patch_means():
    original = np.random.default_rng(3).integers(0, 256, size=(40, 60, 3)).astype(np.uint8)
    twenty = restoration.colour_hints(original, 20, index=4)
    assert twenty == restoration.colour_hints(original, 20, index=4)  # fixed seed per image
    assert restoration.colour_hints(original, 5, index=4) == twenty[:5]  # fewer hints: a subset of more
    assert restoration.colour_hints(original, 5, index=5) != twenty[:5]  # another image, other points
    assert restoration.colour_hints(original, 0, index=4) == []
    for x, y, colour in twenty:
        assert 0 <= x < 60 and 0 <= y < 40
        patch = original[max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3].reshape(-1, 3)
        assert colour == tuple(int(c) for c in np.rint(patch.mean(axis=0)))


class _Painter:
    """A fake hint-taking colouriser: paints the gray image with the first hint's colour (gray without hints), and
    remembers every hints list it was given."""

    takes_hints = True

    def __init__(self):
        self.calls = []

    def __call__(self, gray, hints=None):
        self.calls.append(hints)
        array = np.repeat(np.asarray(gray)[..., None], 3, axis=2)
        if hints:
            array = np.broadcast_to(np.asarray(hints[0][2], dtype=np.uint8), array.shape)
        return Image.fromarray(np.ascontiguousarray(array))


def test_score_colorizers_passes_the_seeded_hints_and_scores_them():
    originals = [np.full((16, 24, 3), (200, 40, 40), dtype=np.uint8), np.full((16, 24, 3), (30, 60, 220), np.uint8)]
    painter = _Painter()
    gray_psnr, _, scores = restoration.score_colorizers([("painter", painter)], originals, hint_counts=(0, 1, 5))
    # Per image: the plain call, then 1 and 5 hints (0 reuses the plain output); hints as the protocol draws them.
    assert painter.calls == [
        hints for index, original in enumerate(originals) for hints in
        (None, restoration.colour_hints(original, 1, index), restoration.colour_hints(original, 5, index))
    ]  # fmt: skip
    score = scores["painter"]
    assert score["psnr 0 hints"] == score["psnr"] == gray_psnr
    assert all(np.isinf(score["psnr 1 hints"]))  # a flat photo painted with its own colour: exact
    assert scores["original photos"]["hue"] == [0.0, 0.0]  # one hue each
    assert score["auc"] == scores["gray baseline"]["auc"]  # the plain output is gray
    with pytest.raises(InputError, match="reserved"):
        restoration.score_colorizers([("gray baseline", painter)], originals)


def test_colorize_validation_keeps_its_keys_and_adds_the_hue_ratio(data_root):
    folder = data_root / "bsds500" / "test"
    photos = [np.asarray(Image.open(path).convert("RGB")) for path in sorted(folder.iterdir())]
    scores = restoration.colorize_validation(colouriser(), photos)
    assert set(scores) == {"val_psnr", "val_gain", "val_colour", "val_hue", "val_auc"}
    assert scores["val_hue"] > 0 and 0 < scores["val_auc"] < 1
    assert scores == restoration.colorize_validation(colouriser(), photos)


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
    assert {key[3] for key in keys(records)} == {"this model", "gray baseline", "original photos", "plain L1"}
    mine, theirs = (value(records, "kodak24", "PSNR", None, m) for m in ("this model", "plain L1"))
    assert mine != theirs  # really the other network's outputs
    assert "plain L1" in notes and "plain L1" in images[0]["alt"]
    assert {key[2] for key in keys(records)} == {None}  # neither takes hints: no hint rows


def test_colorize_variants_that_take_hints_get_hint_rows(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path / "outputs"))
    variant = colouriser(seed=1, hints=True)
    variant.options["method"] = "hints"
    variant.save_pretrained(tmp_path / "outputs" / "colorize-hints" / "final")
    records, notes, _ = evaluate(colouriser(), data_dir=str(data_root), limit=1)
    hinted = {(key[3], key[0]) for key in keys(records) if key[2] is not None}
    assert hinted == {("hints", "kodak24"), ("hints", "cbsd68")}  # the variant's rows, on the hint sets only
    for metric in COLORIZE_METRICS:
        assert value(records, "cbsd68", metric, None, "hints") >= 0  # the variant has every measure
    assert "PSNR gain at 10 hints over 0 hints: kodak24: hints " in notes
    assert "Hints: not measured for this model (this model takes no colour hints" in notes


def test_missing_test_sets_are_named_and_none_is_an_error(data_root, tmp_path, no_bm3d):
    partial = tmp_path / "data"
    shutil.copytree(data_root / "set12", partial / "set12")
    _, notes, _ = evaluate(gray_denoiser(), data_dir=str(partial), limit=1)
    assert "test set not found on this machine): bsd68" in notes
    with pytest.raises(InputError, match="none of the test sets"):
        evaluate(super_resolver(), data_dir=str(partial), limit=1)
    with pytest.raises(InputError, match="none of the test sets"):
        evaluate(colouriser(), data_dir=str(partial), limit=1)


def test_a_figure_saved_again_replaces_the_published_webp_of_it(tmp_path):
    from zoo.protocols.common import save_image

    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (8, 8)).save(images / "colorize_strip.webp")  # the mirror's compacted copy of the old figure
    Image.new("RGB", (8, 8)).save(images / "samples.webp")  # another figure: kept
    linked = save_image(Image.new("RGB", (8, 8), (200, 0, 0)), tmp_path, "colorize_strip.png", "strip")
    assert linked == [{"alt": "strip", "path": "images/colorize_strip.png"}]
    assert sorted(p.name for p in images.iterdir()) == ["colorize_strip.png", "samples.webp"]
