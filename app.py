"""The zoo's Gradio app: one tab per task, models pulled from the catalog on first use.

    python app.py                      # http://127.0.0.1:7860, offline from the local mirror (hub/)
    python app.py --host 0.0.0.0 --port 8080 [--share]

The same file runs as the Hugging Face Space (``SPACE_ID`` is set there: it binds 0.0.0.0). This module is the UI
only: model loading, input normalisation, palettes and pictures live in ``app_support/``, the models in ``zoo``.
torch, diffusers and ``zoo.pipelines`` are imported on the first request, so the page is served in seconds.

Environment (defaults in brackets): ``ZOO_APP_MAX_MODELS`` [4] pipelines kept in memory (LRU),
``ZOO_APP_MAX_PIXELS`` [4000000] input pixels before downscaling, ``ZOO_APP_MAX_UPSCALE_PIXELS`` [1000000]
super-resolution input pixels, ``ZOO_APP_CONCURRENCY`` [1] events per tab at once, ``ZOO_APP_MAX_UPLOAD_MB`` [50],
``GRADIO_ANALYTICS_ENABLED`` [False], ``GRADIO_SERVER_PORT`` [7860]; ``ZOO_CATALOG``/``ZOO_MIRROR`` as for ``zoo``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

import zoo
from app_support import facades, media
from app_support.inputs import digit_from_drawing, editor_image
from app_support.models import (
    ModelCache,
    default_model,
    entry_key,
    model_choices,
    published_names,
    require_published,
    tab_notice,
)
from app_support.settings import Settings, default_host, default_port, seconds_since_process_start
from app_support.tabs import restore as restore_tab
from app_support.ui import (
    EXAMPLES,
    LOG,
    MODELS,
    PROGRESS,
    examples_of,
    image_input,
    image_output,
    model_dropdown,
    pipeline,
    prepare,
    queued,
    readable_uploads,
    report,
    settings,
    size_of,
    user_errors,
)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read by gradio when the app is built, not at import
TASKS = ("denoise", "colorize", "super-resolution", "pix2pix", "cyclegan", "vae", "gan")
__all__ = ["MODELS", "build_demo", "main"]
ENCODINGS = ModelCache(4)  # test-set encodings for the VAE scatter plot, per model
SCATTER_POINTS = 2000
BUILT_CHOICES: dict[str, list[str]] = {}  # each tab's model list when the page was built (see refresh_models)
Z_SLIDERS = 6  # latent sliders shown for the first dimensions (2 for the 2-D VAE)


# ------------------------------------------------------------------------------------------------ components
def facade_painter() -> gr.ImageEditor:
    """A label-map painter whose brushes are the 12 CMP facade label colours, starting from a generated facade."""
    brush = gr.Brush(
        colors=facades.palette_hex(),
        color_mode="fixed",
        default_size=6,
        default_color=facades.hex_colour(facades.COLOURS["window"]),
    )
    # transforms=() or eraser=False would hide the whole toolbar in gradio 6.31
    painter = gr.ImageEditor(
        value=str(EXAMPLES / "pix2pix" / "facade_labels_1.png"),
        type="pil",
        image_mode="RGB",
        label="Label map painter",
        canvas_size=(256, 256),
        brush=brush,
        layers=False,
        sources=("upload",),
        interactive=True,
        elem_id="pix2pix-painter",
    )
    return readable_uploads(painter)


def digit_sketchpad(label: str, elem_id: str) -> gr.Sketchpad:
    """A canvas to draw a digit on in black (inverted for the model), or to upload one."""
    brush = gr.Brush(colors=["#000000"], color_mode="fixed", default_size=22)  # ~2 px strokes at 28x28, like MNIST
    pad = gr.Sketchpad(
        value=Image.new("L", (280, 280), 255),  # a blank sheet: the brush is ready at once (empty, it asks for upload)
        label=label,
        type="pil",
        image_mode="L",
        canvas_size=(280, 280),
        sources=("upload",),
        brush=brush,
        layers=False,
        elem_id=elem_id,
    )
    return readable_uploads(pad)


# ------------------------------------------------------------------------------------------------ handlers
@user_errors
def denoise(
    model: str | None,
    image: Any,
    noise_level: float = 25.0,
    blind: bool = True,
    add_noise: bool = False,
    added_sigma: float = 25.0,
    progress: gr.Progress = PROGRESS,
) -> tuple[tuple[Image.Image, Image.Image], Image.Image, str]:
    """Denoise an upload; optionally add Gaussian noise of ``added_sigma`` first and report PSNR against it."""
    pipe = pipeline("denoise", model, progress)
    prepared = prepare(image)
    clean = prepared.image
    lines = []
    noisy = clean
    if add_noise:
        from zoo.noise import add_gaussian_noise

        array = np.asarray(clean, dtype=np.float32) / 255.0
        noisy_array = np.clip(add_gaussian_noise(array, float(added_sigma), seed=0), 0.0, 1.0)
        noisy = Image.fromarray(np.rint(noisy_array * 255.0).astype(np.uint8))
        lines.append(f"Added Gaussian noise σ = {float(added_sigma):g} (0-255 scale, seed 0).")
    sigma: float | None = None
    if not pipe.noise_aware:
        lines.append(f"{pipe.name} is blind by design: it takes no noise level.")
    elif blind:
        learned = getattr(pipe, "learned_strength", False)
        if not learned and min(noisy.size) < 32:
            raise zoo.InputError(
                f"Blind mode estimates the noise from the image and needs at least 32x32 pixels (this one is "
                f"{size_of(noisy)}); untick 'auto (blind)' and set the noise level instead."
            )
        sigma = pipe.estimate_sigma(noisy)
        how = "learned estimator: the effective strength of noise and JPEG damage" if learned else "blind"
        lines.append(f"Estimated noise level ({how}): σ ≈ {sigma:.1f}.")
    else:
        sigma = float(noise_level)
        lines.append(f"Noise level: σ = {sigma:g}.")
    progress(0.5, desc="Denoising...")
    out = pipe(noisy, sigma=sigma)
    if add_noise:
        from zoo.metrics import psnr

        reference = np.asarray(clean)
        lines.append(
            f"PSNR against your clean image: noisy {psnr(reference, np.asarray(noisy)):.2f} dB → "
            f"denoised **{psnr(reference, np.asarray(out)):.2f} dB**."
        )
    lines.append(f"Output {size_of(out)} {out.mode}.")
    return (noisy, out), out, report(*lines, notices=prepared.notices)


@user_errors
def colorize(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, Image.Image, Image.Image | None, str]:
    """Colourise; a colour upload is desaturated first and returned as the original for comparison."""
    pipe = pipeline("colorize", model, progress)
    prepared = prepare(image)
    original = prepared.image
    gray = original.convert("L")
    is_colour = original.mode == "RGB" and np.ptp(np.asarray(original, dtype=np.int16), axis=2).max() > 2
    progress(0.5, desc="Colourising...")
    out = pipe(gray)
    if is_colour:
        from zoo.metrics import psnr

        score = psnr(np.asarray(original), np.asarray(out))
        line = f"Your colour image was desaturated first; PSNR of the colourisation against it: {score:.2f} dB."
    else:
        line = "Gray input: there is no original colour to compare with."
    return (
        gray,
        out,
        original if is_colour else None,
        report(line, f"Output {size_of(out)} RGB.", notices=prepared.notices),
    )


@user_errors
def super_resolve(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, Image.Image, str]:
    """Upscale by the model's factor; a bicubic upscale of the same input for comparison."""
    pipe = pipeline("super-resolution", model, progress)
    limits = settings()
    prepared = prepare(image, max_pixels=min(limits.max_pixels, limits.max_upscale_pixels))
    low = prepared.image
    scale = pipe.scale
    progress(0.0, desc=f"Upscaling x{scale}...")
    out = pipe(low, progress=lambda done: progress(done, desc=f"Upscaling x{scale} tile by tile..."))
    bicubic = low.resize(out.size, Image.Resampling.BICUBIC)
    line = f"Input {size_of(low)} → output **{size_of(out)}** (x{scale}); bicubic beside it at the same size."
    return out, bicubic, report(line, notices=prepared.notices)


