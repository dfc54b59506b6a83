"""Hostile and unusual inputs through every task pipeline: a correct output or a clear InputError, never a crash.

A corpus of hand-made files (truncated, empty, garbage, wrong extension, decompression bomb, 1x1, 1x5000, 16-bit,
float TIFF, palette, LA/RGBA/CMYK, EXIF orientations 1-8, animated) plus hypothesis-generated arrays.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from zoo.errors import InputError
from zoo.pipelines.images import open_image

CASES_TRIED: list[str] = []


def _png(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **params)
    return buffer.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (the body is a few bytes of zlib)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def corpus() -> dict[str, tuple[object, str]]:
    """name -> (input, expected: "ok" or "error")."""
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (40, 56, 3), dtype=np.uint8))
    good = _png(rgb)
    frames = [Image.new("RGB", (24, 24), c) for c in ("red", "green", "blue")]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    tiff = io.BytesIO()
    Image.fromarray(rng.random((20, 30)).astype(np.float32), mode="F").save(tiff, format="TIFF")
    cmyk = io.BytesIO()
    rgb.convert("CMYK").save(cmyk, format="JPEG")
    return {
        "zero-byte": (b"", "error"),
        "garbage": (b"this is not an image at all" * 10, "error"),
        "truncated png": (good[: len(good) // 2], "error"),
        "png bytes with .jpg name": (good, "ok"),
        "decompression bomb": (_bomb_png(30000, 30000), "error"),
        "1x1": (Image.new("RGB", (1, 1), "white"), "ok"),
        "1x5000": (Image.new("L", (1, 5000), 128), "ok"),
        "5000x1": (Image.new("L", (5000, 1), 128), "ok"),
        "16-bit gray": (Image.fromarray((rng.random((30, 30)) * 65535).astype(np.uint16)), "ok"),
        "float tiff": (tiff.getvalue(), "ok"),
        "palette": (rgb.convert("P"), "ok"),
        "palette with transparency": (_png(rgb.convert("P"), transparency=0), "ok"),
        "LA": (rgb.convert("LA"), "ok"),
        "RGBA": (rgb.convert("RGBA"), "ok"),
        "CMYK jpeg": (cmyk.getvalue(), "ok"),
        "1-bit": (rgb.convert("1"), "ok"),
        "animated gif": (gif.getvalue(), "ok"),
        "numpy float nan": (np.full((16, 16), np.nan, dtype=np.float32), "ok"),
        "numpy wrong shape": (np.zeros((4, 4, 7)), "error"),
        "not an image": (12345, "error"),
    }


def _run(pipe, task: str, source):
    if task in ("vae", "autoencoder"):
        return pipe.encode([source]) if task == "vae" else pipe.reconstruct([source])
    if task == "cyclegan":
        return pipe(source, direction="BtoA")
    if task.startswith("denoise"):
        return pipe(source, sigma=15)
    return pipe(source)


IMAGE_TASKS = ["denoise-gray", "denoise-color", "denoise-mnist", "superres", "colorize", "pix2pix", "cyclegan",
               "vae", "autoencoder"]  # fmt: skip


@pytest.mark.parametrize("task", IMAGE_TASKS)
def test_corpus_through_every_pipeline(tiny_pipelines, task):
    pipe = tiny_pipelines[task]
    for name, (source, expected) in corpus().items():
        if name in ("1x5000", "5000x1") and task in ("pix2pix", "cyclegan", "colorize"):
            pass  # resized to the working size: still must work
        CASES_TRIED.append(f"{task}:{name}")
        if expected == "error":
            with pytest.raises(InputError):
                _run(pipe, task, source)
            continue
        out = _run(pipe, task, source)
        if isinstance(out, Image.Image):
            assert out.width >= 1 and out.height >= 1, name
            assert np.isfinite(np.asarray(out, dtype=np.float32)).all(), name


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation):
    """An upright image stored sideways with an EXIF orientation tag comes back upright."""
    upright = Image.new("L", (48, 32), 0)
    upright.paste(255, (0, 0, 24, 16))  # bright top-left quarter
    inverse = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
               7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}[orientation]  # fmt: skip
    stored = upright if inverse is None else upright.transpose(inverse)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    restored = np.asarray(open_image(buffer.getvalue()), dtype=np.float32)
    assert restored.shape == (32, 48)
    assert restored[:16, :24].mean() > 200 and restored[16:, 24:].mean() < 50


def test_alpha_is_kept_through_restoration(tiny_pipelines):
    rgba = Image.new("RGBA", (32, 32), (200, 100, 50, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    for task in ("denoise-color", "superres", "colorize"):
        out = tiny_pipelines[task](rgba) if task != "denoise-color" else tiny_pipelines[task](rgba, sigma=10)
        assert out.mode == "RGBA", task
        assert out.getchannel("A").getpixel((0, 0)) == 0, task


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    height=st.integers(1, 70),
    width=st.integers(1, 70),
    channels=st.sampled_from([None, 1, 3, 4]),
    dtype=st.sampled_from(["uint8", "uint16", "float32", "float64"]),
    task=st.sampled_from(IMAGE_TASKS),
)
def test_random_arrays_never_crash(tiny_pipelines, height, width, channels, dtype, task):
    rng = np.random.default_rng(height * 1000 + width)
    shape = (height, width) if channels is None else (height, width, channels)
    array = rng.random(shape)
    array = (array * (255 if dtype == "uint8" else 65535 if dtype == "uint16" else 1)).astype(dtype)
    try:
        out = _run(tiny_pipelines[task], task, array)
    except InputError:
        return
    if isinstance(out, Image.Image):
        assert out.size[0] >= 1 and out.size[1] >= 1


def test_sigma_and_counts_are_validated(tiny_pipelines):
    image = Image.new("L", (16, 16), 100)
    for bad in (-1, 76, 250, 300, float("nan"), float("inf"), "loud"):  # the trained range is 0-75
        with pytest.raises(InputError):
            tiny_pipelines["denoise-gray"](image, sigma=bad)
    assert tiny_pipelines["denoise-gray"](image, sigma=75).size == (16, 16)
    gan, vae = tiny_pipelines["gan"], tiny_pipelines["vae"]
    for bad in (0, -3, 10**9, 2.5, "many"):
        with pytest.raises(InputError):
            gan.sample(bad)
    with pytest.raises(InputError):
        gan.sample(2, label=10)
    with pytest.raises(InputError):
        gan.sample(2, label="eleven")
    for z in ([[np.nan, 0.0]], [[np.inf, 1.0]], [[0.0, 0.0, 0.0]]):
        with pytest.raises(InputError):
            vae.decode(z)
    assert len(vae.decode([[1e30, -1e30]])) == 1  # any real z decodes
