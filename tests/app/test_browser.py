"""The app in a real browser (Playwright driving Debian's chromium): each tab gets an input, its button is pressed,
the output image appears, and a screenshot per tab is saved under the test's tmp folder."""

from __future__ import annotations

import contextlib
import io
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from . import APP_PATH

EXAMPLES = APP_PATH.parent / "examples"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
WAIT_MS = 60_000

pytestmark = [
    pytest.mark.slow,  # a real browser over every tab: over a minute
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url, wait_until="domcontentloaded")
    page.wait_for_selector("#restore-run", timeout=WAIT_MS)  # the first tab
    yield page
    context.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def upload(page, elem_id: str, path: Path) -> None:
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))
    page.wait_for_selector(f"#{elem_id} img", timeout=WAIT_MS)


def run_and_wait(page, button: str, output: str) -> None:
    """Press the button and wait for the output image (or fail at once with the error toast's text)."""
    page.click(f"#{button}")
    page.wait_for_selector(f"#{output} img, .toast-body.error", state="visible", timeout=WAIT_MS)
    no_error_toast(page)
    image = page.locator(f"#{output} img").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=WAIT_MS)


def draw(page, elem_id: str, points: list[tuple[float, float]]) -> None:
    """One mouse stroke through ``points`` (fractions of the editor's canvas), as a visitor draws."""
    page.locator(f"#{elem_id}").scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    at = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for point in at[1:]:
        page.mouse.move(*point, steps=8)
    page.mouse.up()


def fetch_image(page, elem_id: str) -> Image.Image:
    """The picture an output component shows, fetched the way the browser fetched it."""
    source = page.get_attribute(f"#{elem_id} img", "src")
    response = page.request.get(source if source.startswith("http") else page.url.rstrip("/") + "/" + source)
    assert response.ok, source
    return Image.open(io.BytesIO(response.body()))


def no_error_toast(page) -> None:
    errors = page.locator(".toast-body.error")
    assert errors.count() == 0, errors.first.inner_text()


