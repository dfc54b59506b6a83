"""The translation protocols' parts: baselines found or honestly absent, the expected geometry, the domain classifier,
the HTML page."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data import VIOLET, circles_and_squares, circles_to_rectangles, shape_mask
from zoo.nets import UNetGenerator
from zoo.pipelines import Pix2PixPipeline
from zoo.protocols import translation


def tiny_pix2pix(dataset, **options) -> Pix2PixPipeline:
    torch.manual_seed(0)
    opts = {"working_size": 32, "protocol": "pix2pix-paired", "dataset": str(dataset), **options}
    return Pix2PixPipeline({"model": UNetGenerator(num_downs=5, ngf=4)}, options=opts, name="tiny")


def test_known_baselines_are_found_in_outputs_and_never_the_model_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path))
    assert translation.find_baselines(SimpleNamespace(name="pix2pix-facades"), "facades") == []
    baseline = tmp_path / "pix2pix-facades-l1" / "final"
    tiny_pix2pix("facades", method="L1-only U-Net").save_pretrained(baseline)
    assert translation.find_baselines(SimpleNamespace(name="pix2pix-facades"), "facades") == [baseline]
    assert translation.find_baselines(SimpleNamespace(name="pix2pix-facades-l1"), "facades") == []
    assert translation.find_baselines(SimpleNamespace(name="x"), "maps") == []


def test_a_baseline_from_another_dataset_is_refused(tiny_pairs, tmp_path):
    from zoo.errors import CheckpointError

    tiny_pix2pix("maps").save_pretrained(tmp_path / "maps-baseline")
    pipe = tiny_pix2pix(tiny_pairs, split="test")
    with pytest.raises(CheckpointError, match="trained on 'maps'"):
        translation.evaluate_paired(pipe, limit=1, baselines=[tmp_path / "maps-baseline"])


def test_paired_protocol_without_a_baseline_reports_none(tiny_pairs, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path / "nothing-here"))
    monkeypatch.chdir(tmp_path)
    pipe = tiny_pix2pix(tiny_pairs, direction="AtoB", split="test")
    records, notes, images = translation.evaluate_paired(pipe, limit=2, folder=tmp_path / "final")
    assert {r.method for r in records} == {"this model", "identity (input)"}
    assert {r.metric for r in records} == {"L1", "PSNR", "SSIM", "sharpness ratio"}
    assert {r.method for r in records if r.metric == "sharpness ratio"} == {"this model"}  # not for the label map
    assert all(0.0 <= r.value <= 1.0 for r in records if r.metric == "L1")
    assert "none" in notes and [image["path"] for image in images] == ["images/test_grid.png"]
    grid = Image.open(tmp_path / "final" / "images" / "test_grid.png")
    assert grid.width > 3 * 32 and grid.height > 2 * 32  # 2 rows of input | output | target
    page = (tmp_path / "final" / "web" / "index.html").read_text()
    assert page.count("<img ") == 2 * 3


def test_expected_geometry_matches_the_generator():
    """The shapes generator's circle <-> bounding square correspondence, recovered from either mask alone."""
    circles, _, square_masks = circles_to_rectangles(20, seed=3)
    for circle, square in zip(circles, square_masks, strict=True):
        disc = shape_mask(circle, VIOLET)
        assert np.array_equal(translation._square_around(disc), square)
        assert np.array_equal(translation._disc_inside(square), disc)


@pytest.mark.slow
def test_domain_classifier_tells_circles_from_squares():
    train_circles, train_squares, _, _ = circles_and_squares(64, seed=1)
    test_circles, test_squares, _, _ = circles_and_squares(32, seed=2)
    net = translation.train_domain_classifier(train_circles, train_squares)
    assert translation._domain_accuracy(net, test_circles, test_squares) > 0.9
    assert list(translation.classify(net, [])) == []


def test_html_page_escapes_and_lists_every_row(tmp_path):
    rows = [[Image.new("RGB", (8, 8), c), Image.new("RGB", (8, 8))] for c in ("red", "blue", "green")]
    path = translation.write_html(tmp_path, "a <title>", ["input", "my output"], rows)
    text = path.read_text()
    assert "a &lt;title&gt;" in text and text.count("<tr>") == 4
    assert (tmp_path / "web" / "images" / "002_my_output.jpg").is_file()
    assert translation.write_html(None, "x", ["a"], rows) is None