@user_errors
def pix2pix(model: str | None, image: Any, progress: gr.Progress = PROGRESS) -> tuple[Image.Image, str]:
    """Translate an uploaded image (e.g. a facade label map, violet circles) with a pix2pix generator."""
    pipe = pipeline("pix2pix", model, progress)
    prepared = prepare(image, "a label map or image")
    progress(0.5, desc="Translating...")
    out = pipe(prepared.image)
    return out, report(f"{pipe.name}: {size_of(prepared.image)} in, {size_of(out)} out.", notices=prepared.notices)


@user_errors
def pix2pix_painting(
    model: str | None, painting: Any, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, Image.Image, str]:
    """Translate a painted facade label map: its colours are first snapped to the 12 CMP label colours."""
    pipe = pipeline("pix2pix", model, progress)
    prepared = prepare(editor_image(painting), "a painted label map")
    labels = facades.snap_to_palette(prepared.image)
    progress(0.5, desc="Translating...")
    out = pipe(labels)
    note = "Painted colours were snapped to the nearest facade label colour."
    if "facades" not in pipe.name:
        note += f" {pipe.name} was not trained on facade label maps, so expect little sense."
    return labels, out, report(note, f"{pipe.name}: output {size_of(out)}.", notices=prepared.notices)


@user_errors
def cyclegan(
    model: str | None, image: Any, direction: str = "AtoB", progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, Image.Image, Image.Image, str]:
    """x, G(x) and F(G(x)): the translation and the round trip back."""
    pipe = pipeline("cyclegan", model, progress)
    prepared = prepare(image)
    x = prepared.image.convert("RGB")
    progress(0.4, desc="Translating and back...")
    forward, back = pipe.round_trip(x, direction)
    source, target = pipe.domains if direction == "AtoB" else pipe.domains[::-1]
    error = np.abs(np.asarray(x, np.float32) - np.asarray(back.convert("RGB"), np.float32)).mean() / 255.0
    line = f"{source} → {target} → {source}; cycle error mean |x − F(G(x))| = {error:.3f} (0-1 scale)."
    return x, forward, back, report(line, notices=prepared.notices)


