"""The Super-resolve tab: upscale an upload by the model's factor, tile by tile with progress, beside a bicubic
upscale of the same input."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from app_support import lanes, media
from app_support.ui import (
    PROGRESS,
    comparison_output,
    encoding,
    examples_of,
    forget_results,
    image_input,
    image_output,
    pipeline,
    prepare,
    report,
    settings,
    size_of,
    tab_header,
    user_errors,
)


@user_errors
def super_resolve(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS, *, full: bool = False
) -> tuple[Image.Image, Image.Image, str]:
    """Upscale by the model's factor (a preview's result has at most ``ZOO_APP_PREVIEW_PIXELS`` unless ``full``); a
    bicubic upscale of the same input for comparison."""
    pipe = pipeline("super-resolution", model, progress)
    limits = settings()
    progress(0.0, desc="Reading the image...")
    limit = min(limits.max_pixels, limits.max_upscale_pixels)
    prepared = prepare(image, max_pixels=limit, full=full, scale=pipe.scale)
    low = prepared.image
    scale = pipe.scale
    progress(0.05, desc=f"Upscaling x{scale}...")
    out = pipe(low, progress=lambda done: progress(0.05 + 0.85 * done, desc=f"Upscaling x{scale} tile by tile..."))
    bicubic = low.resize(out.size, Image.Resampling.BICUBIC)
    line = f"Input {size_of(low)} → output **{size_of(out)}** (x{scale}); bicubic beside it at the same size."
    stem = media.source_stem(image)
    shown, tiny = media.for_display(media.named(out, stem, pipe.name))
    bicubic = media.for_display(media.named(bicubic, stem, f"bicubic-x{scale}"))[0]
    encoding(progress)
    return shown, bicubic, report(line, tiny, notices=prepared.notices)


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("super-resolution", "superres")
    with gr.Row():
        with gr.Column():
            image = image_input("Low-resolution image", "superres-input")
            runs = lanes.buttons("Upscale", "superres")
        with gr.Column():
            with gr.Row():
                output = image_output("Model (PNG)", "superres-output")
                bicubic = comparison_output("Bicubic (JPEG)", "superres-bicubic")
            info = gr.Markdown(elem_id="superres-info")
    gr.Examples(examples_of("superres"), [image], api_name="super_resolve_load_example")
    lanes.wire(runs, super_resolve, [model, image], [output, bicubic, info], "super_resolve", "super-resolution")
    forget_results(model, [output, bicubic, info])
    return notice, model
