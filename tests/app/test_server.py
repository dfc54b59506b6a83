"""The launched app (``python app.py`` on 127.0.0.1) through gradio_client: every api_name with real images, outputs
decoded and checked; tabs without a published model; bad uploads; the server keeps serving."""

from __future__ import annotations

import json
import re
import urllib.request

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from . import APP_PATH

EXAMPLES = APP_PATH.parent / "examples"
MODEL_EVENTS = {
    "/restore", "/denoise", "/colorize", "/colorize_hints", "/super_resolve", "/pix2pix", "/pix2pix_painting",
    "/cyclegan", "/vae_tab", "/vae_model_info", "/vae_decode", "/vae_random", "/vae_manifold", "/vae_scatter",
    "/vae_interpolate", "/gan_tab", "/gan_model_info", "/gan_curves", "/gan_sample", "/gan_randomise",
    "/gan_interpolate",
}  # fmt: skip
UI_EVENTS = {
    "/restore_notice", "/denoise_notice", "/colorize_notice", "/colorize_hints_note", "/super_resolution_notice",
    "/pix2pix_notice", "/cyclegan_notice",
}  # fmt: skip


def picture(path: str, size: tuple[int, int] | None = None, mode: str | None = None, fmt: str = "PNG") -> Image.Image:
    """Decode a downloaded output and check it: format, size, mode, not blank."""
    with Image.open(path) as image:
        assert image.format == fmt, path
        image.load()
        decoded = image.copy()
    if size is not None:
        assert decoded.size == size
    if mode is not None:
        assert decoded.mode == mode
    assert np.asarray(decoded.convert("L"), dtype=np.float32).std() > 1.0, f"blank output {path}"
    return decoded


def mnist_test_set_present() -> bool:
    from zoo.data import DatasetError, load_mnist

    try:
        load_mnist("mnist", "test")
    except DatasetError:
        return False
    return True


def example(relative: str):
    return handle_file(str(EXAMPLES / relative))


def editor(path) -> dict:
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def test_page_served_fast_and_offline(server):
    print(f"\napp.py served its first page {server.served_after:.1f} s after the process started")
    assert server.served_after < 45, "start-up regressed badly (the budget is < 10 s on an idle 2-core machine)"
    with urllib.request.urlopen(server.url, timeout=10) as response:
        assert "Image-to-image model zoo" in response.read().decode("utf-8", "replace")


def test_api_lists_every_event(client):
    named = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert MODEL_EVENTS | UI_EVENTS | {"/refresh_models"} <= named


def test_restoration_tabs(client):
    (noisy, denoised), output, info = client.predict(
        "denoise-gray", example("denoise/house.png"), 25, False, True, 30, api_name="/denoise"
    )
    picture(noisy, (256, 192), "RGB", fmt="JPEG")  # the before/after slider is for viewing: JPEG
    picture(denoised, (256, 192), "RGB", fmt="JPEG")
    picture(output, (256, 192), "RGB")  # the result itself: PNG
    assert "PSNR" in info
    gray, colour, original, info = client.predict("colorize", example("colorize/still_life.png"), api_name="/colorize")
    picture(gray, (160, 160), "L")
    picture(colour, (160, 160), "RGB")
    picture(original, (160, 160), "RGB")
    output, bicubic, info = client.predict(
        "superres-x2", example("superres/house_small.png"), api_name="/super_resolve"
    )
    picture(output, (256, 192), "RGB")
    picture(bicubic, (256, 192), "RGB", fmt="JPEG")  # the comparison only: JPEG, the result stays PNG
    assert "**256x192** (x2)" in info


def test_colorize_hints(client):
    """Hints as a JSON list [[x, y, "#rrggbb"], ...] in the upload's pixels; a hint-ignoring model says so."""
    from zoo.color import rgb_to_lab

    def ab(path: str) -> np.ndarray:
        return rgb_to_lab(np.asarray(picture(path, (160, 160), "RGB"), dtype=np.float64)[60, 80] / 255.0)[1:]

    still_life = example("colorize/still_life.png")
    _, plain, _, info = client.predict("colorize-hints", still_life, [], api_name="/colorize_hints")
    assert "Colour hints" not in info
    gray, hinted, original, info = client.predict(
        "colorize-hints", still_life, [[80, 60, "#d03c28"], [10, 10, [40, 160, 40]]], api_name="/colorize_hints"
    )
    picture(gray, (160, 160), "L")
    picture(original, (160, 160), "RGB")
    assert "Colour hints used: 2." in info
    target = rgb_to_lab(np.array([0xD0, 0x3C, 0x28]) / 255.0)[1:]
    assert np.linalg.norm(ab(hinted) - target) < 0.35 * np.linalg.norm(ab(plain) - target)
    with pytest.raises(AppError, match="At most 64 colour hints at a time; there are 65"):
        client.predict("colorize-hints", still_life, [[1, 1, "#ff0000"]] * 65, api_name="/colorize_hints")
    with pytest.raises(AppError, match=r"Hint 1 at \(200, 1\) is outside the 160x160 image"):
        client.predict("colorize-hints", still_life, [[200, 1, "#ff0000"]], api_name="/colorize_hints")
    _, _, _, info = client.predict("colorize", still_life, [[80, 60, "#d03c28"]], api_name="/colorize_hints")
    assert "colorize ignores colour hints" in info
    note = client.predict("colorize", api_name="/colorize_hints_note")  # (the button's state is no API output)
    assert "ignores colour hints" in note and "colorize-hints" in note