def _z_vector(pipe: Any, state: Any, values: tuple[float, ...]) -> np.ndarray:
    """The latent: the stored full vector (from 'Random sample') with its first dimensions set by the sliders."""
    z = np.zeros(pipe.latent_dim, dtype=np.float32)
    if state is not None and len(state) == pipe.latent_dim:
        z[:] = np.asarray(state, dtype=np.float32)
    shown = min(len(values), pipe.latent_dim)
    z[:shown] = [float(v or 0.0) for v in values[:shown]]
    return z


def _slider_updates(latent_dim: int, values: np.ndarray | None = None) -> list[Any]:
    return [
        gr.update(
            visible=index < latent_dim,
            value=float(values[index]) if values is not None and index < len(values) else 0.0,
        )
        for index in range(Z_SLIDERS)
    ]


@user_errors
def vae_model_info(model: str | None, progress: gr.Progress = PROGRESS) -> tuple[Any, ...]:
    """Load the chosen VAE and show one slider per latent dimension (up to ``Z_SLIDERS``)."""
    if not model:  # fired by the page itself (tab opened, model list refreshed): a notice, never an error toast
        return (tab_notice("vae", model), [], *[gr.update() for _ in range(Z_SLIDERS)])
    pipe = pipeline("vae", model, progress)
    shown = min(pipe.latent_dim, Z_SLIDERS)
    more = f"; sliders set the first {shown}, 'Random sample' draws all of them" if pipe.latent_dim > shown else ""
    info = f"{tab_notice('vae', pipe.name)}\n\nLatent dimensions: {pipe.latent_dim}{more}."
    return (info, [0.0] * pipe.latent_dim, *_slider_updates(pipe.latent_dim))


@user_errors
def vae_decode(model: str | None, state: Any, *values: float) -> Image.Image:
    """Decode the latent set by the sliders (live)."""
    pipe = pipeline("vae", model, PROGRESS)
    return media.enlarge(pipe.decode(_z_vector(pipe, state, values))[0], 224)


@user_errors
def vae_random(model: str | None, seed: float = 0, progress: gr.Progress = PROGRESS) -> tuple[Any, ...]:
    """Draw a latent from the prior N(0, I) (seeded), decode it, and move the sliders to it."""
    pipe = pipeline("vae", model, progress)
    z = np.random.default_rng(int(seed or 0)).standard_normal(pipe.latent_dim).astype(np.float32)
    z[:Z_SLIDERS] = np.round(np.clip(z[:Z_SLIDERS], -3.0, 3.0), 2)  # what the sliders can show
    image = media.enlarge(pipe.decode(z)[0], 224)
    return (image, z.tolist(), *_slider_updates(pipe.latent_dim, z))


