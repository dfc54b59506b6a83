"""The CycleGAN tab: x, its translation G(x) and the round trip F(G(x)) back, with the cycle error."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from app_support import lanes, media, params
from app_support.ui import (
    PROGRESS,
    encoding,
    examples_of,
    image_input,
    image_output,
    pipeline,
    prepare,
    report,
    tab_header,
    user_errors,
)


@user_errors
def cyclegan(
    model: str | None,
    image: Any,
    direction: str = "AtoB",
    progress: gr.Progress = PROGRESS,
    *,
    full: bool = False,
) -> tuple[Image.Image, Image.Image, Image.Image, str]:
    """x, G(x) and F(G(x)): the translation and the round trip back (at the preview size unless ``full``)."""
    direction = params.choice(direction, "Direction", ["AtoB", "BtoA"], default="AtoB")
    pipe = pipeline("cyclegan", model, progress)
    progress(0.0, desc="Reading the image...")
    prepared = prepare(image, full=full)
    x = prepared.image.convert("RGB")
    progress(0.2, desc="Translating and back (each network runs once, at its working size)...")
    forward, back = pipe.round_trip(x, direction)
    stem = media.source_stem(image)
    forward, back = media.named(forward, stem, pipe.name, direction), media.named(back, stem, pipe.name, "round-trip")
    source, target = pipe.domains if direction == "AtoB" else pipe.domains[::-1]
    error = np.abs(np.asarray(x, np.float32) - np.asarray(back.convert("RGB"), np.float32)).mean() / 255.0
    line = f"{source} → {target} → {source}; cycle error mean |x − F(G(x))| = {error:.3f} (0-1 scale)."
    encoding(progress)
    return x, forward, back, report(line, notices=prepared.notices)


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("cyclegan", "cyclegan")
    with gr.Row():
        with gr.Column():
            direction = gr.Radio([("A → B", "AtoB"), ("B → A", "BtoA")], value="AtoB", label="Direction")
            image = image_input("Input", "cyclegan-input")
            runs = lanes.buttons("Translate and back", "cyclegan")
        with gr.Column():
            with gr.Row():
                x = image_output("x", "cyclegan-x")
                forward = image_output("G(x) (PNG)", "cyclegan-forward")
                back = image_output("F(G(x))", "cyclegan-back")
            info = gr.Markdown(elem_id="cyclegan-info")
    gr.Examples(examples_of("cyclegan"), [image], api_name="cyclegan_load_example")
    lanes.wire(runs, cyclegan, [model, image, direction], [x, forward, back, info], "cyclegan", "cyclegan")
    return notice, model
