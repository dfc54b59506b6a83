"""The CycleGAN tab: x, its translation G(x) and the round trip F(G(x)) back, with the cycle error."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from app_support import lanes, media, params
from app_support.ui import (
    PROGRESS,
    encoding,
    examples_of,
    forget_results,
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


def domains_of(name: str | None) -> tuple[str, str] | None:
    """The two domains a published CycleGAN translates between (its ``pipeline.json``, read from the mirror or the
    Hub cache without loading or downloading anything), or None when they are not known here."""
    from zoo import registry
    from zoo.hub import local_file

    entry = registry.get_entry(name) if isinstance(name, str) else None
    path = local_file(entry, "pipeline.json") if entry is not None and entry.task == "cyclegan" else None
    try:
        domains = json.loads(path.read_text())["options"]["domains"] if path else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    ok = isinstance(domains, list) and len(domains) == 2 and all(isinstance(d, str) and d for d in domains)
    return (domains[0][:40], domains[1][:40]) if ok else None


def directions(name: str | None) -> list[tuple[str, str]]:
    """The direction radio's choices, named after the model's domains ("violet circles → green squares")."""
    domains = domains_of(name)
    a, b = domains if domains else ("A", "B")
    return [(f"{a} → {b}", "AtoB"), (f"{b} → {a}", "BtoA")]


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("cyclegan", "cyclegan")
    with gr.Row():
        with gr.Column():
            direction = gr.Radio(directions(model.value), value="AtoB", label="Direction", elem_id="cyclegan-direction")
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
    model.change(
        lambda name: gr.update(choices=directions(name)), [model], [direction], queue=False, show_progress="hidden",
        api_visibility="private",
    )  # fmt: skip
    forget_results(model, [x, forward, back, info])
    return notice, model
