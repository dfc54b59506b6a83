"""The VAE latent explorer tab: latent sliders decoded live, random samples from the prior, the decoded manifold of
the first two dimensions, the test set's encodings as a scatter plot, and the latent walk between two drawn digits."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from app_support import encodings, media, params
from app_support.client_limits import CANVAS_CLASS
from app_support.encodings import SCATTER_POINTS
from app_support.inputs import digit_from_drawing, editor_image
from app_support.models import ModelCache, entry_key, require_published, tab_notice
from app_support.ui import (
    EXAMPLES,
    PROGRESS,
    image_output,
    pipeline,
    prepare,
    queued,
    readable_uploads,
    settings,
    tab_header,
    user_errors,
)
from zoo.errors import InputError

ENCODINGS = ModelCache(4)  # test-set encodings for the scatter plot, per model
Z_SLIDERS = 6  # latent sliders shown for the first dimensions (2 for the 2-D VAE)
Z_LIMIT = 10.0  # API callers may go past the sliders' +-3, not to absurd values


def _z_vector(pipe: Any, state: Any, values: tuple[float, ...]) -> np.ndarray:
    """The latent: the stored full vector (from 'Random sample') with its first dimensions set by the sliders."""
    z = np.zeros(pipe.latent_dim, dtype=np.float32)
    if state is not None and len(state) == pipe.latent_dim:
        z[:] = np.asarray(state, dtype=np.float32)
    shown = min(len(values), pipe.latent_dim)
    z[:shown] = [params.number(v, f"z{i + 1}", -Z_LIMIT, Z_LIMIT, default=0.0) for i, v in enumerate(values[:shown])]
    return z


def _slider_updates(latent_dim: int, values: np.ndarray | None = None) -> list[Any]:
    return [
        gr.update(
            visible=index < latent_dim,
            # rounded as Python floats: a float32 0.3 would show in the slider's box as 0.30000001
            value=round(float(values[index]), 2) if values is not None and index < len(values) else 0.0,
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
    seed = params.integer(seed, "Seed", 0, params.MAX_SEED, default=0)
    pipe = pipeline("vae", model, progress)
    z = np.random.default_rng(seed).standard_normal(pipe.latent_dim).astype(np.float32)
    z[:Z_SLIDERS] = np.round(np.clip(z[:Z_SLIDERS], -3.0, 3.0), 2)  # what the sliders can show
    image = media.enlarge(pipe.decode(z)[0], 224)
    return (image, z.tolist(), *_slider_updates(pipe.latent_dim, z))


@user_errors
def vae_manifold(model: str | None, progress: gr.Progress = PROGRESS) -> Image.Image:
    """Decodings of a 15x15 grid over [-3, 3]² of the first two latent dimensions."""
    pipe = pipeline("vae", model, progress)
    return media.named(media.enlarge(pipe.manifold(15, 3.0), 600), pipe.name, "manifold")


@user_errors
def vae_scatter(model: str | None, progress: gr.Progress = PROGRESS) -> tuple[Any, str]:
    """Posterior means of the first ``SCATTER_POINTS`` test images, first two dimensions, coloured by class: encoded
    here when the server has the test set, else the encodings stored with the app for these weights
    (``app_support/encodings.py``)."""
    import pandas as pd

    from zoo.data import DatasetError

    pipe = pipeline("vae", model, progress)
    entry = require_published("vae", model)
    dataset = pipe.dataset
    dims = "the first two of its latent dimensions" if pipe.latent_dim > 2 else "its 2-D latent"

    def encode() -> tuple[pd.DataFrame, str]:
        try:
            say = lambda done, text: progress(done, desc=text)  # noqa: E731
            z, labels, names = pipe.encode_test_set(SCATTER_POINTS, progress=say)
            how = f"encoded by {pipe.name}"
        except DatasetError:
            stored = encodings.load(entry)
            if stored is None:
                raise
            z, labels, names = stored
            how = f"encoded by {pipe.name} when it was published (stored with the app: this server has no test set)"
        second = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z), np.float32)
        frame = pd.DataFrame({"z1": z[:, 0], "z2": second, "class": [str(names[k]) for k in labels]})
        return frame, f"{len(frame)} {dataset} test images {how} (posterior means, {dims})."

    try:
        return ENCODINGS.get(entry_key(entry), encode)
    except DatasetError:
        message = (
            f"The {dataset} test set is not on this server and no stored encodings match this version of "
            f"{pipe.name}, so there is nothing to plot."
        )
        gr.Warning(message)
        empty = pd.DataFrame(
            {"z1": pd.Series(dtype=float), "z2": pd.Series(dtype=float), "class": pd.Series(dtype=str)}
        )
        return empty, f"⚠️ {message}"


@user_errors
def vae_interpolate(
    model: str | None, drawing_a: Any, drawing_b: Any, steps: float = 8, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, str, Image.Image]:
    """Encode two drawn or uploaded digits, walk the latent line between them: a strip and an animated GIF."""
    steps = params.integer(steps, "Steps", 3, 16, default=8)
    pipe = pipeline("vae", model, progress)
    limit = settings().max_pixels
    digits = []
    for which, drawing in (("A", drawing_a), ("B", drawing_b)):
        picture = editor_image(drawing)
        if picture is None:  # nothing drawn, or an upload the browser could not show (not an image)
            raise InputError(
                f"Drawing {which} is empty: draw a digit in it, or upload a PNG, JPEG or WebP image "
                "(the browser does not show other files)."
            )
        digits.append(digit_from_drawing(prepare(picture, f"drawing {which}", limit).image))
    progress(0.5, desc="Interpolating...")
    frames = pipe.interpolate(digits[0], digits[1], steps)
    strip = media.named(media.strip(frames, min_side=84), pipe.name, "interpolation")
    return strip, media.save_gif(frames, min_side=168), media.strip(digits, min_side=84)


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
        elem_classes=[CANVAS_CLASS],  # uploads are downscaled in the browser (app_support/client_limits.py)
    )
    return readable_uploads(pad)


def build(tab: gr.Tab) -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside its ``gr.Tab``, passed for its select event); returns its notice
    line and model dropdown."""
    notice, model = tab_header("vae", "vae", notice_event=False)
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
    gr.Markdown(
        "### Interpolate between two drawings\nDraw a digit (vae-mnist) or a piece of clothing (vae-fashion) in "
        "black (it is inverted for the model), or upload one."
    )
    with gr.Row():
        sketch_a = digit_sketchpad("Drawing A", "vae-digit-a")
        sketch_b = digit_sketchpad("Drawing B", "vae-digit-b")
    with gr.Row():
        steps = gr.Slider(3, 16, value=8, step=1, label="Steps")
        interpolate_run = gr.Button("Interpolate", variant="primary", elem_id="vae-interpolate-run")
    strip = image_output("Interpolation (PNG strip)", "vae-strip")
    with gr.Row():
        gif = gr.Image(label="Animated", type="filepath", interactive=False, elem_id="vae-gif", height=220)
        seen = image_output("Your drawings as the model sees them", "vae-seen", height=220)
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
