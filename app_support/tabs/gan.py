"""The GAN sampler tab: sample grids from a seed (per class for conditional models), fresh random seeds, and the
walk between two seeds' latents; the toy 2-D GAN draws its points against y = sin(x). Beside the samples, the model's
training diagnostics (its card's curves of both losses, D(x), D(G(z)), D's accuracies and the spread per label) when
its checkpoint has them."""

from __future__ import annotations

import random
from typing import Any

import gradio as gr
from PIL import Image

from app_support import media, params
from app_support.models import tab_notice
from app_support.ui import PROGRESS, image_output, pipeline, queued, tab_header, user_errors


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


@user_errors
def gan_curves(model: str | None, progress: gr.Progress = PROGRESS) -> Any:
    """The chosen GAN's training diagnostics (the card's image), hidden for a checkpoint published without them."""
    hidden = gr.update(value=None, visible=False)
    if not model:
        return hidden
    path = pipeline("gan", model, progress).training_curves
    if path is None:
        return hidden
    with Image.open(path) as image:
        return gr.update(value=image.convert("RGB"), visible=True)


def _label(pipe: Any, label: str | None) -> str | None:
    if not pipe.labels or label in (None, "", "any"):
        return None
    return params.choice(label, "Class", ["any", *pipe.labels])


@user_errors
def gan_sample(
    model: str | None, seed: float = 0, count: float = 16, label: str | None = "any", progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, str]:
    """A grid of ``count`` samples from ``seed`` (the toy GAN: one plot of 500 points against y = sin(x))."""
    seed = params.integer(seed, "Seed", 0, params.MAX_SEED, default=0)
    count = params.integer(count, "Samples", 1, 64, default=16)
    pipe = pipeline("gan", model, progress)
    progress(0.5, desc="Sampling...")
    if hasattr(pipe, "sample_points"):
        plot = media.named(pipe.sample(500, seed=seed)[0], pipe.name, f"seed{seed}")
        return plot, f"500 points from seed {seed} (blue) against y = sin(x) (red)."
    chosen = _label(pipe, label)
    picture = media.grid(pipe.sample(count, seed=seed, label=chosen), min_side=84)
    media.named(picture, pipe.name, f"seed{seed}", f"class-{chosen}" if chosen else "")
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
    seed_a = params.integer(seed_a, "Seed A", 0, params.MAX_SEED, default=0)
    seed_b = params.integer(seed_b, "Seed B", 0, params.MAX_SEED, default=1)
    steps = params.integer(steps, "Steps", 3, 16, default=8)
    pipe = pipeline("gan", model, progress)
    progress(0.5, desc="Interpolating...")
    frames = pipe.interpolate(seed_a, seed_b, steps, label=_label(pipe, label))
    if hasattr(pipe, "sample_points"):
        frames = [media.fit_within(frame, 160) for frame in frames]
    strip = media.named(media.strip(frames, min_side=84), pipe.name, f"seed{seed_a}-to-seed{seed_b}")
    return strip, media.save_gif(frames, min_side=168)


def build(tab: gr.Tab) -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside its ``gr.Tab``, passed for its select event); returns its notice
    line and model dropdown."""
    notice, model = tab_header("gan", "gan", notice_event=False)
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
        with gr.Column():
            curves = image_output("How it trained (from its card)", "gan-curves", visible=False)
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
    gr.on([tab.select, model.change], gan_curves, [model], [curves], api_name="gan_curves", **options)
    run.click(gan_sample, [model, seed, count, label], [samples, info], api_name="gan_sample", **options)
    randomise.click(gan_randomise, [model, count, label], [seed, samples, info], api_name="gan_randomise", **options)
    interpolate_run.click(
        gan_interpolate, [model, seed_a, seed_b, steps, label], [strip, gif], api_name="gan_interpolate", **options
    )
    return notice, model
