"""The app's handlers called directly, on tiny checkpoints published into a temporary mirror."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from app_support.tabs import colorize, cyclegan, denoise, gan, pix2pix, super_resolution, vae

from . import APP_PATH, load_app

app = load_app()
EXAMPLES = APP_PATH.parent / "examples"
HOUSE = str(EXAMPLES / "denoise" / "house.png")


def assert_picture(image: Image.Image, size: tuple[int, int] | None = None, mode: str | None = None) -> None:
    """A real picture: the expected size and mode, and not one flat colour."""
    assert isinstance(image, Image.Image)
    if size is not None:
        assert image.size == size
    if mode is not None:
        assert image.mode == mode
    assert np.asarray(image, dtype=np.float32).std() > 1.0, "blank output"


def test_denoise_blind_fixed_and_with_synthetic_noise(tiny_zoo):
    (before, after), out, info = denoise.denoise("denoise-gray", str(EXAMPLES / "denoise" / "house_noisy_sigma25.png"))
    assert_picture(out, (256, 192), "RGB")
    assert before.size == after.size == out.size
    assert "Estimated noise level" in info
    _, out, info = denoise.denoise("denoise-gray", HOUSE, 30, False, True, 40)
    assert_picture(out, (256, 192), "RGB")
    assert "σ = 30" in info and "Added Gaussian noise σ = 40" in info and "PSNR" in info
    _, gray_out, _ = denoise.denoise("denoise-gray", str(EXAMPLES / "denoise" / "leaves_noisy_sigma35.png"), 35, False)
    assert gray_out.mode == "L"


def test_denoise_real_uses_its_learned_estimator(tiny_zoo):
    (_, out), _, info = denoise.denoise("denoise-real", str(EXAMPLES / "restore" / "parrots_jpeg_q15.jpg"))
    assert_picture(out, (500, 500), "RGB")
    assert "learned estimator" in info
    # no 32-pixel minimum for a learned estimator
    (_, small), _, info = denoise.denoise("denoise-real", Image.new("RGB", (20, 12), (90, 120, 40)))
    assert small.size == (20 * 22, 12 * 22), "a tiny result is shown enlarged (nearest neighbour)"
    assert "The result is 20x12 pixels: shown and saved enlarged x22" in info


def test_restore_chain_in_the_app(tiny_zoo):
    from app_support.tabs import restore

    (before, after), out, info = restore.restore(str(EXAMPLES / "restore" / "portrait_old_print.jpg"), 2, "auto")
    assert_picture(out, (1000, 1000), "RGB")
    assert before.size == after.size == out.size
    assert "denoise-real" in info and "colorize" in info and "superres-x2" in info
    # x4 has no published model in the tiny zoo: a sentence, not a traceback
    with pytest.raises(gr.Error, match="no published model for the restore step 'x4'"):
        restore.restore(HOUSE, 4, "never")
    with pytest.raises(gr.Error, match="Upload an image first"):
        restore.restore(None)
    assert "denoise / deblock: **denoise-real**" in restore.chain_notice()


def test_denoise_blind_needs_32_pixels(tiny_zoo):
    with pytest.raises(gr.Error, match="at least 32x32"):
        denoise.denoise("denoise-gray", str(EXAMPLES / "denoise" / "digit_7_noisy.png"), 25, True)
    _, out, info = denoise.denoise("denoise-gray", str(EXAMPLES / "denoise" / "digit_7_noisy.png"), 25, False)
    assert out.size == (280, 280) and "The result is 28x28 pixels: shown and saved enlarged x10" in info


def test_colorize_shows_gray_input_and_original(tiny_zoo):
    gray, out, original, info = colorize.colorize("colorize", str(EXAMPLES / "colorize" / "still_life.png"))
    assert gray.mode == "L" and original.mode == "RGB"
    assert_picture(out, (160, 160), "RGB")
    assert "desaturated" in info
    _, out, original, info = colorize.colorize("colorize", str(EXAMPLES / "colorize" / "house_gray.png"))
    assert original is None and out.mode == "RGB" and "Gray input" in info


def test_super_resolve_tiles_and_reports_size(tiny_zoo):
    reports = []

    def progress(value, desc=None, **_):
        reports.append((value, desc))

    out, bicubic, info = super_resolution.super_resolve(
        "superres-x2", str(EXAMPLES / "superres" / "house_small.png"), progress
    )
    assert_picture(out, (256, 192), "RGB")
    assert bicubic.size == out.size
    assert "128x96 → output **256x192** (x2)" in info
    tiles = [value for value, desc in reports if desc and "tile" in desc]
    assert len(tiles) > 1 and tiles == sorted(tiles), "the tiny model tiles at 64 px: several steps"
    assert tiles[-1] == pytest.approx(0.9), "the tiles fill the bar up to the sending step"
    assert any(desc and "Loading superres-x2" in desc for _, desc in reports), "first use announces the load"


def test_super_resolve_input_limit_downscales_with_notice(tiny_zoo, monkeypatch):
    monkeypatch.setenv("ZOO_APP_MAX_UPSCALE_PIXELS", "5000")
    with pytest.warns(UserWarning, match="downscaled"):
        out, _, info = super_resolution.super_resolve("superres-x2", str(EXAMPLES / "superres" / "house_small.png"))
    assert out.width * out.height <= 4 * 5000 and "downscaled" in info


def test_pix2pix_upload_and_painting(tiny_zoo):
    out, info = pix2pix.pix2pix("pix2pix-facades", str(EXAMPLES / "pix2pix" / "facade_labels_1.png"))
    assert_picture(out, (256, 256), "RGB")
    assert "256x256 in, 256x256 out" in info
    painting = np.asarray(Image.open(EXAMPLES / "pix2pix" / "facade_labels_2.png")).copy()
    painting[100:110, 100:140] = (250, 85, 8)  # an off-palette stroke
    value = {"background": None, "layers": [], "composite": Image.fromarray(painting)}
    labels, out, _ = pix2pix.pix2pix_painting("pix2pix-facades", value)
    assert labels.getpixel((120, 105)) == (255, 80, 0), "snapped to the molding colour"
    assert_picture(out, (256, 256), "RGB")


def test_cyclegan_round_trip(tiny_zoo):
    for direction in ("AtoB", "BtoA"):
        x, forward, back, info = cyclegan.cyclegan(
            "cyclegan-shapes", str(EXAMPLES / "cyclegan" / "circle.png"), direction
        )
        for image in (x, forward, back):
            assert_picture(image, (128, 128), "RGB")
        assert "cycle error" in info
    assert (
        "circles → squares → circles"
        in cyclegan.cyclegan("cyclegan-shapes", str(EXAMPLES / "cyclegan" / "circle.png"))[3]
    )


def test_cyclegan_directions_are_named_after_the_models_domains(tiny_zoo):
    assert cyclegan.directions("cyclegan-shapes") == [("circles → squares", "AtoB"), ("squares → circles", "BtoA")]
    # unknown names (the dropdown takes custom values) and models of other tasks: the generic labels, no error
    for name in ("no-such-model", "denoise-gray", None):
        assert cyclegan.directions(name) == [("A → B", "AtoB"), ("B → A", "BtoA")]


def test_vae_sliders_manifold_and_random(tiny_zoo):
    info, state, *sliders = vae.vae_model_info("vae-mnist")
    assert "Latent dimensions: 2" in info and state == [0.0, 0.0]
    assert [s["visible"] for s in sliders] == [True, True, False, False, False, False]
    first = vae.vae_decode("vae-mnist", state, -2.0, 1.0, 0, 0, 0, 0)
    second = vae.vae_decode("vae-mnist", state, 2.0, -1.0, 0, 0, 0, 0)
    assert first.size == (224, 224) and first.mode == "L"
    assert not np.array_equal(np.asarray(first), np.asarray(second)), "the sliders change the decoding"
    assert vae.vae_manifold("vae-mnist").size == (15 * 28 * 2, 15 * 28 * 2)
    info, state, *sliders = vae.vae_model_info("vae-fashion")
    assert "Latent dimensions: 8" in info and all(s["visible"] for s in sliders)
    image, z, *values = vae.vae_random("vae-fashion", 5)
    assert len(z) == 8 and [v["value"] for v in values] == pytest.approx(z[:6])
    assert all(repr(v["value"]) == repr(round(v["value"], 2)) for v in values)  # no 0.30000001 in the boxes
    assert np.array_equal(np.asarray(image), np.asarray(vae.vae_decode("vae-fashion", z, *z[:6])))


def test_vae_scatter_from_test_set_or_says_data_missing(tiny_zoo, tmp_path, monkeypatch):
    from zoo.data import write_idx

    mnist = tmp_path / "data" / "mnist"
    mnist.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(mnist / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (300, 28, 28), dtype=np.uint8))
    write_idx(mnist / "t10k-labels-idx1-ubyte.gz", (np.arange(300) % 10).astype(np.uint8))
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "data"))
    frame, info = vae.vae_scatter("vae-mnist")
    assert list(frame.columns) == ["z1", "z2", "class"] and len(frame) == 300
    assert set(frame["class"]) == {str(k) for k in range(10)} and np.isfinite(frame[["z1", "z2"]]).all().all()
    assert "300 mnist test images" in info
    with pytest.warns(UserWarning, match="not on this server"):
        frame, info = vae.vae_scatter("vae-fashion")  # no fashion-mnist in this data folder, no stored encodings
    assert len(frame) == 0 and "fashion-mnist test set is not on this server" in info
    assert str(tmp_path) not in info and "data-dir" not in info, "no server path in a visitor's message"


def test_vae_interpolation_from_drawings(tiny_zoo):
    sketch = {"background": None, "layers": [], "composite": Image.open(EXAMPLES / "vae" / "digit_8.png")}
    strip, gif, seen = vae.vae_interpolate("vae-mnist", str(EXAMPLES / "vae" / "digit_3.png"), sketch, 5)
    assert strip.size == (5 * 84 + 6 * 2, 84 + 4)
    with Image.open(gif) as animation:
        assert animation.n_frames == 8 and animation.size == (168, 168)
    assert np.asarray(seen)[:4].max() < 40, "drawings inverted to white on black"
    blank = {"background": None, "layers": [], "composite": Image.new("L", (280, 280), 255)}
    with pytest.raises(gr.Error, match="empty"):
        vae.vae_interpolate("vae-mnist", blank, sketch, 5)
    nothing = {"background": None, "layers": [], "composite": None}  # e.g. a non-image file the browser dropped
    with pytest.raises(gr.Error, match="Drawing B is empty: draw a digit in it, or upload a PNG"):
        vae.vae_interpolate("vae-mnist", sketch, nothing, 5)


def test_gan_sampler_conditional_unconditional_and_toy(tiny_zoo):
    info, dropdown = gan.gan_model_info("cgan-mnist")
    assert dropdown["choices"] == ["any", *[str(k) for k in range(10)]] and dropdown["interactive"]
    grid, info = gan.gan_sample("cgan-mnist", 3, 9, "7")
    assert_picture(grid, (3 * 84 + 4 * 2, 3 * 84 + 4 * 2))
    assert "class 7" in info
    again, _ = gan.gan_sample("cgan-mnist", 3, 9, "7")
    assert again.tobytes() == grid.tobytes(), "same seed, same samples"
    _, dropdown = gan.gan_model_info("gan-mnist")
    assert dropdown["interactive"] is False
    seed, grid, info = gan.gan_randomise("gan-mnist", 4, "any")
    assert 0 <= seed < 2**31 and f"seed {seed}" in info
    plot, info = gan.gan_sample("gan-toy", 1, 4, "any")
    assert_picture(plot, (320, 320), "RGB") and "sin(x)" in info
    strip, gif = gan.gan_interpolate("gan-mnist", 0, 9, 4)
    assert strip.size == (4 * 84 + 5 * 2, 84 + 4) and Path(gif).suffix == ".gif"


def test_gan_tab_offers_the_traffic_signs_by_class_name(tiny_zoo):
    info, dropdown = gan.gan_model_info("gan-signs")
    assert dropdown["choices"] == ["any", "speed limit 30", "speed limit 100", "stop", "no trucks"]
    assert "conditional" in info
    grid, info = gan.gan_sample("gan-signs", 5, 4, "stop")
    assert_picture(grid, (2 * 96 + 3 * 2, 2 * 96 + 3 * 2), "RGB") and "class stop" in info  # 32 px x 3
    with pytest.raises(gr.Error, match="Class must be one of"):
        gan.gan_sample("gan-signs", 5, 4, "yield")


def test_gan_tab_shows_the_training_curves_of_a_checkpoint_that_has_them(tiny_zoo):
    shown = gan.gan_curves("cgan-mnist")  # trained with the diagnostics (tiny zoo: WITH_TRAINING_CURVES)
    assert shown["visible"] is True
    with Image.open(tiny_zoo.mirror / "imagezoo" / "cgan-mnist" / "images" / "training_curves.png") as card_image:
        assert shown["value"].tobytes() == card_image.convert("RGB").tobytes()
    for model in ("gan-mnist", None):  # published before the diagnostics; no model chosen
        hidden = gan.gan_curves(model)
        assert hidden["visible"] is False and hidden["value"] is None
    with pytest.raises(gr.Error, match="Unknown model"):
        gan.gan_curves("no-such-gan")


def test_model_loads_once_for_concurrent_requests(tiny_zoo, monkeypatch):
    import zoo

    calls, real_load = [], zoo.load

    def counting_load(name, *args, **kwargs):
        calls.append(name)
        return real_load(name, *args, **kwargs)

    monkeypatch.setattr(zoo, "load", counting_load)
    errors = []

    def request(seed):
        try:
            gan.gan_sample("gan-mnist", seed, 4)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=request, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and calls == ["gan-mnist"]


def test_wrong_or_unpublished_models_get_sentences(tiny_zoo):
    with pytest.raises(gr.Error, match=r"not published yet.*denoise-gray"):
        denoise.denoise("denoise-color", HOUSE)
    with pytest.raises(gr.Error, match="is a vae model, not a denoise model"):
        denoise.denoise("vae-mnist", HOUSE)
    with pytest.raises(gr.Error, match="Unknown model 'nope'"):
        colorize.colorize("nope", HOUSE)
    with pytest.raises(gr.Error, match="Upload an image first"):
        colorize.colorize("colorize", None)


def test_tabs_with_nothing_published_say_so(isolated_zoo):
    app.MODELS.clear()
    with pytest.raises(gr.Error, match=r"No denoising model is published yet.*denoise-mnist"):
        denoise.denoise(None, HOUSE)
    with pytest.raises(gr.Error, match="No GAN model is published yet"):
        gan.gan_sample(None, 0, 4)
    with app.build_demo() as demo:  # builds with empty dropdowns and a notice per tab
        markdown = [block.value for block in demo.blocks.values() if isinstance(block, gr.Markdown)]
    assert sum("is published yet" in (text or "") for text in markdown) == 7


def test_every_event_has_a_stable_api_name(tiny_zoo):
    demo = app.build_demo()
    names = [dependency.api_name for dependency in demo.fns.values()]
    assert all(names) and len(names) == len(set(names))
    assert {
        "restore", "denoise", "colorize", "colorize_hints", "super_resolve", "pix2pix", "pix2pix_painting", "cyclegan",
        "vae_decode", "vae_random", "vae_manifold", "vae_scatter", "vae_interpolate", "gan_sample", "gan_randomise",
        "gan_interpolate",
    } <= set(names)  # fmt: skip


@pytest.mark.slow
def test_import_and_build_load_no_model_code():
    """Start-up stays fast: importing app.py and building the UI imports neither torch, diffusers nor pipelines."""
    code = (
        "import sys, app; app.build_demo(); "
        "print(sorted(m for m in ('torch', 'diffusers', 'zoo.pipelines', 'zoo.data') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=APP_PATH.parent, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_vae_scatter_on_a_server_without_datasets_uses_the_stored_encodings(tiny_zoo, tmp_path, monkeypatch):
    """A Space has no ../shared/data: the scatter comes from the encodings stored for exactly these weights."""
    from app_support import encodings
    from zoo import registry

    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setattr(encodings, "FOLDER", tmp_path / "stored")
    entry = registry.get_entry("vae-fashion")
    z = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    encodings.save(entry, z, np.arange(50) % 10, [f"class {k}" for k in range(10)])
    frame, info = vae.vae_scatter("vae-fashion")
    assert len(frame) == 50 and set(frame["class"]) == {f"class {k}" for k in range(10)}
    assert np.allclose(frame["z1"], z[:, 0], atol=1e-2) and np.allclose(frame["z2"], z[:, 1], atol=1e-2)
    assert "stored with the app" in info
    other = tmp_path / "stored" / "vae-mnist.npz"  # written for other weights: ignored
    encodings.save(entry, z, np.arange(50) % 10, ["x"] * 10).rename(other)
    with pytest.warns(UserWarning, match="no stored encodings match"):
        frame, _ = vae.vae_scatter("vae-mnist")
    assert len(frame) == 0


def test_a_model_switch_clears_the_previous_models_results(tiny_zoo):
    demo = app.build_demo()
    outputs = {"denoise-output", "superres-output", "colorize-output", "pix2pix-output",
               "pix2pix-painted-output", "cyclegan-forward"}  # fmt: skip
    cleared = set()
    for dependency in demo.fns.values():
        triggers = [demo.blocks.get(target[0]) for target in dependency.targets]
        if not any(isinstance(t, gr.Dropdown) and (t.elem_id or "").endswith("-model") for t in triggers):
            continue
        if dependency.inputs or dependency.queue:
            continue  # the notice and the other model events read the dropdown
        values = dependency.fn()
        values = values if isinstance(values, list) else [values]
        assert all(v in ("", None) for v in values), values
        cleared |= {block.elem_id for block in dependency.outputs}
    assert outputs <= cleared