@user_errors
def vae_manifold(model: str | None, progress: gr.Progress = PROGRESS) -> Image.Image:
    """Decodings of a 15x15 grid over [-3, 3]² of the first two latent dimensions."""
    pipe = pipeline("vae", model, progress)
    return media.enlarge(pipe.manifold(15, 3.0), 600)


@user_errors
def vae_scatter(model: str | None, progress: gr.Progress = PROGRESS) -> tuple[Any, str]:
    """Posterior means of the first ``SCATTER_POINTS`` test images, first two dimensions, coloured by class."""
    import pandas as pd

    from zoo.data import DatasetError

    pipe = pipeline("vae", model, progress)
    entry = require_published("vae", model)
    dataset = pipe.dataset

    def encode() -> pd.DataFrame:
        z, labels, names = pipe.encode_test_set(SCATTER_POINTS, progress=lambda done, text: progress(done, desc=text))
        second = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z), np.float32)
        return pd.DataFrame({"z1": z[:, 0], "z2": second, "class": [str(names[k]) for k in labels]})

    try:
        frame = ENCODINGS.get(entry_key(entry), encode)
    except DatasetError as error:
        gr.Warning(f"The {dataset} test set is missing, so there is nothing to plot.")
        empty = pd.DataFrame(
            {"z1": pd.Series(dtype=float), "z2": pd.Series(dtype=float), "class": pd.Series(dtype=str)}
        )
        return empty, f"⚠️ The {dataset} test set is missing, so there is nothing to plot ({error})."
    dims = "the first two of its latent dimensions" if pipe.latent_dim > 2 else "its 2-D latent"
    return frame, f"{len(frame)} {dataset} test images encoded by {pipe.name} (posterior means, {dims})."


@user_errors
def vae_interpolate(
    model: str | None, drawing_a: Any, drawing_b: Any, steps: float = 8, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, str, Image.Image]:
    """Encode two drawn or uploaded digits, walk the latent line between them: a strip and an animated GIF."""
    pipe = pipeline("vae", model, progress)
    limit = settings().max_pixels
    digits = [
        digit_from_drawing(prepare(editor_image(drawing), f"digit {which}", limit).image)
        for which, drawing in (("A", drawing_a), ("B", drawing_b))
    ]
    progress(0.5, desc="Interpolating...")
    frames = pipe.interpolate(digits[0], digits[1], int(steps))
    return media.strip(frames, min_side=84), media.save_gif(frames, min_side=168), media.strip(digits, min_side=84)


@user_errors
def gan_model_info(model: str | None, progress: gr.Progress = PROGRESS) -> tuple[str, Any]:
    """Load the chosen GAN and fill the class list (conditional models) or disable it."""
    if not model:  # fired by the page itself (tab opened, model list refreshed): a notice, never an error toast
        return tab_notice("gan", model), gr.update()
    pipe = pipeline("gan", model, progress)
    labels = list(pipe.labels)
    toy = hasattr(pipe, "sample_points")
    kind = "toy 2-D GAN: its points against y = sin(x)" if toy else ("conditional" if labels else "unconditional")
    dropdown = gr.update(choices=["any", *labels], value="any", interactive=bool(labels))
    return f"{tab_notice('gan', pipe.name)}\n\nThis model is {kind}.", dropdown


def _label(pipe: Any, label: str | None) -> str | None:
    return label if pipe.labels and label not in (None, "", "any") else None


@user_errors
def gan_sample(
    model: str | None, seed: float = 0, count: float = 16, label: str | None = "any", progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, str]:
    """A grid of ``count`` samples from ``seed`` (the toy GAN: one plot of 500 points against y = sin(x))."""
    pipe = pipeline("gan", model, progress)
    seed, count = int(seed or 0), int(count or 1)
    progress(0.5, desc="Sampling...")
    if hasattr(pipe, "sample_points"):
        return pipe.sample(500, seed=seed)[0], f"500 points from seed {seed} (blue) against y = sin(x) (red)."
    chosen = _label(pipe, label)
    picture = media.grid(pipe.sample(count, seed=seed, label=chosen), min_side=84)
    what = f"class {chosen}" if chosen else ("classes in turn" if pipe.labels else "unconditional")
    return picture, f"{count} samples from seed {seed} ({what})."