def test_restore_flow(client):
    """Any photo through the chain: a gray old print is denoised, colourised and upscaled x2; each step is named."""
    (before, after), output, info = client.predict(
        example("restore/portrait_old_print.jpg"), 2, "auto", True, 10, api_name="/restore"
    )
    restored = picture(output, (500, 500), "RGB")  # this server's limit, 0.25 megapixels, leaves no room for x2
    assert picture(after, fmt="JPEG").size == picture(before, fmt="JPEG").size == restored.size
    assert "denoise-real" in info and "colorize" in info and "Step 2" in info and "skipped it" in info
    (_, _), output, info = client.predict(
        example("superres/house_small.png"), 2, "never", True, 10, api_name="/restore"
    )
    assert picture(output).size == (256, 192) and "superres-x2" in info and "Step 2" in info
    (_, _), output, info = client.predict(
        example("restore/parrots_jpeg_q15.jpg"), 1, "never", False, 0, api_name="/restore"
    )
    assert "Nothing to do" in info
    with pytest.raises(AppError, match=r"3 .* is not in the list of choices: \[1, 2, 4\]"):  # gradio's own check
        client.predict(example("restore/parrots_jpeg_q15.jpg"), 3, "auto", True, 10, api_name="/restore")


def test_translation_tabs(client):
    output, info = client.predict("pix2pix-facades", example("pix2pix/facade_labels_1.png"), api_name="/pix2pix")
    picture(output, (256, 256), "RGB")
    labels, facade, info = client.predict(
        "pix2pix-facades", editor(EXAMPLES / "pix2pix" / "facade_labels_2.png"), api_name="/pix2pix_painting"
    )
    picture(labels, (256, 256), "RGB")
    picture(facade, (256, 256), "RGB")
    x, forward, back, info = client.predict(
        "cyclegan-shapes", example("cyclegan/square.png"), "BtoA", api_name="/cyclegan"
    )
    for path in (x, forward, back):
        picture(path, (128, 128), "RGB")
    assert "squares → circles → squares" in info


def test_vae_tab(client):
    info, *sliders = client.predict("vae-fashion", api_name="/vae_model_info")
    assert "Latent dimensions: 8" in info and len(sliders) == 6
    info, *_ = client.predict("vae-mnist", api_name="/vae_tab")
    assert "Latent dimensions: 2" in info
    picture(client.predict("vae-mnist", 1.0, -1.0, 0, 0, 0, 0, api_name="/vae_decode"), (224, 224), "L")
    image, *values = client.predict("vae-fashion", 3, api_name="/vae_random")
    picture(image, (224, 224), "L")
    assert len(values) == 6 and any(value["value"] != 0 for value in values)
    picture(client.predict("vae-mnist", api_name="/vae_manifold"), (840, 840), "L")
    plot, info = client.predict("vae-mnist", api_name="/vae_scatter")
    assert plot["columns"][:3] == ["z1", "z2", "class"]  # the plot's data frame, as the browser gets it
    if mnist_test_set_present():
        assert "2000 mnist test images" in info and len(plot["data"]) == 2000
        assert {row[2] for row in plot["data"]} == {str(k) for k in range(10)}
    else:
        assert "mnist test set is missing" in info
    strip, gif, seen = client.predict(
        "vae-mnist", editor(EXAMPLES / "vae" / "digit_3.png"), editor(EXAMPLES / "vae" / "digit_8.png"), 6,
        api_name="/vae_interpolate",
    )  # fmt: skip
    picture(strip, (6 * 84 + 7 * 2, 88), "L")
    with Image.open(gif) as animation:
        assert animation.format == "GIF" and animation.n_frames == 10
    picture(seen, (2 * 84 + 3 * 2, 88), "L")


def test_gan_tab(client):
    info, label = client.predict("cgan-mnist", api_name="/gan_model_info")
    assert "conditional" in info and label["value"] == "any" and len(label["choices"]) == 11
    info, _ = client.predict("gan-mnist", api_name="/gan_tab")
    assert "unconditional" in info
    shown = client.predict("cgan-mnist", api_name="/gan_curves")  # its card's training diagnostics
    assert shown["visible"] is True and picture(shown["value"], mode="RGB")
    hidden = client.predict("gan-mnist", api_name="/gan_curves")  # a checkpoint from before them
    assert hidden["visible"] is False and hidden["value"] is None
    grid, info = client.predict("cgan-mnist", 7, 4, "5", api_name="/gan_sample")
    picture(grid, (2 * 84 + 3 * 2, 2 * 84 + 3 * 2), "L")
    with pytest.raises(AppError, match=r"Class must be one of 'any', '0', .*; got 'dog'"):
        client.predict("cgan-mnist", 7, 4, "dog", api_name="/gan_sample")
    seed, grid, info = client.predict("gan-mnist", 9, "any", api_name="/gan_randomise")
    assert isinstance(seed, int | float) and f"seed {int(seed)}" in info
    picture(grid, (3 * 84 + 4 * 2, 3 * 84 + 4 * 2), "L")
    plot, info = client.predict("gan-toy", 0, 1, "any", api_name="/gan_sample")
    picture(plot, (320, 320), "RGB")
    strip, gif = client.predict("gan-mnist", 1, 2, 5, "any", api_name="/gan_interpolate")
    picture(strip, (5 * 84 + 6 * 2, 88), "L")
    assert Image.open(gif).format == "GIF"


