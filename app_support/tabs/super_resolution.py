"""The Super-resolve tab: upscale an upload by the model's factor, tile by tile with progress, beside a bicubic
upscale of the same input."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from app_support.ui import (
    PROGRESS,
    examples_of,
    image_input,
    image_output,
    pipeline,
    prepare,
    queued,
    report,
    settings,
    size_of,
    tab_header,
    user_errors,
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


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
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
