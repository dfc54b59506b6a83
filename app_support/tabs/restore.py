"""The Restore tab: any photo through the zoo's chain (blind denoise / deblock, colourise a gray photo, upscale x2 or
x4), with a before/after slider and the time of every step. The same chain is ``zoo.restore`` in Python and
``/restore`` through the API."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from app_support import lanes, media, params
from app_support.ui import (
    PROGRESS,
    comparison_slider,
    encoding,
    examples_of,
    image_input,
    image_output,
    pipeline,
    prepare,
    report,
    settings,
    size_of,
    user_errors,
)
from zoo import registry
from zoo.chain import DEFAULT_MODELS, RestorePipeline, first_published

UPSCALE_CHOICES = [("none", 1), ("x2", 2), ("x4", 4)]
COLORIZE_CHOICES = [("auto (gray photos only)", "auto"), ("always", "always"), ("never", "never")]
STEP_TITLES = {"denoise": "denoise / deblock", "x2": "upscale x2", "x4": "upscale x4", "colorize": "colourise"}


def chain_notice() -> str:
    """Which model each step of the chain uses now (the first published of each preference list)."""
    parts = []
    for step, names in DEFAULT_MODELS.items():
        chosen = first_published(names)
        parts.append(f"{STEP_TITLES[step]}: **{chosen}**" if chosen else f"{STEP_TITLES[step]}: not available yet")
    return "Restores a photo with the zoo's models in one go. " + "; ".join(parts) + "."


def load_model(name: str, progress: gr.Progress) -> Any:
    entry = registry.get_entry(name)
    return pipeline(entry.task if entry else "denoise", name, progress)


@user_errors
def restore(
    image: Any,
    upscale: int = 1,
    colorize: str = "auto",
    auto_strength: bool = True,
    strength: float = 10.0,
    progress: gr.Progress = PROGRESS,
    *,
    full: bool = False,
) -> tuple[tuple[Image.Image, Image.Image], Image.Image, str]:
    """Run the restore chain on an upload (a preview's result has at most ``ZOO_APP_PREVIEW_PIXELS`` unless
    ``full``); returns (before, after) for the slider, the result, and the report."""
    upscale = params.choice(params.integer(upscale, "Upscale", 1, 4, default=1), "Upscale", [1, 2, 4])
    colorize = params.choice(colorize, "Colourise", [value for _, value in COLORIZE_CHOICES], default="auto")
    auto_strength = params.flag(auto_strength, "Strength: auto", True)
    strength = params.number(strength, "Strength", 0, 75, default=10)
    progress(0.0, desc="Reading the image...")
    prepared = prepare(image, full=full, scale=upscale)
    chain = RestorePipeline(load=lambda name: load_model(name, progress), max_output_pixels=settings().max_pixels)
    result = chain(
        prepared.image,
        upscale=upscale,
        colorize=colorize,
        strength=None if auto_strength else strength,
        progress=lambda fraction, text: progress(0.05 + 0.85 * fraction, desc=f"{text}..."),
    )
    out = media.named(result.image, media.source_stem(image), "restored")
    before = prepared.image.convert(out.mode).resize(out.size, Image.Resampling.BICUBIC)
    lines = [f"Step {k}: {step}." for k, step in enumerate(result.steps, 1)] or ["Nothing to do with these options."]
    lines.append(f"Input {size_of(prepared.image)} → output **{size_of(out)} {out.mode}** in {result.seconds:.2f} s.")
    encoding(progress)
    return (before, out), out, report(*lines, notices=[*prepared.notices, *result.notes])


def build() -> gr.Markdown:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line."""
    notice = gr.Markdown(chain_notice(), elem_id="restore-notice")
    with gr.Row():
        with gr.Column():
            image = image_input("Photo to restore (JPEG, phone photo, scan of an old print)", "restore-input")
            upscale = gr.Radio(UPSCALE_CHOICES, value=1, label="Upscale", elem_id="restore-upscale")
            colorize = gr.Radio(COLORIZE_CHOICES, value="auto", label="Colourise", elem_id="restore-colorize")
            auto = gr.Checkbox(True, label="Strength: auto (the model reads how damaged the photo is)")
            strength = gr.Slider(0, 75, value=10, step=1, label="Strength (0-255 scale), used when not auto")
            runs = lanes.buttons("Restore", "restore")
        with gr.Column():
            slider = comparison_slider("Before / after", "restore-slider")
            output = image_output("Restored (PNG)", "restore-output")
            info = gr.Markdown(elem_id="restore-info")
    gr.Examples(examples_of("restore"), [image], api_name="restore_load_example")
    lanes.wire(runs, restore, [image, upscale, colorize, auto, strength], [slider, output, info], "restore", "restore")
    return notice
