"""The JPEG quantisation constraint (``zoo.quantization``): the tables Pillow writes, reading the quality back from
pixels, the projection, and the two cases where it must step aside."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from zoo import quantization as q
from zoo.degradations import jpeg

from .conftest import photo, real_denoiser


def textured(height: int, width: int, seed: int, channels: int = 3) -> np.ndarray:
    """A float photo in [0, 1] with fine grain (the constraint reads non-zero coefficients; smooth images have few)."""
    rng = np.random.default_rng(seed)
    base = photo(height, width, seed, channels).astype(np.float32) / 255.0
    texture = rng.normal(0, 0.06, base.shape).astype(np.float32)
    blurred = (texture + np.roll(texture, 1, 0) + np.roll(texture, 1, 1)) / 3  # a grain of 2-3 pixels
    return np.clip(base + blurred, 0.05, 0.95)


@pytest.mark.parametrize("quality", [10, 20, 50, 75])
def test_ijg_tables_are_the_ones_pillow_writes(quality):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 140, 200)).save(buffer, format="JPEG", quality=quality)
    stored = Image.open(io.BytesIO(buffer.getvalue())).quantization
    for index, chroma in ((0, False), (1, True)):  # compared as sorted values: Pillow's order is not the natural one
        np.testing.assert_array_equal(np.sort(q.ijg_table(quality, chroma).ravel()), np.sort(stored[index]))


def test_block_dct_is_orthonormal_and_inverts():
    plane = np.random.default_rng(0).uniform(0, 255, (24, 40)).astype(np.float32)
    coefficients = q.block_dct(plane)
    assert coefficients.shape == (3, 5, 8, 8)
    np.testing.assert_allclose(q.block_idct(coefficients), plane, atol=1e-3)
    np.testing.assert_allclose((coefficients**2).sum(), (plane**2).sum(), rtol=1e-5)  # energy kept
    np.testing.assert_allclose(coefficients[0, 0, 0, 0], plane[:8, :8].mean() * 8, rtol=1e-5)  # JPEG's DC: 8 x mean


@pytest.mark.parametrize("quality", [10, 20, 35, 50, 75])
def test_the_quality_is_read_back_from_pixels(quality):
    decoded = jpeg(textured(160, 200, seed=quality), quality) * 255.0
    assert q.estimate_quality(np.round(decoded))[0] == quality
    gray = jpeg(textured(160, 200, seed=quality, channels=1)[..., None], quality) * 255.0
    assert q.estimate_quality(np.round(gray))[0] == quality == q.estimate_quality(np.round(gray[..., 0]))[0]


def test_a_cropped_jpeg_is_read_on_its_grid():
    decoded = np.round(jpeg(textured(160, 200, seed=1), 20) * 255.0)[3:, 5:]
    assert q.estimate_quality(decoded, offset=(5, 3))[0] == 20
    assert q.estimate_quality(decoded, offset=(0, 0))[0] is None  # off the grid, nothing sits on a table's multiples


@pytest.mark.parametrize("tables", ["web_medium", "medium", "flat"])
def test_a_jpeg_with_other_tables_than_the_ijg_ones_is_not_read_as_one(tables):
    """Photoshop-style presets and camera tables are not IJG ones: cells read from the nearest IJG table would be
    wrong (up to 0.8 dB lost on kodak24 photos), so the constraint must not act on them."""
    image = np.round(textured(160, 200, seed=8) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    options = {"qtables": [[24] * 64, [24] * 64]} if tables == "flat" else {"quality": tables}
    Image.fromarray(image).save(buffer, format="JPEG", **options)
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())), dtype=np.float32)
    quality, score = q.estimate_quality(decoded)
    assert quality is None and score < q.MIN_SCORE, (quality, score)
    output = blur(decoded / 255.0)
    assert q.jpeg_constraint(output, decoded / 255.0)[0] is output


def test_an_image_that_was_never_a_jpeg_has_no_quality():
    noisy = textured(160, 200, seed=2) + np.random.default_rng(2).normal(0, 0.04, (160, 200, 3))
    quality, score = q.estimate_quality(np.round(np.clip(noisy, 0, 1) * 255.0))
    assert quality is None and score < q.MIN_SCORE
    assert q.estimate_quality(np.full((64, 64), 128.0))[0] is None  # flat: no coefficient to read


def blur(image: np.ndarray) -> np.ndarray:
    """A crude denoiser: the 3x3 mean (over-smooths, so it leaves some coefficients outside their cells)."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    return sum(padded[i : i + image.shape[0], j : j + image.shape[1]] for i in range(3) for j in range(3)) / 9