@user_errors
def gan_randomise(
    model: str | None, count: float = 16, label: str | None = "any", progress: gr.Progress = PROGRESS
) -> tuple[int, Image.Image, str]:
    """A fresh random seed, and its samples."""
    seed = random.SystemRandom().randrange(0, 2**31 - 1)
    picture, info = gan_sample(model, seed, count, label, progress)
    return seed, picture, info


@user_errors
def gan_interpolate(
    model: str | None,
    seed_a: float = 0,
    seed_b: float = 1,
    steps: float = 8,
    label: str | None = "any",
    progress: gr.Progress = PROGRESS,
) -> tuple[Image.Image, str]:
    """Samples along the (spherical) path between the latents of two seeds: a strip and an animated GIF."""
    pipe = pipeline("gan", model, progress)
    progress(0.5, desc="Interpolating...")
    frames = pipe.interpolate(int(seed_a or 0), int(seed_b or 0), int(steps), label=_label(pipe, label))
    if hasattr(pipe, "sample_points"):
        frames = [media.fit_within(frame, 160) for frame in frames]
    return media.strip(frames, min_side=84), media.save_gif(frames, min_side=168)


def refresh_models(*current: str | None) -> list[Any]:
    """On page load: the published models of each tab (new ones appear without a restart), and the tab notices."""
    dropdowns, notices = [], []
    for task, value in zip(TASKS, current, strict=True):
        names = published_names(task)
        chosen = value if value in names else default_model(task, names)
        # Only what changed: setting a dropdown's value fires its change event, which for the VAE and GAN tabs
        # loads the model; a plain page view must not load anything.
        update: dict[str, Any] = {} if names == BUILT_CHOICES.get(task) else {"choices": model_choices(task)}
        if chosen != value:
            update["value"] = chosen
        dropdowns.append(gr.update(**update))
        notices.append(tab_notice(task, chosen))
    return dropdowns + notices


def notice_for(task: str) -> Callable[[str | None], str]:
    return lambda name: tab_notice(task, name)


# ------------------------------------------------------------------------------------------------ layout
SWATCH = "display:inline-block;width:14px;height:14px;vertical-align:middle;border:1px solid #888;background:"
FACADE_LEGEND = " ".join(
    f'<span style="margin-right:8px;white-space:nowrap"><span style="{SWATCH}{facades.hex_colour(rgb)}"></span> '
    f"{name}</span>"
    for _, name, rgb in facades.FACADE_CLASSES
)


def tab_header(task: str, elem_id: str) -> tuple[gr.Markdown, gr.Dropdown]:
    """The notice line (model description, or why there is nothing to run yet) and the model dropdown of a tab."""
    names = published_names(task)
    BUILT_CHOICES[task] = names
    notice = gr.Markdown(tab_notice(task, default_model(task, names)), elem_id=f"{elem_id}-notice")
    return notice, model_dropdown(task, f"{elem_id}-model")


def denoise_tab() -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("denoise", "denoise")
    with gr.Row():
        with gr.Column():
            image = image_input("Noisy image (or a clean one, with synthetic noise)", "denoise-input")
            blind = gr.Checkbox(True, label="Noise level: auto (blind estimate)")
            sigma = gr.Slider(0, 75, value=25, step=1, label="Noise level σ (0-255), used when not auto")
            add_noise = gr.Checkbox(False, label="Add synthetic noise first (then PSNR vs your image)")
            added = gr.Slider(0, 75, value=25, step=1, label="Synthetic noise σ")
            run = gr.Button("Denoise", variant="primary", elem_id="denoise-run")
        with gr.Column():
            slider = gr.ImageSlider(label="Before / after", type="pil", format="png", elem_id="denoise-slider")
            output = image_output("Denoised (PNG)", "denoise-output")
            info = gr.Markdown(elem_id="denoise-info")
    gr.Examples(examples_of("denoise"), [image], api_name="denoise_load_example")
    run.click(
        denoise, [model, image, sigma, blind, add_noise, added], [slider, output, info],
        api_name="denoise", **queued("denoise"),
    )  # fmt: skip
    return notice, model


