"""The 28x28 pipelines: shapes and value ranges, seeded determinism, the autoencoder round trip, odd inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.errors import InputError
from zoo.metrics import psnr

from .conftest import DIGITS, tiny_digits


def _arrays(images: list[Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(image) for image in images])


def odd_inputs() -> dict[str, Image.Image]:
    rng = np.random.default_rng(5)
    return {
        "L 28x28": Image.fromarray(tiny_digits(1, 0)[0][0]),
        "RGB 100x60": Image.fromarray(rng.integers(0, 256, (60, 100, 3), dtype=np.uint8)),
        "RGBA 7x9": Image.fromarray(rng.integers(0, 256, (9, 7, 4), dtype=np.uint8)),
        "1-bit 40x40": Image.new("1", (40, 40), 1),
    }


# ----------------------------------------------------------------------------------------------------- autoencoder
@pytest.mark.parametrize("key", ["ae-dense", "ae-conv"])
def test_autoencoder_shapes_ranges_and_decode_determinism(pipes, key):
    pipe = pipes[key]
    images = list(tiny_digits(3, 0)[0])
    codes = pipe.encode(images)
    assert codes.shape == (3, *pipe.code_shape) and np.isfinite(codes).all()
    decoded = pipe.decode(codes)
    assert [(im.mode, im.size) for im in decoded] == [("L", (28, 28))] * 3
    assert np.array_equal(_arrays(decoded), _arrays(pipe.decode(codes)))  # same codes, same images
    assert np.array_equal(_arrays(pipe.decode(codes[0])), _arrays(decoded[:1]))  # one code without a batch axis
    assert np.array_equal(_arrays(pipe.reconstruct(images)), _arrays(decoded))


@pytest.mark.parametrize("key", ["ae-dense", "ae-conv"])
def test_autoencoder_refuses_bad_codes_with_input_errors(pipes, key):
    pipe = pipes[key]
    good = pipe.encode([tiny_digits(1, 0)[0][0]])
    for bad in (good[..., :-1], np.full_like(good, np.nan), [["a"]], np.zeros((2000, *pipe.code_shape))):
        with pytest.raises(InputError):
            pipe.decode(bad)


@pytest.mark.slow
def test_trained_autoencoder_round_trip_beats_noise():
    """A few hundred steps on the tiny digits: reconstructions are far closer than noise or an untrained net."""
    from zoo.nets import DenseAutoencoder
    from zoo.pipelines import AutoencoderPipeline

    images, _ = tiny_digits(80, 0)
    x = torch.from_numpy(images).float().div(255)[:, None]
    torch.manual_seed(0)
    net = DenseAutoencoder(code_size=16, hidden_sizes=[64])
    untrained = AutoencoderPipeline({"model": DenseAutoencoder(code_size=16, hidden_sizes=[64])})
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(300):
        loss = torch.nn.functional.binary_cross_entropy(net(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    pipe = AutoencoderPipeline({"model": net})
    test, _ = tiny_digits(20, 1)  # unseen images of the same kind
    trained = np.mean([psnr(a, b) for a, b in zip(test, _arrays(pipe.reconstruct(list(test))), strict=True)])
    noise = np.random.default_rng(0).integers(0, 256, test.shape)
    noise_psnr = np.mean([psnr(a, b) for a, b in zip(test, noise, strict=True)])
    before = np.mean([psnr(a, b) for a, b in zip(test, _arrays(untrained.reconstruct(list(test))), strict=True)])
    assert trained > noise_psnr + 10 and trained > before + 10, (trained, noise_psnr, before)


# ---------------------------------------------------------------------------------------------------------- GANs
@pytest.mark.parametrize("key", ["gan", "cgan", "gan-fashion"])
def test_gan_samples_are_seeded_28x28_gray(pipes, key):
    pipe = pipes[key]
    first = pipe.sample(4, seed=3)
    assert [(im.mode, im.size) for im in first] == [("L", (28, 28))] * 4
    assert np.array_equal(_arrays(first), _arrays(pipe.sample(4, seed=3)))
    assert not np.array_equal(_arrays(first), _arrays(pipe.sample(4, seed=4)))
    walk = pipe.interpolate(1, 2, steps=5)
    assert len(walk) == 5 and np.array_equal(_arrays(walk[:1]), _arrays(pipe.interpolate(1, 9, steps=3)[:1]))


def test_conditional_gan_labels_by_index_and_name(pipes):
    cgan, fashion, gan = pipes["cgan"], pipes["gan-fashion"], pipes["gan"]
    assert cgan.labels == DIGITS and gan.labels == []
    assert np.array_equal(_arrays(cgan.sample(3, seed=0, label=7)), _arrays(cgan.sample(3, seed=0, label="7")))
    assert not np.array_equal(_arrays(cgan.sample(3, seed=0, label=7)), _arrays(cgan.sample(3, seed=0, label=1)))
    assert np.array_equal(_arrays(fashion.sample(2, label="Sneaker")), _arrays(fashion.sample(2, label=7)))
    for bad in (10, "Sneakers", -1):
        with pytest.raises(InputError):
            fashion.sample(2, label=bad)
    with pytest.raises(InputError, match="unconditional"):
        gan.sample(2, label=3)


def test_sign_gan_samples_are_seeded_32x32_colour_by_class_name(pipes):
    pipe = pipes["gan-signs"]
    assert pipe.labels == ["speed limit 30", "speed limit 100", "stop", "no trucks"]
    stops = pipe.sample(3, seed=2, label="stop")
    assert [(im.mode, im.size) for im in stops] == [("RGB", (32, 32))] * 3
    assert np.array_equal(_arrays(stops), _arrays(pipe.sample(3, seed=2, label=2)))
    assert not np.array_equal(_arrays(stops), _arrays(pipe.sample(3, seed=2, label="no trucks")))
    assert pipe.training_curves is None  # built in memory, not loaded from a checkpoint folder


def test_sign_classifier_takes_any_mode_as_colour(pipes):
    pipe = pipes["classifier-signs"]
    for image in odd_inputs().values():
        probabilities = pipe.probabilities([image])
        assert probabilities.shape == (1, 4) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)
    gray = Image.fromarray(tiny_digits(1, 0)[0][0])
    as_rgb = pipe.probabilities([gray.convert("RGB")])
    np.testing.assert_allclose(pipe.probabilities([gray]), as_rgb, atol=1e-6)  # gray inputs are read as RGB


def test_toy_gan_points_and_plot(pipes):
    pipe = pipes["toy"]
    points = pipe.sample_points(50, seed=1)
    assert points.shape == (50, 2) and np.isfinite(points).all()
    assert np.array_equal(points, pipe.sample_points(50, seed=1))
    assert not np.array_equal(points, pipe.sample_points(50, seed=2))
    (plot,) = pipe.sample(100, seed=0)
    assert plot.mode == "RGB" and plot.size == (320, 320)


# ---------------------------------------------------------------------------------------- denoise, SR, classifier
@pytest.mark.parametrize("name", list(odd_inputs()))
def test_every_image_pipeline_takes_odd_inputs(pipes, name):
    image = odd_inputs()[name]
    for key in ("ae-dense", "ae-conv"):
        assert pipes[key](image).size == (28, 28)
        assert pipes[key].encode(image).shape == (1, *pipes[key].code_shape)
    denoised = pipes["denoise"](image)
    assert denoised.size == image.size  # resized to 28x28 for the net and back
    upscaled = pipes["superres"](image)
    assert upscaled.size == (2 * image.width, 2 * image.height)
    probabilities = pipes["classifier"].probabilities([image])
    assert probabilities.shape == (1, 10) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)
    assert 0 <= pipes["classifier"].predict([image])[0] < 10


def test_classifier_features_and_predictions_agree(pipes):
    pipe = pipes["classifier"]
    x = torch.from_numpy(tiny_digits(6, 2)[0]).float().div(255)[:, None]
    features, predictions = pipe.features_and_predictions(x)
    assert features.shape == (6, pipe.models["model"].feature_dim)
    np.testing.assert_allclose(features, pipe.features(x), rtol=1e-5, atol=1e-6)
    assert np.array_equal(predictions, pipe.predict(x))


def test_denoise_and_superres_outputs_are_deterministic_and_in_range(pipes):
    image = Image.fromarray(tiny_digits(1, 3)[0][0])
    for key in ("denoise", "superres"):
        out = np.asarray(pipes[key](image))
        assert out.dtype == np.uint8 and np.array_equal(out, np.asarray(pipes[key](image)))


def test_vae_encode_test_set_gives_the_scatter_data(pipes, data_dir):
    pipe = pipes["vae"]
    calls = []
    codes, labels, names = pipe.encode_test_set(25, data_dir=str(data_dir), progress=lambda *a: calls.append(a))
    assert codes.shape == (25, 2) and labels.shape == (25,) and names[3] == "3"
    first_images = [Image.fromarray(image) for image in tiny_digits(25, 1)[0]]  # the t10k split of the fixture
    np.testing.assert_allclose(codes, pipe.encode(first_images), atol=1e-6)
    np.testing.assert_array_equal(labels, tiny_digits(25, 1)[1])
    assert calls and calls[0][0] == 0.0
    with pytest.raises(InputError, match="limit"):
        pipe.encode_test_set(0, data_dir=str(data_dir))
