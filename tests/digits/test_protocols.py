"""The 28x28 evaluation protocols on tiny data: the record keys a card gets, baselines measured the same way,
numbers that follow from their definitions, and GAN metrics skipped (never invented) without the evaluator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from zoo.metrics import psnr
from zoo.protocols import digits, evaluate

from .conftest import TEST, TRAIN


def keys(records) -> set[tuple[str, str, str | None]]:
    return {(r.method, r.metric, r.config) for r in records}


def check_finite(records) -> None:
    assert records and all(math.isfinite(r.value) for r in records), records
    for r in records:
        if "accuracy" in r.metric or r.metric in ("SSIM", "x coverage", "in range"):
            assert -1.0 <= r.value <= 1.0, r


class FakePipe:
    """A stand-in pipeline with a known output, to check what a protocol computes."""

    def __init__(self, fn, **options):
        self.fn, self.options, self.scale, self.name = fn, {"dataset": "mnist", **options}, 2, "fake"

    def __call__(self, image, prepare=True):  # the digit pipelines take prepare= (protocol inputs: False)
        return self.fn(image)


def test_autoencoder_protocol_keys_and_figure(pipes, data_dir, tmp_path):
    records, notes, figures = evaluate(pipes["ae-dense"], str(data_dir), folder=tmp_path)
    assert keys(records) == {
        ("this model", "BCE per pixel", None), ("this model", "PSNR", None), ("this model", "kNN accuracy", None),
        ("PCA, 8 components", "BCE per pixel", None), ("PCA, 8 components", "PSNR", None),
        ("raw pixels (784)", "kNN accuracy", None),
    }  # fmt: skip
    check_finite(records)
    assert f"{TEST} mnist test images" in notes and f"all {TRAIN} training images" in notes
    raw = next(r.value for r in records if r.method == "raw pixels (784)")
    assert raw == 1.0  # the tiny classes are the bars' positions: trivially separable in pixel space
    assert [f["path"] for f in figures] == ["images/reconstructions.png"] and (tmp_path / figures[0]["path"]).is_file()


def test_autoencoder_protocol_without_pca_for_large_codes(data_dir):
    from zoo.nets import ConvAutoencoder
    from zoo.pipelines import AutoencoderPipeline

    pipe = AutoencoderPipeline({"model": ConvAutoencoder(base_channels=16)}, options={"dataset": "mnist"})
    records, notes, _ = evaluate(pipe, str(data_dir), limit=10)  # code 16 x 7 x 7 = 784 numbers: no compression
    assert {r.method for r in records} == {"this model", "raw pixels (784)"}
    assert "PCA is left out" in notes and "10 mnist test images" in notes


def test_pca_baseline_is_exact_with_all_components():
    images = np.random.default_rng(0).integers(0, 256, (50, 4, 4)).astype(np.uint8)
    full = digits.pca_baseline(images, images[:5], 16).numpy()[:, 0]
    np.testing.assert_allclose(full * 255, images[:5], atol=1e-6)
    assert np.abs(digits.pca_baseline(images, images[:5], 1).numpy()[:, 0] * 255 - images[:5]).mean() > 10


def test_denoise_protocol_keys_and_identity_equals_noisy_row(pipes, data_dir, tmp_path):
    records, notes, figures = evaluate(pipes["denoise"], str(data_dir), folder=tmp_path)
    expected = {
        (method, metric, f"sigma={sigma:g}")
        for method in ("this model", "noisy input", "median 3x3")
        for metric in ("PSNR", "SSIM")
        for sigma in digits.DENOISE_SIGMAS
    }
    assert keys(records) == expected
    check_finite(records)
    assert f"seeded with {digits.SEED}" in notes and (tmp_path / figures[0]["path"]).is_file()
    identity, _, _ = digits.evaluate_denoise_digits(FakePipe(lambda image: image), str(data_dir))
    by_key = {(r.method, r.metric, r.config): r.value for r in identity}
    for sigma in digits.DENOISE_SIGMAS:
        config = f"sigma={sigma:g}"
        assert by_key[("this model", "PSNR", config)] == by_key[("noisy input", "PSNR", config)]
    # heavier noise, lower PSNR of the noisy input
    assert by_key[("noisy input", "PSNR", "sigma=0.3")] > by_key[("noisy input", "PSNR", "sigma=0.5")] + 2


def test_digit_noise_is_seeded_clipped_and_of_the_stated_strength():
    gray = np.full((200, 28, 28), 128, dtype=np.uint8)
    noisy = digits.add_digit_noise(gray, 0.1)
    assert np.array_equal(noisy, digits.add_digit_noise(gray, 0.1))
    assert abs((noisy.astype(float) - 128).std() / 255 - 0.1) < 0.005
    black = digits.add_digit_noise(np.zeros((10, 28, 28), np.uint8), 0.5)
    assert black.min() == 0 and (black == 0).mean() > 0.45  # clipped: about half the noise is cut off at 0


def test_superres_protocol_keys_and_bicubic_fake_equals_bicubic_row(pipes, data_dir, tmp_path):
    records, notes, figures = evaluate(pipes["superres"], str(data_dir), folder=tmp_path)
    assert keys(records) == {(m, k, "x2") for m in ("this model", "bicubic") for k in ("PSNR", "SSIM")}
    check_finite(records)
    bicubic = FakePipe(lambda image: image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC))
    fake, _, _ = digits.evaluate_superres_digits(bicubic, str(data_dir))
    values = {(r.method, r.metric): r.value for r in fake}
    assert values[("this model", "PSNR")] == values[("bicubic", "PSNR")]
    assert "2x2 average pooling" in notes and (tmp_path / "images" / "superres.png").is_file()
    assert [f["path"] for f in figures] == ["images/superres.png"]


def test_downscale_digits_is_block_average():
    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    low = digits.downscale_digits(images, 2)
    assert low.shape == (2, 2, 2) and low[0, 0, 0] == round((0 + 1 + 4 + 5) / 4)


@pytest.mark.parametrize("key", ["cgan", "gan"])
def test_gan_protocol_with_an_evaluator_folder(pipes, data_dir, classifier_folder, tmp_path, key):
    pipe = pipes[key]
    pipe.options["evaluator"] = str(classifier_folder)
    try:  # limit: as many samples as test images (the full protocol draws 10,000)
        records, notes, figures = evaluate(pipe, str(data_dir), limit=TEST, folder=tmp_path)
    finally:
        del pipe.options["evaluator"]
    last = ("this model", "label accuracy", None) if pipe.labels else ("this model", "classes covered", None)
    expected = {("this model", "classifier-FID", None), ("real training images", "classifier-FID", None), last}
    if pipe.labels:
        expected.add(("real test images", "label accuracy", None))
    assert keys(records) == expected
    check_finite(records)
    assert f"{TEST} samples" in notes and "ImageClassifier, width 4" in notes
    assert {f["path"] for f in figures} >= {"images/interpolations.png"}


def test_sign_gan_protocol_scores_1000_samples_per_class_against_the_whole_test_set(
    pipes, data_dir, signs_classifier_folder, tmp_path
):
    pipe = pipes["gan-signs"]
    pipe.options["evaluator"] = str(signs_classifier_folder)
    try:
        records, notes, figures = evaluate(pipe, str(data_dir), folder=tmp_path)
    finally:
        del pipe.options["evaluator"]
    assert keys(records) == {
        ("this model", "classifier-FID", None),
        ("real training images", "classifier-FID", None),
        ("this model", "label accuracy", None),
        ("real test images", "label accuracy", None),
    }
    check_finite(records)  # fmt: skip
    # 4 classes x 1,000 samples; the tiny folder's 12 test and 24 training signs, all of them
    assert "4000 samples" in notes and "1000 per class" in notes and "12 gtsrb4 test images" in notes
    assert "24 real training images" in notes
    grid = next(f for f in figures if f["path"] == "images/samples_by_label.png")
    assert "speed limit 30, speed limit 100, stop, no trucks" in grid["alt"]
    with Image.open(tmp_path / grid["path"]) as image:  # 4 rows of 10 samples, each drawn at 64x64
        assert image.mode == "RGB" and image.height > 4 * 64 and image.width > 10 * 64


def test_split_spreads_a_limit_over_a_set_stored_class_by_class(data_dir):
    signs = FakePipe(None, dataset="gtsrb4")
    images, labels = digits._split(signs, str(data_dir), 8)
    assert len(images) == 8 and set(labels.tolist()) == {0, 1, 2, 3}  # the first 8 would all be speed limit 30
    _, digit_labels = digits._split(FakePipe(None), str(data_dir), 12)
    assert list(digit_labels) == [k % 10 for k in range(12)]  # mnist: the first 12, as before


def test_gan_protocol_finds_the_published_evaluator_in_the_mirror(isolated_zoo, pipes, data_dir, classifier_folder):
    from zoo.hub import publish_to_mirror

    publish_to_mirror(classifier_folder, "imagezoo/classifier-mnist")
    records, notes, _ = evaluate(pipes["cgan"], str(data_dir), limit=20)
    assert "`classifier-mnist`" in notes and len(records) == 4


def test_gan_protocol_skips_classifier_metrics_when_the_evaluator_is_missing(isolated_zoo, pipes, data_dir):
    records, notes, figures = evaluate(pipes["gan-fashion"], str(data_dir), limit=20)
    assert records == []
    assert "skipped" in notes and "classifier-fashion" in notes and "not available" in notes
    assert figures == []  # no folder given


def test_generated_labels_cycle_over_the_whole_run(pipes):
    samples, requested = digits.generate_samples(pipes["cgan"], 25, chunk=12)  # chunks of 10: whole label cycles
    assert samples.shape == (25, 28, 28) and samples.dtype == np.uint8
    assert list(requested) == [k % 10 for k in range(25)]
    assert np.array_equal(samples, digits.generate_samples(pipes["cgan"], 25, chunk=12)[0])
    first = np.stack([np.asarray(im) for im in pipes["cgan"].sample(10, seed=digits.SEED)])
    assert np.array_equal(samples[:10], first)
    second = np.stack([np.asarray(im) for im in pipes["cgan"].sample(10, seed=digits.SEED + 1)])
    assert np.array_equal(samples[10:20], second)
    unconditional, labels = digits.generate_samples(pipes["gan"], 7, chunk=3)
    assert unconditional.shape == (7, 28, 28) and labels is None


def test_toy_protocol_keys_and_exact_points(pipes, tmp_path):
    records, notes, figures = evaluate(pipes["toy"], folder=tmp_path, limit=400)
    assert keys(records) == {(m, k, None) for m in ("this model", "real points", "uniform box")
                             for k in ("error", "x coverage", "in range")}  # fmt: skip
    values = {(r.method, r.metric): r.value for r in records}
    assert values[("real points", "error")] < 1e-6 and values[("real points", "x coverage")] == 1.0
    assert values[("uniform box", "error")] > 0.3
    assert digits.toy_stats(np.array([[0.0, 0.0], [np.nan, 1.0], [10.0, 0.0]]))["in range"] == pytest.approx(1 / 3)
    assert "400 points" in notes and [f["path"] for f in figures] == ["images/points.png"]


def test_classifier_protocol_keys(pipes, data_dir, tmp_path):
    records, notes, figures = evaluate(pipes["classifier"], str(data_dir), folder=tmp_path)
    assert keys(records) == {("this model", "accuracy", None), ("most frequent class", "accuracy", None)}
    check_finite(records)
    assert next(r.value for r in records if r.method == "most frequent class") == pytest.approx(0.1)
    assert "Per class:" in notes
    assert all((tmp_path / f["path"]).is_file() for f in figures)


def test_vae_protocol_still_works(pipes, data_dir, tmp_path):
    records, _, figures = evaluate(pipes["vae"], str(data_dir), folder=tmp_path)
    metrics = ("ELBO", "BCE", "KL", "PSNR")
    assert keys(records) == {(method, k, None) for method in ("this model", "mean training image") for k in metrics}
    by_method = {(r.method, r.metric): r.value for r in records}
    assert by_method[("mean training image", "KL")] == 0.0
    assert len(figures) == 3


def test_psnr_of_protocol_uses_uint8_outputs():
    """reconstruction_stats rounds outputs as the pipelines do: a 0.4/255 error vanishes, a 0.6/255 one does not."""
    import torch

    x = torch.full((1, 1, 28, 28), 100 / 255)
    assert digits.reconstruction_stats(x, x + 0.4 / 255)["PSNR"] == math.inf
    assert digits.reconstruction_stats(x, x + 0.6 / 255)["PSNR"] == pytest.approx(psnr(np.zeros(1), np.ones(1)))