def colorize_tab() -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("colorize", "colorize")
    with gr.Row():
        with gr.Column():
            image = image_input("Gray or colour image (colour is desaturated first)", "colorize-input")
            run = gr.Button("Colourise", variant="primary", elem_id="colorize-run")
        with gr.Column():
            with gr.Row():
                gray = image_output("What the model sees (gray)", "colorize-gray")
                output = image_output("Colourised (PNG)", "colorize-output")
            original = image_output("Your original colours, for comparison", "colorize-original")
            info = gr.Markdown(elem_id="colorize-info")
    gr.Examples(examples_of("colorize"), [image], api_name="colorize_load_example")
    run.click(colorize, [model, image], [gray, output, original, info], api_name="colorize", **queued("colorize"))
    return notice, model


def super_resolution_tab() -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("super-resolution", "superres")
    with gr.Row():
        with gr.Column():
            image = image_input("Low-resolution image", "superres-input")
            run = gr.Button("Upscale", variant="primary", elem_id="superres-run")
        with gr.Column():
            with gr.Row():
                output = image_output("Model (PNG)", "superres-output")
                bicubic = image_output("Bicubic", "superres-bicubic")
            info = gr.Markdown(elem_id="superres-info")
    gr.Examples(examples_of("superres"), [image], api_name="super_resolve_load_example")
    run.click(
        super_resolve, [model, image], [output, bicubic, info], api_name="super_resolve", **queued("super-resolution")
    )
    return notice, model


def pix2pix_tab() -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("pix2pix", "pix2pix")
    with gr.Row():
        with gr.Column():
            image = image_input("Input (label map, shapes, aerial photo...)", "pix2pix-input")
            run = gr.Button("Translate", variant="primary", elem_id="pix2pix-run")
        with gr.Column():
            output = image_output("Output (PNG)", "pix2pix-output")
            info = gr.Markdown(elem_id="pix2pix-info")
    gr.Examples(examples_of("pix2pix"), [image], api_name="pix2pix_load_example")
    with gr.Accordion("Paint a facade label map (for pix2pix-facades)", open=True):
        gr.HTML(f"<div>Brush colours are the 12 CMP facade labels: {FACADE_LEGEND}</div>")
        with gr.Row():
            painter = facade_painter()
            with gr.Column():
                snapped = image_output("Label map as given to the model", "pix2pix-snapped")
                painted = image_output("Facade (PNG)", "pix2pix-painted-output")
        paint_run = gr.Button("Translate painting", elem_id="pix2pix-paint-run")
    run.click(pix2pix, [model, image], [output, info], api_name="pix2pix", **queued("pix2pix"))
    paint_run.click(
        pix2pix_painting, [model, painter], [snapped, painted, info], api_name="pix2pix_painting", **queued("pix2pix")
    )
    return notice, model


def cyclegan_tab() -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("cyclegan", "cyclegan")
    with gr.Row():
        with gr.Column():
            direction = gr.Radio([("A → B", "AtoB"), ("B → A", "BtoA")], value="AtoB", label="Direction")
            image = image_input("Input", "cyclegan-input")
            run = gr.Button("Translate and back", variant="primary", elem_id="cyclegan-run")
        with gr.Column():
            with gr.Row():
                x = image_output("x", "cyclegan-x")
                forward = image_output("G(x) (PNG)", "cyclegan-forward")
                back = image_output("F(G(x))", "cyclegan-back")
            info = gr.Markdown(elem_id="cyclegan-info")
    gr.Examples(examples_of("cyclegan"), [image], api_name="cyclegan_load_example")
    run.click(cyclegan, [model, image, direction], [x, forward, back, info], api_name="cyclegan", **queued("cyclegan"))
    return notice, model


