"""app_support: the model cache, settings, input normalisation, digits, pictures and the facade palette."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from app_support import facades, media
from app_support.inputs import MIN_SIDE, digit_from_drawing, editor_image, load_input, to_8bit
from app_support.models import ModelCache
from app_support.settings import Settings, SettingsError, default_host
from zoo.errors import InputError


# ------------------------------------------------------------------------------------------------ model cache
def test_cache_loads_a_model_once_when_requests_arrive_together():
    cache, calls = ModelCache(max_models=2), []
    start = threading.Barrier(8)

    def slow_load():
        calls.append(1)
        time.sleep(0.2)
        return object()

    results = []

    def request():
        start.wait()
        results.append(cache.get("vae-mnist", slow_load))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(result is results[0] for result in results)
    assert cache.loads["vae-mnist"] == 1


def test_cache_loads_different_models_in_parallel():
    """The lock is per model: two different models must be loading at the same moment."""
    cache = ModelCache(max_models=2)
    both_loading = threading.Barrier(2, timeout=5)

    def load(name):
        def loader():
            both_loading.wait()  # raises BrokenBarrierError if the loads were serialised
            return name

        return loader

    threads = [threading.Thread(target=cache.get, args=(name, load(name))) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(cache.keys()) == ["a", "b"]


def test_cache_evicts_the_least_recently_used_model():
    cache = ModelCache(max_models=2)
    for name in ("a", "b", "a", "c"):  # "a" was used after "b", so "b" goes
        cache.get(name, lambda name=name: name.upper())
    assert cache.keys() == ["a", "c"]
    assert "b" not in cache and len(cache) == 2
    cache.get("b", lambda: "B")
    assert cache.loads["b"] == 2 and cache.keys() == ["c", "b"]


def test_cache_failed_load_is_not_cached_and_reports_progress():
    cache, announced = ModelCache(max_models=1), []

    def broken():
        raise RuntimeError("corrupt")

    with pytest.raises(RuntimeError):
        cache.get("x", broken, on_load=lambda: announced.append("x"))
    assert "x" not in cache and announced == ["x"]
    assert cache.get("x", lambda: 42, on_load=lambda: announced.append("again")) == 42
    assert cache.get("x", lambda: 0, on_load=lambda: announced.append("never")) == 42
    assert announced == ["x", "again"]


def test_cache_is_sized_from_the_catalog_and_memory():
    from app_support.models import auto_max_models

    assert auto_max_models(published=22, available_bytes=16 * 2**30) == 22  # a Space's 16 GB: every model
    assert auto_max_models(published=22, available_bytes=2 * 2**30) == 5  # 1 GB of budget at 200 MB each
    assert auto_max_models(published=22, available_bytes=0) == 1
    assert auto_max_models() >= 1


def test_cache_bound_comes_from_the_environment(monkeypatch):
    assert Settings.from_env().max_models == 0  # 0: sized automatically
    monkeypatch.setenv("ZOO_APP_MAX_MODELS", "7")
    monkeypatch.setenv("ZOO_APP_MAX_PIXELS", "1_000_000")
    limits = Settings.from_env()
    assert (limits.max_models, limits.max_pixels) == (7, 1_000_000)
    for bad in ("lots", "-1"):
        monkeypatch.setenv("ZOO_APP_MAX_MODELS", bad)
        with pytest.raises(SettingsError, match="ZOO_APP_MAX_MODELS"):
            Settings.from_env()


def test_gradio_cache_is_swept(monkeypatch):
    from . import load_app

    monkeypatch.setenv("ZOO_APP_CACHE_HOURS", "3")
    assert load_app().build_demo().delete_cache == (600, 3 * 3600)


def test_host_is_local_unless_on_a_space(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert default_host() == "127.0.0.1"
    monkeypatch.setenv("SPACE_ID", "imagezoo/app")
    assert default_host() == "0.0.0.0"


def test_default_models_preload_on_a_space_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("ZOO_APP_PRELOAD", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert Settings.from_env().preload is False  # a developer's machine and the tests: load on first use
    monkeypatch.setenv("SPACE_ID", "imagezoo/app")
    assert Settings.from_env().preload is True  # the first visitor's click does not wait for the load
    monkeypatch.setenv("ZOO_APP_PRELOAD", "0")
    assert Settings.from_env().preload is False
    monkeypatch.delenv("SPACE_ID")
    monkeypatch.setenv("ZOO_APP_PRELOAD", "1")
    assert Settings.from_env().preload is True


# ------------------------------------------------------------------------------------------------ inputs
def png_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=params.pop("format", "PNG"), **params)
    return buffer.getvalue()


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    assert load_input(str(path), max_pixels=10**6).image.size == (20, 40)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("1", "L"), ("L", "L"), ("P", "RGB"), ("CMYK", "RGB"), ("RGBA", "RGB"), ("LA", "L"), ("I;16", "L"), ("F", "L")],
)
def test_every_mode_becomes_8bit_l_or_rgb(mode, expected):
    image = Image.new(mode, (16, 12))
    assert load_input(image, max_pixels=10**6).image.mode == expected


def test_16bit_png_keeps_its_range(tmp_path):
    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    prepared = load_input(str(path), max_pixels=10**6)
    values = np.asarray(prepared.image)
    assert prepared.image.mode == "L" and values.min() == 0 and values.max() >= 254
    assert any("8-bit" in notice for notice in prepared.notices)


def test_transparency_is_flattened_onto_white():
    image = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    prepared = load_input(image, max_pixels=10**6)
    assert prepared.image.getpixel((5, 5)) == (255, 255, 255)
    assert any("Transparent" in notice for notice in prepared.notices)


def test_large_inputs_are_downscaled_with_a_notice():
    prepared = load_input(Image.new("RGB", (400, 300)), max_pixels=30_000)
    assert prepared.image.width * prepared.image.height <= 30_000
    assert prepared.image.width / prepared.image.height == pytest.approx(4 / 3, rel=0.02)
    assert prepared.original_size == (400, 300)
    assert "downscaled to" in prepared.notices[0] and "400x300" in prepared.notices[0]


def test_animated_gif_uses_the_first_frame(tmp_path):
    frames = [Image.new("L", (20, 20), value) for value in (10, 200, 90)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    prepared = load_input(str(path), max_pixels=10**6)
    assert "3 frames" in prepared.notices[0]
    assert abs(int(np.asarray(prepared.image.convert("L")).mean()) - 10) <= 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"this is not an image", "not an image this can read \\(PNG, JPEG"),
        (png_bytes(Image.new("RGB", (64, 64)))[:60], "truncated or corrupt"),
        (None, "Upload an image first"),
    ],
)
def test_unusable_files_get_a_sentence(tmp_path, content, message):
    source = None
    if content is not None:
        source = tmp_path / "upload.png"
        source.write_bytes(content)
        source = str(source)
    with pytest.raises(InputError, match=message):
        load_input(source, max_pixels=10**6)


def test_tiny_and_huge_images_are_refused_with_their_size(tmp_path):
    with pytest.raises(InputError, match=f"only 1x1 pixels.*{MIN_SIDE}x{MIN_SIDE}"):
        load_input(Image.new("RGB", (1, 1)), max_pixels=10**6)
    huge = tmp_path / "huge.png"
    Image.new("1", (10000, 10000)).save(huge)  # 1-bit: a small file with a 100-megapixel header
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"10000x10000 pixels.*too large"):
        load_input(str(huge), max_pixels=10**6)
    assert time.perf_counter() - started < 2.0, "refused from the header, without decoding"


def test_to_8bit_does_not_touch_plain_images():
    image = Image.new("RGB", (4, 4), (1, 2, 3))
    assert to_8bit(image).getpixel((0, 0)) == (1, 2, 3)


# ------------------------------------------------------------------------------------------------ digits
def _drawn_digit(dark_on_light: bool) -> Image.Image:
    canvas = Image.new("L", (280, 280), 255 if dark_on_light else 0)
    from PIL import ImageDraw

    ImageDraw.Draw(canvas).line([(60, 40), (100, 240)], fill=0 if dark_on_light else 255, width=24)
    return canvas


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_drawn_digits_become_white_on_black_mnist_style(dark_on_light):
    digit = np.asarray(digit_from_drawing(_drawn_digit(dark_on_light)), dtype=np.float32)
    assert digit.shape == (28, 28)
    assert digit[0].max() < 30 and digit[-1].max() < 30, "background black, the stroke inside the 20x20 box"
    rows, cols = np.nonzero(digit > 64)
    assert rows.max() - rows.min() <= 20 and 11 <= np.average(rows, weights=digit[rows, cols]) <= 17
    assert 11 <= np.average(cols, weights=digit[rows, cols]) <= 17, "centred by mass"


def test_empty_drawing_is_an_input_error():
    with pytest.raises(InputError, match="empty"):
        digit_from_drawing(Image.new("L", (280, 280), 255))


def test_editor_value_gives_its_composite_or_background():
    background, composite = Image.new("L", (8, 8), 1), Image.new("L", (8, 8), 2)
    assert editor_image({"background": background, "layers": [], "composite": composite}) is composite
    assert editor_image({"background": background, "layers": [], "composite": None}) is background
    assert editor_image(None) is None


# ------------------------------------------------------------------------------------------------ pictures
def test_strip_grid_and_gif():
    frames = [Image.new("L", (28, 28), value) for value in range(0, 250, 50)]
    row = media.strip(frames, min_side=84, padding=2)
    assert row.size == (5 * 84 + 6 * 2, 84 + 2 * 2)
    assert media.grid(frames[:4], min_side=56).size == (2 * 56 + 3 * 2, 2 * 56 + 3 * 2)
    path = media.save_gif(frames, min_side=56)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == (56, 56)
        assert gif.n_frames == 8 and gif.info.get("loop") == 0  # forth and back, looping
    assert media.enlarge(Image.new("L", (300, 10)), 20).size == (600, 20)
    assert media.fit_within(Image.new("L", (400, 100)), 200).size == (200, 50)


# ------------------------------------------------------------------------------------------------ facades
def test_palette_has_twelve_distinct_labels():
    assert len(facades.FACADE_CLASSES) == 12
    assert [number for number, _, _ in facades.FACADE_CLASSES] == list(range(1, 13))
    assert len(set(facades.palette_hex())) == 12
    assert facades.palette_hex()[0] == "#0000de"


def test_generated_label_maps_use_only_palette_colours_and_snap_is_idempotent():
    labels = facades.facade_label_map(seed=3)
    colours = {tuple(c) for c in np.asarray(labels).reshape(-1, 3)}
    assert colours <= set(facades.COLOURS.values())
    assert {facades.COLOURS[name] for name in ("facade", "window", "background")} <= colours
    assert np.array_equal(np.asarray(facades.snap_to_palette(labels)), np.asarray(labels))
    assert facades.facade_label_map(seed=3).tobytes() == labels.tobytes()


def test_snap_maps_blended_stroke_edges_to_label_colours():
    blend = np.zeros((2, 2, 3), np.uint8)
    blend[:] = (250, 85, 8)  # near "molding"
    snapped = facades.snap_to_palette(Image.fromarray(blend))
    assert snapped.getpixel((0, 0)) == facades.COLOURS["molding"]


@pytest.mark.realdata
def test_palette_matches_the_facades_label_maps():
    from tests.support.shared_data import missing
    from zoo.data import DatasetError, dataset_dir

    try:
        facades_train = dataset_dir("facades/train")
    except DatasetError as error:
        missing(error)
    measured = facades.measure_palette(facades_train, limit=12)
    assert set(measured) >= {"background", "facade", "window", "door", "sill", "shop"}
    for name, rgb in measured.items():
        assert max(abs(a - b) for a, b in zip(rgb, facades.COLOURS[name], strict=True)) <= 6, name


def test_warm_up_imports_and_optionally_preloads(tiny_zoo, caplog):
    import logging

    from app_support import ui

    with caplog.at_level(logging.INFO, logger="zoo.app"):
        ui.warm_up(("denoise", "vae"), preload=False)
    assert not ui.MODELS.keys() and "models load on first use" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="zoo.app"):
        ui.warm_up(("denoise", "vae"), preload=True)
    cached = ui.MODELS.keys()  # a method of ModelCache, not a dict
    names = sorted(key[0] for key in cached)
    assert len(names) == 2 and "preloaded" in caplog.text and all(name in caplog.text for name in names)


def test_every_published_vae_has_encodings_stored_for_its_weights():
    """The scatter plot of a Space without datasets needs them; republishing a VAE makes its file stale: rerun
    ``PYTHONPATH=. python -m app_support.encodings``."""
    from app_support import encodings
    from zoo import registry

    for entry in registry.list_models("vae"):
        stored = encodings.load(entry)
        assert stored is not None, f"{entry.name}: run PYTHONPATH=. python -m app_support.encodings {entry.name}"
        z, labels, names = stored
        assert z.shape == (encodings.SCATTER_POINTS, 2) and len(labels) == len(z) and len(names) == 10