def shoot(page, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@contextlib.contextmanager
def screenshot_on_failure(page, folder: Path, name: str):
    """A failing step leaves a picture of the page beside the others (the error toast usually says why)."""
    try:
        yield
    except Exception:
        shoot(page, folder, f"FAILED-{name}")
        raise


def test_every_tab_in_a_browser(page, tmp_path):
    shots = tmp_path / "screenshots"
    print(f"\nscreenshots: {shots}")

    with screenshot_on_failure(page, shots, "restore"):
        upload(page, "restore-input", EXAMPLES / "restore" / "portrait_old_print.jpg")
        page.locator("#restore-upscale").get_by_text("x2").click()
        run_and_wait(page, "restore-run", "restore-output")
        page.wait_for_selector("#restore-slider img", timeout=WAIT_MS)
        info = page.inner_text("#restore-info")
        assert "denoise-real" in info and "colorize" in info, info
        # this server's pixel limit is 0.25 megapixels (tests/app/conftest.py): the x2 upscale is skipped, and said so
        assert "500x500 RGB" in info and "more than 0.25 megapixels" in info and "skipped it" in info, info
        no_error_toast(page)
        shoot(page, shots, "0-restore")

    with screenshot_on_failure(page, shots, "denoise"):
        open_tab(page, "Denoise")
        upload(page, "denoise-input", EXAMPLES / "denoise" / "house_noisy_sigma25.png")
        run_and_wait(page, "denoise-run", "denoise-output")
        page.wait_for_selector("#denoise-slider img", timeout=WAIT_MS)
        assert "Estimated noise level" in page.inner_text("#denoise-info")
        no_error_toast(page)
        shoot(page, shots, "1-denoise")

    with screenshot_on_failure(page, shots, "colorize"):
        open_tab(page, "Colorize")
        upload(page, "colorize-input", EXAMPLES / "colorize" / "still_life.png")
        run_and_wait(page, "colorize-run", "colorize-output")
        page.wait_for_selector("#colorize-original img", timeout=WAIT_MS)
        no_error_toast(page)
        shoot(page, shots, "2-colorize")

    with screenshot_on_failure(page, shots, "super-resolve"):
        open_tab(page, "Super-resolve")
        upload(page, "superres-input", EXAMPLES / "superres" / "house_small.png")
        run_and_wait(page, "superres-run", "superres-output")
        page.wait_for_selector("#superres-bicubic img", timeout=WAIT_MS)
        assert "256x192" in page.inner_text("#superres-info")
        no_error_toast(page)
        shoot(page, shots, "3-super-resolve")

    with screenshot_on_failure(page, shots, "pix2pix"):
        open_tab(page, "Pix2Pix")
        upload(page, "pix2pix-input", EXAMPLES / "pix2pix" / "facade_labels_1.png")
        run_and_wait(page, "pix2pix-run", "pix2pix-output")
        draw(page, "pix2pix-painter", [(0.4, 0.5), (0.6, 0.5)])  # in the default brush colour, "window"
        run_and_wait(page, "pix2pix-paint-run", "pix2pix-painted-output")
        labels = np.asarray(fetch_image(page, "pix2pix-snapped").convert("RGB"))
        rows, cols = labels.shape[0] // 2, labels.shape[1] // 2
        centre = labels[rows - 16 : rows + 16, cols - 20 : cols + 20]
        window_rows = (centre == (0, 128, 255)).all(axis=-1).mean(axis=1)
        assert window_rows.max() > 0.95, "the painted stroke (window colour) reaches the model's input"  # 0.4 before
        no_error_toast(page)
        shoot(page, shots, "4-pix2pix")

    with screenshot_on_failure(page, shots, "cyclegan"):
        open_tab(page, "CycleGAN")
        assert "circles → squares" in page.inner_text("#cyclegan-direction"), "directions named after the domains"
        upload(page, "cyclegan-input", EXAMPLES / "cyclegan" / "circle.png")
        run_and_wait(page, "cyclegan-run", "cyclegan-back")
        assert "cycle error" in page.inner_text("#cyclegan-info")
        no_error_toast(page)
        shoot(page, shots, "5-cyclegan")

    with screenshot_on_failure(page, shots, "vae"):
        open_tab(page, "VAE latent explorer")
        run_and_wait(page, "vae-sample", "vae-decoded")
        run_and_wait(page, "vae-manifold-run", "vae-manifold")
        page.click("#vae-scatter-run")
        page.wait_for_function(
            "() => (document.querySelector('#vae-scatter-info')?.innerText || '').length > 10", timeout=WAIT_MS
        )
        if "nothing to plot" not in page.inner_text("#vae-scatter-info"):
            page.wait_for_selector("#vae-scatter canvas, #vae-scatter svg", timeout=WAIT_MS)
        draw(page, "vae-digit-a", [(0.5, 0.2), (0.5, 0.8)])  # a "1"
        draw(
            page,
            "vae-digit-b",
            [(0.5, 0.2), (0.7, 0.35), (0.7, 0.65), (0.5, 0.8), (0.3, 0.65), (0.3, 0.35), (0.5, 0.2)],
        )
        run_and_wait(page, "vae-interpolate-run", "vae-strip")
        seen = np.asarray(fetch_image(page, "vae-seen").convert("L"))
        assert seen.max() > 200 and np.median(seen) < 30, "drawn digits arrive, inverted to white on black"
        page.wait_for_selector("#vae-gif img", timeout=WAIT_MS)
        no_error_toast(page)
        shoot(page, shots, "6-vae")

    with screenshot_on_failure(page, shots, "gan"):
        open_tab(page, "GAN sampler")
        run_and_wait(page, "gan-run", "gan-samples")
        run_and_wait(page, "gan-interpolate-run", "gan-strip")
        no_error_toast(page)
        shoot(page, shots, "7-gan")

    assert len(list(shots.glob("*.png"))) == 8


def click_picture(page, elem_id: str, x: float, y: float) -> None:
    """Click pixel (x, y) of the picture an image component shows, in the picture's own (natural) pixels, wherever
    and at whatever scale the page draws it (contained in the img box, as gradio's own click mapping assumes)."""
    image = page.locator(f"#{elem_id} img").first
    image.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = image.bounding_box()
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    scale = min(box["width"] / width, box["height"] / height, 1)
    left = box["x"] + (box["width"] - width * scale) / 2
    top = box["y"] + (box["height"] - height * scale) / 2
    page.mouse.click(left + x * scale, top + y * scale)


def wait_for_text(page, elem_id: str, text: str) -> None:
    page.wait_for_function(
        "([id, text]) => (document.querySelector('#' + id)?.innerText || '').includes(text)",
        arg=[elem_id, text],
        timeout=WAIT_MS,
    )


def test_colour_hints_in_a_browser(page, tmp_path):
    """Colorize: it opens on colorize, which ignores hints, says so and greys the button out; with colorize-hints, a
    click on the preview pins a hint at the right pixel of the upload, the picker colours it, the model uses it, and
    reset clears it."""
    shots = tmp_path / "screenshots"
    with screenshot_on_failure(page, shots, "colorize-hints"):
        open_tab(page, "Colorize")  # opens on colorize, the photo default
        assert "colorize ignores colour hints" in page.inner_text("#colorize-hints-note")
        assert page.locator("#colorize-hints-run").is_disabled()
        page.locator("#colorize-model input").click()
        page.get_by_role("option", name="colorize-hints").click()
        wait_for_text(page, "colorize-hints-note", "colorize-hints takes colour hints")
        assert page.locator("#colorize-hints-run").is_enabled()

        upload(page, "colorize-input", EXAMPLES / "colorize" / "still_life.png")  # 160x160
        run_and_wait(page, "colorize-run", "colorize-hints-preview")
        assert page.locator("#colorize-hints-preview img").first.evaluate(
            "img => [img.naturalWidth, img.naturalHeight]"
        ) == [512, 512], "the preview is the upload at 3.2x"
        click_picture(page, "colorize-hints-preview", (80 + 0.5) * 3.2, (40 + 0.5) * 3.2)  # upload pixel (80, 40)
        wait_for_text(page, "colorize-hints-list", "(80, 40) #")

        page.click("#colorize-hint-colour button.dialog-button")  # the picker: type a colour, Enter
        field = page.locator("#colorize-hint-colour input[type=text]")
        field.fill("#2850d0")
        field.press("Enter")
        wait_for_text(page, "colorize-hints-list", "(80, 40) #2850d0")
        page.click("#colorize-hints-list")  # closes the picker, which takes room above the buttons
        page.wait_for_selector("#colorize-hint-colour .color-picker", state="detached", timeout=WAIT_MS)
        assert fetch_image(page, "colorize-hints-preview").convert("RGB").getpixel((257, 129)) == (0x28, 0x50, 0xD0)

        page.click("#colorize-hints-run")
        wait_for_text(page, "colorize-info", "Colour hints used: 1.")
        red, _, blue = fetch_image(page, "colorize-output").convert("RGB").getpixel((80, 40))
        assert blue > red + 20, "the hinted point turned blue"
        no_error_toast(page)
        shoot(page, shots, "colorize-hints")

        page.click("#colorize-hints-reset")
        wait_for_text(page, "colorize-hints-list", "No hints yet.")
        no_error_toast(page)


def test_a_huge_upload_into_a_sketchpad_is_downscaled_in_the_browser(page, tmp_path):
    """A 6000x6000 PNG chosen for a digit sketchpad reaches gradio's editor as a 1000x1000 PNG (app_support/
    client_limits.py): the page keeps answering, and the interpolation of that digit comes back (without the script
    the editor painted it at full size and froze the tab for 15-20 s at 8000x8000)."""
    drawing = np.full((6000, 6000), 255, np.uint8)
    drawing[1500:4500, 2600:3400] = 0  # a "1"
    path = tmp_path / "huge.png"
    Image.fromarray(drawing).save(path)
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    open_tab(page, "VAE latent explorer")
    page.wait_for_selector("#vae-digit-a input[type=file]", state="attached", timeout=WAIT_MS)
    page.wait_for_timeout(5000)  # the editors finish mounting (an upload before that is lost)
    page.locator("#vae-digit-a input[type=file]").set_input_files(str(path))
    for _ in range(WAIT_MS // 250):  # decoding 36 megapixels off the main thread: seconds on a busy machine
        if any("downscaled to 1000x1000" in text for text in messages):
            break
        page.wait_for_timeout(250)
    assert any("huge.png (6000x6000) downscaled to 1000x1000" in text for text in messages), messages[-5:]
    page.locator("#vae-digit-b input[type=file]").set_input_files(str(EXAMPLES / "vae" / "digit_8.png"))
    page.wait_for_timeout(3000)  # the editors export their composites
    run_and_wait(page, "vae-interpolate-run", "vae-strip")
    seen = np.asarray(fetch_image(page, "vae-seen").convert("L"))
    assert seen.max() > 200, "the downscaled upload arrives as a digit"


@pytest.fixture(scope="module")
def published_server(tmp_path_factory):
    """``python app.py`` as a fresh Space runs it: the published models (the repository's catalog and mirror), no
    datasets (``ZOO_DATA_DIR`` an empty folder: a Space has no ../shared/data), the default size limits."""
    from .conftest import launch_app

    folder = tmp_path_factory.mktemp("published-server")
    (folder / "no-data").mkdir()
    env = {"HF_HUB_OFFLINE": "1", "ZOO_DATA_DIR": str(folder / "no-data"), **published_zoo()}
    with launch_app(env, folder / "app.log") as launched:
        yield launched


def published_zoo() -> dict[str, str]:
    """The repository's own catalog and mirror, named explicitly (other tests point ZOO_CATALOG at a tiny zoo)."""
    from zoo.registry import CATALOG_PATH

    return {"ZOO_CATALOG": str(CATALOG_PATH), "ZOO_MIRROR": str(APP_PATH.parent / "mirror")}


def progress_recorder(page) -> None:
    """Record in ``window.zooProgress`` every text the page's progress bars show (gradio's status tracker)."""
    page.evaluate(
        """() => {
            window.zooProgress = [];
            const seen = () => document.querySelectorAll('.progress-level-inner').forEach(node => {
                const text = node.innerText.trim();
                if (text && window.zooProgress[window.zooProgress.length - 1] !== text) window.zooProgress.push(text);
            });
            new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )


def test_a_first_visit_to_a_fresh_space(browser, published_server, tmp_path, monkeypatch):
    """Issue 25's visit, on the published models without datasets: the photo tabs open on photo models; a
    3000x2000 photo denoised at full resolution shows moving tile progress; a second visitor's small preview finishes
    while that job still runs; the VAE scatter is drawn from the encodings stored with the app."""
    from app_support.models import default_model

    for name, value in published_zoo().items():
        monkeypatch.setenv(name, value)  # default_model() below reads the same catalog as the server
    rng = np.random.default_rng(0)
    phone = tmp_path / "phone_photo.jpg"
    gradient = np.linspace(40, 210, 3000)[None, :, None] * np.ones((2000, 1, 3))
    Image.fromarray(np.clip(gradient + rng.normal(0, 12, (2000, 3000, 3)), 0, 255).astype(np.uint8)).save(phone)
    small = tmp_path / "small.png"
    Image.fromarray(np.clip(128 + rng.normal(0, 25, (256, 256, 3)), 0, 255).astype(np.uint8)).save(small)

    first = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    first.goto(published_server.url, wait_until="domcontentloaded")
    first.wait_for_selector("#restore-run", timeout=WAIT_MS)
    shots = tmp_path / "screenshots"
    with screenshot_on_failure(first, shots, "defaults"):
        for tab, task, elem_id in (("Denoise", "denoise", "denoise"), ("Super-resolve", "super-resolution", "superres"),
                                   ("Colorize", "colorize", "colorize")):  # fmt: skip
            open_tab(first, tab)
            shown = first.locator(f"#{elem_id}-model input").input_value()
            assert shown == default_model(task) and not shown.endswith(("mnist", "fashion")), (tab, shown)

    with screenshot_on_failure(first, shots, "full-size"):
        open_tab(first, "Denoise")
        upload(first, "denoise-input", phone)
        progress_recorder(first)
        first.click("#denoise-run-full")
        first.wait_for_function(
            "() => window.zooProgress.some(text => text.includes('tile'))", timeout=WAIT_MS
        )  # the full-size job is running

        second = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        second.goto(published_server.url, wait_until="domcontentloaded")
        second.wait_for_selector("#restore-run", timeout=WAIT_MS)
        open_tab(second, "Denoise")
        upload(second, "denoise-input", small)
        started = time.perf_counter()
        run_and_wait(second, "denoise-run", "denoise-output")
        waited = time.perf_counter() - started
        still_running = first.locator("#denoise-output img").count() == 0
        second.context.close()
        assert still_running, f"the second visitor's preview ({waited:.1f} s) ended after the full-size job"
        assert waited < 30, f"the second visitor waited {waited:.1f} s"

        first.wait_for_selector("#denoise-output img", state="visible", timeout=3 * WAIT_MS)
        no_error_toast(first)
        tiles = [text for text in first.evaluate("window.zooProgress") if "tile" in text]
        print(f"second visitor {waited:.1f} s; progress texts {tiles[:3]}... ({len(tiles)})")
        assert len(tiles) >= 3, f"progress did not move: {tiles}"  # e.g. "Denoising tile by tile... 34%"
        shoot(first, shots, "full-size")

    with screenshot_on_failure(first, shots, "vae-scatter"):
        open_tab(first, "VAE latent explorer")
        first.click("#vae-scatter-run")
        wait_for_text(first, "vae-scatter-info", "stored with the app")
        first.wait_for_selector("#vae-scatter canvas, #vae-scatter svg", timeout=WAIT_MS)
        assert "--data-dir" not in first.inner_text("#vae-scatter-info") and "/work" not in first.content()
        no_error_toast(first)
    first.context.close()