def vae_tab(tab: gr.Tab) -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("vae", "vae")
    z_state = gr.State([])  # the full latent of the last random sample; the sliders override its first dimensions
    with gr.Row():
        with gr.Column():
            sliders = [
                gr.Slider(-3, 3, value=0, step=0.05, label=f"z{i + 1}", visible=i < 2, elem_id=f"vae-z{i + 1}")
                for i in range(Z_SLIDERS)
            ]
            with gr.Row():
                seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                sample = gr.Button("Random sample", elem_id="vae-sample")
        with gr.Column():
            decoded = image_output("Decoded (PNG)", "vae-decoded", height=260)
    with gr.Row():
        with gr.Column():
            manifold_run = gr.Button("Show the latent manifold", elem_id="vae-manifold-run")
            manifold = image_output("Manifold: decodings over z1, z2 in [-3, 3]", "vae-manifold")
        with gr.Column():
            scatter_run = gr.Button("Encode the test set", elem_id="vae-scatter-run")
            scatter = gr.ScatterPlot(
                x="z1", y="z2", color="class", label="Test-set encodings by class", height=460, tooltip="all",
                elem_id="vae-scatter",
            )  # fmt: skip
            scatter_info = gr.Markdown(elem_id="vae-scatter-info")
    gr.Markdown("### Interpolate between two digits\nDraw in black (it is inverted for the model) or upload.")
    with gr.Row():
        sketch_a = digit_sketchpad("Digit A", "vae-digit-a")
        sketch_b = digit_sketchpad("Digit B", "vae-digit-b")
    with gr.Row():
        steps = gr.Slider(3, 16, value=8, step=1, label="Steps")
        interpolate_run = gr.Button("Interpolate", variant="primary", elem_id="vae-interpolate-run")
    strip = image_output("Interpolation (PNG strip)", "vae-strip")
    with gr.Row():
        gif = gr.Image(label="Animated", type="filepath", interactive=False, elem_id="vae-gif", height=220)
        seen = image_output("Your digits as the model sees them", "vae-seen", height=220)
    gr.Examples(
        [[str(EXAMPLES / "vae" / "digit_3.png"), str(EXAMPLES / "vae" / "digit_8.png")]], [sketch_a, sketch_b],
        api_name="vae_load_example", elem_id="vae-examples",
    )  # fmt: skip

    options = queued("vae")
    model_outputs = [notice, z_state, *sliders]
    tab.select(vae_model_info, [model], model_outputs, api_name="vae_tab", **options)
    model.change(vae_model_info, [model], model_outputs, api_name="vae_model_info", **options)
    gr.on(
        [z.input for z in sliders], vae_decode, [model, z_state, *sliders], decoded,
        api_name="vae_decode", trigger_mode="always_last", show_progress="hidden", **options,
    )  # fmt: skip
    sample.click(vae_random, [model, seed], [decoded, z_state, *sliders], api_name="vae_random", **options)
    manifold_run.click(vae_manifold, [model], manifold, api_name="vae_manifold", **options)
    scatter_run.click(vae_scatter, [model], [scatter, scatter_info], api_name="vae_scatter", **options)
    interpolate_run.click(
        vae_interpolate, [model, sketch_a, sketch_b, steps], [strip, gif, seen], api_name="vae_interpolate", **options
    )
    return notice, model