def test_the_projection_puts_every_luminance_coefficient_in_its_cell_and_comes_closer():
    clean = textured(128, 160, seed=3, channels=1)
    decoded = jpeg(clean[..., None], 20)[..., 0]
    smoothed = blur(decoded[..., None])[..., 0]
    fixed, note = q.jpeg_constraint(smoothed, decoded, slack=1.0)
    assert "quality 20" in note and fixed.shape == smoothed.shape and fixed.dtype == smoothed.dtype
    table = q.ijg_table(20)
    cells = np.round(q.block_dct(np.round(decoded * 255) - 128) / table) * table
    assert (np.abs(q.block_dct(smoothed * 255 - 128) - cells) > 0.5 * table + 1e-3).any()  # the blur left some ...
    inside = np.abs(q.block_dct(fixed * 255 - 128) - cells) <= 0.5 * table + 0.6  # ... now all in (0-1 clipping aside)
    assert inside.mean() > 0.999
    # the clean image is (nearly) in the constraint set, so projecting can only come closer to it
    assert np.abs(fixed - clean).mean() < np.abs(smoothed - clean).mean()
    narrowed, _ = q.jpeg_constraint(smoothed, decoded, slack=0.5)
    assert np.abs(q.block_dct(narrowed * 255 - 128) - cells).max() <= 0.25 * table.max() + 1.0


def test_colour_jpegs_get_chroma_too():
    clean = textured(128, 160, seed=4)
    decoded = jpeg(clean, 20)
    tinted = np.clip(decoded + np.float32([0.05, 0.0, -0.05]), 0, 1)  # a stand-in denoiser that tints the photo
    fixed, note = q.jpeg_constraint(tinted, decoded, slack=1.0)
    assert note.endswith("luminance and chroma kept in its cells") and fixed.shape == clean.shape
    luma_only, note = q.jpeg_constraint(tinted, decoded, slack=1.0, chroma_slack=0)
    assert note.endswith("luminance kept in its cells")

    def error(image: np.ndarray) -> float:
        return float(np.square(image - clean).mean())

    assert error(fixed) < 0.7 * error(luma_only) and error(luma_only) <= error(tinted) * 1.01  # the tint is chroma
    _, note = q.jpeg_constraint(tinted[16:, 16:], decoded[16:, 16:], slack=1.0)  # cropped by whole 16-pixel groups
    assert note.endswith("luminance and chroma kept in its cells")
    for rows, cols, offset in ((8, 0, (0, 0)), (0, 8, (0, 0)), (4, 0, (4, 0))):  # off the 16-pixel chroma grid
        _, note = q.jpeg_constraint(tinted[rows:, cols:], decoded[rows:, cols:], offset=offset)
        assert note.endswith("luminance kept in its cells"), (rows, cols)
    _, note = q.jpeg_constraint(tinted, jpeg_444(clean, 20))  # chroma stored at full size: not read as 4:2:0
    assert note.endswith("luminance kept in its cells")


def jpeg_444(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, format="JPEG", quality=quality, subsampling=0)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())), dtype=np.float32) / 255.0


def test_it_steps_aside_for_a_photo_that_was_no_jpeg_or_a_noisy_one():
    clean = textured(128, 160, seed=5)
    noisy = np.clip(clean + np.random.default_rng(5).normal(0, 15 / 255, clean.shape), 0, 1).astype(np.float32)
    fixed, note = q.jpeg_constraint(clean, noisy)  # no JPEG: nothing to keep
    assert fixed is clean and note == "no JPEG blocks found"
    noisy_jpeg = jpeg(noisy, 50)  # the JPEG of a noisy photo: its cells hold the noise a denoiser removes
    fixed, note = q.jpeg_constraint(clean, noisy_jpeg)
    assert fixed is clean and "noisy photo" in note


def test_denoise_real_applies_it_when_its_options_say_so(monkeypatch):
    import zoo.quantization

    pipe = real_denoiser()
    array = jpeg(textured(64, 80, seed=6), 20)
    calls = []
    original = zoo.quantization.jpeg_constraint
    monkeypatch.setattr(zoo.quantization, "jpeg_constraint", lambda *a, **k: calls.append(k) or original(*a, **k))
    plain = pipe.denoise_array(array, 10.0)
    assert calls == []
    pipe.options["jpeg_constraint"] = {"slack": 0.6}
    fixed = pipe.denoise_array(array, 10.0)
    assert calls == [{"slack": 0.6}]
    np.testing.assert_array_equal(fixed, original(plain, array, (0, 0), slack=0.6)[0])
    assert "JPEG input" in pipe.blind_description() and "0.6" in pipe.blind_description()