def test_ui_events(client):
    assert "denoise-gray" in client.predict("denoise-gray", api_name="/denoise_notice")
    result = client.predict(None, None, None, None, None, None, None, api_name="/refresh_models")
    dropdowns, notices = result[:7], result[7:]
    assert [dropdown["value"] for dropdown in dropdowns] == [
        "denoise-real", "colorize", "superres-x2", "pix2pix-facades", "cyclegan-shapes", "vae-mnist", "gan-mnist"
    ]  # fmt: skip
    assert all(notices)
    current = [
        "denoise-real",
        "colorize",
        "superres-x2",
        "pix2pix-facades",
        "cyclegan-shapes",
        "vae-mnist",
        "gan-mnist",
    ]
    unchanged = client.predict(*current, api_name="/refresh_models")[:7]
    assert all("value" not in d and "choices" not in d for d in unchanged), "a page view changes (and loads) nothing"


def test_tab_without_published_model_says_so(client, tiny_zoo_files):
    """Unpublish the CycleGAN while the server runs: the tab answers with a sentence, not a crash."""
    catalog = tiny_zoo_files.catalog
    saved = catalog.read_text(encoding="utf-8")
    data = json.loads(saved)
    for row in data["models"]:
        if row["task"] == "cyclegan":
            row["files"] = {}
    catalog.write_text(json.dumps(data), encoding="utf-8")
    try:
        with pytest.raises(AppError, match="'cyclegan-shapes' is not published yet"):
            client.predict("cyclegan-shapes", example("cyclegan/circle.png"), "AtoB", api_name="/cyclegan")
        with pytest.raises(AppError, match="'denoise-color' is not published yet"):
            client.predict("denoise-color", example("denoise/house.png"), api_name="/denoise")
        with pytest.raises(AppError, match="No CycleGAN model is published yet"):
            client.predict(None, example("cyclegan/circle.png"), "AtoB", api_name="/cyclegan")
        notices = client.predict(*[None] * 7, api_name="/refresh_models")[7:]
        assert "No CycleGAN model is published yet" in notices[4]
    finally:
        catalog.write_text(saved, encoding="utf-8")


# ------------------------------------------------------------------------------------------------ bad uploads
@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-uploads")
    good = folder / "good.png"
    Image.open(EXAMPLES / "denoise" / "house.png").save(good)
    (folder / "truncated.png").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    (folder / "empty.png").write_bytes(b"")
    Image.new("RGB", (1, 1), "red").save(folder / "tiny.png")
    Image.new("L", (10000, 10000)).save(folder / "huge.png", compress_level=1)
    ramp = (np.arange(96 * 64).reshape(64, 96) * 10).astype(np.uint16)
    Image.fromarray(ramp).save(folder / "deep16.png")
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "green", "blue")]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    Image.effect_noise((640, 480), 40).convert("RGB").save(folder / "large.png")  # above the server's 250k limit
    return folder


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("truncated.png", "truncated or corrupt"),
        ("empty.png", "empty"),
        ("tiny.png", "only 1x1 pixels"),
        ("huge.png", "10000x10000 pixels .* too large"),
        ("deep16.png", "converted to 8-bit"),
        ("animated.gif", "first frame"),
        ("large.png", "downscaled to"),
    ],
)
def test_bad_upload_gets_a_result_or_a_sentence_and_the_server_keeps_serving(client, server, bad_files, name, outcome):
    try:
        _, output, info = client.predict(
            "denoise-gray", handle_file(str(bad_files / name)), 20, False, False, 25, api_name="/denoise"
        )
    except AppError as error:
        assert re.search(outcome, str(error)), str(error)
    else:
        assert re.search(outcome, info), info
        image = picture(output)
        assert image.width * image.height <= 250_000
    assert server.process.poll() is None
    _, output, _ = client.predict("denoise-gray", example("denoise/house.png"), 20, False, api_name="/denoise")
    picture(output, (256, 192))


def test_unreadable_drawing_is_a_sentence(client, bad_files):
    with pytest.raises(AppError, match=r"could not be read|could not be used"):
        client.predict(
            "vae-mnist", editor(bad_files / "empty.png"), editor(EXAMPLES / "vae" / "digit_8.png"), 4,
            api_name="/vae_interpolate",
        )  # fmt: skip
