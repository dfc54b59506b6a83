"""The restoration pipelines' contracts (docs/CATALOG.md): sizes and modes, padding and tiling, the noise level, and bad
inputs (1x1, 16-bit, palette, RGBA, CMYK, EXIF-rotated JPEG) through every pipeline: a correct result or InputError."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from zoo.errors import InputError
from zoo.metrics import psnr
from zoo.noise import add_gaussian_noise
from zoo.pipelines.restoration import estimate_noise_level

from .conftest import colour_denoiser, colouriser, drunet_denoiser, gray_denoiser, photo, super_resolver


def sample(mode: str, size: tuple[int, int] = (53, 37)) -> Image.Image:
    """An image of ``mode`` and ``size`` (width, height) with photo-like content."""
    width, height = size
    rgb = Image.fromarray(photo(height, width, seed=1))
    if mode == "I;16":
        return Image.fromarray(photo(height, width, seed=1, channels=1).astype(np.uint16) * 257)
    if mode == "P":
        return rgb.quantize(16)
    if mode == "P+transparency":
        palette = rgb.quantize(16)
        palette.info["transparency"] = 0
        return palette
    if mode in ("RGBA", "LA"):
        image = rgb.convert(mode[:-1])
        image.putalpha(Image.fromarray(photo(height, width, seed=2, channels=1)))
        return image
    return rgb.convert(mode)


# (input mode, mode a denoiser / super-resolver returns)
MODES = [
    ("L", "L"),
    ("RGB", "RGB"),
    ("LA", "LA"),
    ("RGBA", "RGBA"),
    ("P", "RGB"),
    ("P+transparency", "RGBA"),
    ("I;16", "L"),
    ("CMYK", "RGB"),
]


@pytest.mark.parametrize("make", [gray_denoiser, colour_denoiser], ids=["gray-model", "colour-model"])
@pytest.mark.parametrize(("mode", "expected"), MODES)
def test_denoise_keeps_size_and_mode_family(make, mode, expected):
    image = sample(mode)
    out = make()(image, sigma=20)
    assert out.size == image.size and out.mode == expected


@pytest.mark.parametrize(("mode", "expected"), MODES)
@pytest.mark.parametrize("scale", [2, 4])
def test_superres_is_exactly_scale_times(mode, expected, scale):
    image = sample(mode, (13, 9))
    out = super_resolver(scale)(image)
    assert out.size == (13 * scale, 9 * scale) and out.mode == expected


@pytest.mark.parametrize("mode", [m for m, _ in MODES])
def test_colorize_returns_rgb_at_full_resolution(mode):
    image = sample(mode, (301, 37))
    out = colouriser()(image)
    assert out.size == image.size
    assert out.mode == ("RGBA" if mode in ("LA", "RGBA", "P+transparency") else "RGB")


def test_alpha_is_kept_and_reattached():
    image = sample("RGBA")
    alpha = np.asarray(image.getchannel("A"))
    assert np.array_equal(np.asarray(gray_denoiser()(image, sigma=10).getchannel("A")), alpha)
    assert np.array_equal(np.asarray(colour_denoiser()(image, sigma=10).getchannel("A")), alpha)
    assert np.array_equal(np.asarray(colouriser()(image).getchannel("A")), alpha)
    upscaled = super_resolver(2)(image).getchannel("A")
    assert upscaled.size == (2 * image.width, 2 * image.height)
    assert np.abs(np.asarray(upscaled.resize(image.size, Image.BICUBIC), dtype=float) - alpha).mean() < 8


@pytest.mark.parametrize(
    ("run", "expected_size"),
    [
        (lambda image: gray_denoiser()(image, sigma=5), (1, 1)),
        (lambda image: colour_denoiser()(image, sigma=5), (1, 1)),
        (lambda image: super_resolver(4)(image), (4, 4)),
        (lambda image: colouriser()(image), (1, 1)),
    ],
    ids=["gray-denoise", "colour-denoise", "superres-x4", "colorize"],
)
def test_one_pixel_images(run, expected_size):
    for mode in ("L", "RGB"):
        assert run(Image.new(mode, (1, 1), 128)).size == expected_size


def test_blind_mode_refuses_tiny_images_with_a_clear_error():
    with pytest.raises(InputError, match=r"too small to estimate its noise level.*pass sigma="):
        gray_denoiser()(Image.new("L", (20, 20), 128))


def exif_rotated_jpeg() -> tuple[bytes, Image.Image]:
    """A 64x40 JPEG stored sideways with EXIF orientation 6 (displayed 40x64), and the upright image it shows."""
    stored = Image.fromarray(photo(40, 64, seed=3))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))
    return buffer.getvalue(), upright


@pytest.mark.parametrize(
    "run",
    [
        lambda image: gray_denoiser()(image, sigma=15),
        lambda image: colour_denoiser()(image, sigma=15),
        lambda image: super_resolver(2)(image),
        lambda image: colouriser()(image),
    ],
    ids=["gray-denoise", "colour-denoise", "superres", "colorize"],
)
def test_exif_rotated_jpeg_is_processed_upright(run):
    data, upright = exif_rotated_jpeg()
    assert upright.size == (40, 64)
    out = run(data)
    expected = run(upright)
    assert out.size == expected.size and out.size[0] < out.size[1]
    assert np.array_equal(np.asarray(out), np.asarray(expected))


@pytest.mark.parametrize("bad", [-1, 256, float("nan"), "loud"])
def test_sigma_out_of_range_is_an_input_error(bad):
    with pytest.raises(InputError, match="sigma"):
        gray_denoiser()(sample("L"), sigma=bad)


def test_sigma_above_the_trained_range_is_refused():
    pipe, image = gray_denoiser(), sample("L")
    with pytest.raises(InputError, match=r"between 0 and 75 .* got 200"):
        pipe(image, sigma=200)
    assert pipe(image, sigma=75).size == image.size  # the top of the range is fine


def test_noise_level_estimate_and_blind_mode():
    clean = photo(128, 128, seed=4, channels=1).astype(np.float32) / 255
    noisy = add_gaussian_noise(clean, 25, seed=0)
    assert abs(estimate_noise_level(noisy) - 25) < 2.0
    assert estimate_noise_level(noisy, max_sigma=10) == 10
    pipe = gray_denoiser()
    level = estimate_noise_level(noisy, pipe.max_sigma)
    blind = pipe.denoise_array(noisy, None)
    assert np.array_equal(blind, pipe.denoise_array(noisy, level))
    assert not np.array_equal(blind, pipe.denoise_array(noisy, 0.0))  # the estimate is actually used


def whole_and_tiled(pipe, run, tile: int, margin: int | None = None):
    whole = run(pipe)
    pipe.options.update(tile=tile, **({} if margin is None else {"margin": margin}))
    return whole, run(pipe)


@pytest.mark.parametrize(("channels", "arch"), [(1, "ffdnet"), (3, "ffdnet"), (1, "drunet"), (3, "drunet")])
def test_denoise_tiling_matches_whole_image(channels, arch):
    if arch == "drunet":  # widths 4-8-16: multiple 4, receptive radius 25
        pipe = drunet_denoiser(channels)
    else:
        pipe = gray_denoiser(num_layers=12) if channels == 1 else colour_denoiser(num_layers=12)
    clean = photo(131, 151, seed=5, channels=channels).astype(np.float32) / 255  # odd sizes: padded to the grid
    noisy = add_gaussian_noise(clean, 25, seed=0)
    whole, tiled = whole_and_tiled(pipe, lambda p: p.denoise_array(noisy, 25), tile=40)
    assert whole.shape == tiled.shape == clean.shape
    assert abs(psnr(clean, whole, 1.0) - psnr(clean, tiled, 1.0)) < 0.05
    assert np.abs(whole - tiled).max() < 1e-4  # not just the same score: the same image


def test_superres_tiling_matches_whole_image():
    pipe = super_resolver(scale=2, num_blocks=2)
    low = photo(45, 70, seed=6).astype(np.float32) / 255
    whole, tiled = whole_and_tiled(pipe, lambda p: p.upscale_array(low), tile=16)
    assert whole.shape == tiled.shape == (90, 140, 3)
    assert np.abs(whole - tiled).max() < 1e-4


@pytest.mark.parametrize("margin", [0, 12])
def test_tiling_with_too_little_context_is_detected(margin):
    """The checks above can fail: with less context than the receptive field (25 pixels) the tiles differ."""
    pipe = gray_denoiser(num_layers=12)
    noisy = add_gaussian_noise(photo(131, 151, seed=5, channels=1).astype(np.float32) / 255, 25, seed=0)
    whole, tiled = whole_and_tiled(pipe, lambda p: p.denoise_array(noisy, 25), tile=40, margin=margin)
    assert np.abs(whole - tiled).max() > 1e-2


def test_drunet_tiling_with_too_little_context_is_detected():
    pipe = drunet_denoiser(1)
    noisy = add_gaussian_noise(photo(131, 151, seed=5, channels=1).astype(np.float32) / 255, 25, seed=0)
    margin = pipe.models["model"].receptive_radius - 4
    whole, tiled = whole_and_tiled(pipe, lambda p: p.denoise_array(noisy, 25), tile=40, margin=margin)
    assert np.abs(whole - tiled).max() > 1e-3


def test_colorize_keeps_the_input_lightness():
    pipe = colouriser()
    net = pipe.models["model"]
    with torch.no_grad():  # a net that predicts no colour: the output must be the input gray, unchanged
        for parameter in net.unet.up[0].parameters():
            parameter.zero_()
    gray = Image.fromarray(photo(70, 90, seed=7, channels=1))
    out = np.asarray(pipe(gray), dtype=int)
    assert np.abs(out - np.asarray(gray, dtype=int)[..., None]).max() <= 1


def test_digit_denoiser_path_still_works():
    from zoo.nets import ConvAutoencoder
    from zoo.pipelines import DenoisePipeline

    pipe = DenoisePipeline({"model": ConvAutoencoder()}, {"channels": 1, "image_size": 28})
    out = pipe(Image.new("L", (40, 30), 0))
    assert out.size == (40, 30) and out.mode == "L"


def test_folded_batch_norm_computes_the_same_function():
    from zoo.pipelines.restoration import fold_batch_norm

    net = gray_denoiser(num_layers=5).models["model"]
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):  # trained-looking statistics
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.1, 0.1)
    folded = fold_batch_norm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # the pipeline's own net is untouched
    x = torch.rand(2, 1, 24, 30)
    with torch.no_grad():
        torch.testing.assert_close(folded(x, 0.1), net(x, 0.1), atol=1e-5, rtol=1e-5)