def gan_tab(tab: gr.Tab) -> tuple[gr.Markdown, gr.Dropdown]:
    notice, model = tab_header("gan", "gan")
    with gr.Row():
        with gr.Column():
            # filled when the model loads; allow_custom_value lets API callers name any class of the model
            label = gr.Dropdown(
                ["any"], value="any", label="Class (conditional models)", allow_custom_value=True, elem_id="gan-label"
            )
            seed = gr.Number(0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed", elem_id="gan-seed")
            count = gr.Slider(1, 64, value=16, step=1, label="Samples")
            with gr.Row():
                run = gr.Button("Generate", variant="primary", elem_id="gan-run")
                randomise = gr.Button("Randomise", elem_id="gan-randomise")
        with gr.Column():
            samples = image_output("Samples (PNG)", "gan-samples")
            info = gr.Markdown(elem_id="gan-info")
    with gr.Row():
        seed_a = gr.Number(0, precision=0, minimum=0, label="Seed A")
        seed_b = gr.Number(1, precision=0, minimum=0, label="Seed B")
        steps = gr.Slider(3, 16, value=8, step=1, label="Steps")
        interpolate_run = gr.Button("Interpolate", elem_id="gan-interpolate-run")
    strip = image_output("Interpolation (PNG strip)", "gan-strip")
    gif = gr.Image(label="Animated", type="filepath", interactive=False, elem_id="gan-gif", height=220)

    options = queued("gan")
    tab.select(gan_model_info, [model], [notice, label], api_name="gan_tab", **options)
    model.change(gan_model_info, [model], [notice, label], api_name="gan_model_info", **options)
    run.click(gan_sample, [model, seed, count, label], [samples, info], api_name="gan_sample", **options)
    randomise.click(gan_randomise, [model, count, label], [seed, samples, info], api_name="gan_randomise", **options)
    interpolate_run.click(
        gan_interpolate, [model, seed_a, seed_b, steps, label], [strip, gif], api_name="gan_interpolate", **options
    )
    return notice, model


def _save_pil_to_cache_once(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """gradio's output cache, without its race: the file is named after its content, and gradio rewrote it in place
    on every save, so two visitors getting the same output at once could truncate a file while it was being served
    (seen as failed downloads in tests/reliability/test_load.py). Write it only when missing, atomically."""
    import threading

    from gradio import processing_utils

    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    target = (folder / f"{name}.{format}").resolve()
    if not (target.is_file() and target.stat().st_size == len(data)):
        partial = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
    return str(target)


def build_demo() -> gr.Blocks:
    """The Blocks app (not launched). Reads the catalog for the dropdowns; loads no model."""
    from gradio import processing_utils

    processing_utils.save_pil_to_cache = _save_pil_to_cache_once
    with gr.Blocks(title="Image-to-image model zoo", analytics_enabled=False) as demo:
        gr.Markdown(
            "# Image-to-image model zoo\nSmall PyTorch models for denoising, colourisation, super-resolution, "
            "pix2pix, CycleGAN, a VAE latent explorer and GAN samplers. Models load on first use; every image "
            "output is a PNG you can download."
        )
        headers: dict[str, tuple[gr.Markdown, gr.Dropdown]] = {}
        with gr.Tabs():
            with gr.Tab("Restore a photo", id="restore"):
                restore_notice = restore_tab.build()
            with gr.Tab("Denoise", id="denoise"):
                headers["denoise"] = denoise_tab()
            with gr.Tab("Colorize", id="colorize"):
                headers["colorize"] = colorize_tab()
            with gr.Tab("Super-resolve", id="super-resolution"):
                headers["super-resolution"] = super_resolution_tab()
            with gr.Tab("Pix2Pix", id="pix2pix"):
                headers["pix2pix"] = pix2pix_tab()
            with gr.Tab("CycleGAN", id="cyclegan"):
                headers["cyclegan"] = cyclegan_tab()
            with gr.Tab("VAE latent explorer", id="vae") as tab:
                headers["vae"] = vae_tab(tab)
            with gr.Tab("GAN sampler", id="gan") as tab:
                headers["gan"] = gan_tab(tab)

        for task in ("denoise", "colorize", "super-resolution", "pix2pix", "cyclegan"):  # VAE, GAN: model info
            notice, model = headers[task]
            model.change(
                notice_for(task), [model], notice, api_name=f"{task.replace('-', '_')}_notice",
                queue=False, show_progress="hidden",
            )  # fmt: skip
        notices = [headers[task][0] for task in TASKS]
        dropdowns = [headers[task][1] for task in TASKS]
        demo.load(
            refresh_models, dropdowns, dropdowns + notices, api_name="refresh_models", queue=False,
            show_progress="hidden",
        )  # fmt: skip
        demo.load(
            restore_tab.chain_notice, None, restore_notice, api_name="restore_notice", queue=False,
            show_progress="hidden",
        )  # fmt: skip
    return demo


# ------------------------------------------------------------------------------------------------ launch
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the image-to-image model zoo app.")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1; 0.0.0.0 on a Space)")
    parser.add_argument("--port", type=int, default=None, help="port (default $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up requests
    limits = Settings.from_env()
    host, port = args.host or default_host(), args.port or default_port()
    demo = build_demo()
    demo.queue(max_size=64, default_concurrency_limit=limits.concurrency)
    demo.launch(
        server_name=host,
        server_port=port,
        share=args.share,
        allowed_paths=[str(EXAMPLES)],
        max_file_size=f"{limits.max_upload_mb}mb",
        prevent_thread_lock=True,
    )
    age = seconds_since_process_start()
    LOG.info("serving on http://%s:%d%s", host, port, f", {age:.1f} s after the process started" if age else "")
    demo.block_thread()


if __name__ == "__main__":
    main()
