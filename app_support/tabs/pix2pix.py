"""The Pix2Pix tab: translate an upload with a pix2pix generator, or paint a facade label map with the 12 CMP label
colours (snapped to them before the model sees it)."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from app_support import facades, lanes, media
from app_support.client_limits import CANVAS_CLASS
from app_support.inputs import editor_image
from app_support.ui import (
    EXAMPLES,
    PROGRESS,
    encoding,
    examples_of,
    forget_results,
    image_input,
    image_output,
    pipeline,
    prepare,
    queued,
    readable_uploads,
    report,
    size_of,
    tab_header,
    user_errors,
)

SWATCH = "display:inline-block;width:14px;height:14px;vertical-align:middle;border:1px solid #888;background:"
FACADE_LEGEND = " ".join(
    f'<span style="margin-right:8px;white-space:nowrap"><span style="{SWATCH}{facades.hex_colour(rgb)}"></span> '
    f"{name}</span>"
    for _, name, rgb in facades.FACADE_CLASSES
)


@user_errors
def pix2pix(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS, *, full: bool = False
) -> tuple[Image.Image, str]:
    """Translate an uploaded image (e.g. a facade label map, violet circles) with a pix2pix generator (at the
    preview size unless ``full``)."""
    pipe = pipeline("pix2pix", model, progress)
    progress(0.0, desc="Reading the image...")
    prepared = prepare(image, "a label map or image", full=full)
    progress(0.2, desc="Translating (the network runs once, at its working size)...")
    out = media.named(pipe(prepared.image), media.source_stem(image), pipe.name)
    encoding(progress)
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
    out = media.named(pipe(labels), "painted", pipe.name)
    note = "Painted colours were snapped to the nearest facade label colour."
    if "facades" not in pipe.name:
        note += f" {pipe.name} was not trained on facade label maps, so expect little sense."
    return labels, out, report(note, f"{pipe.name}: output {size_of(out)}.", notices=prepared.notices)


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
        elem_classes=[CANVAS_CLASS],  # uploads are downscaled in the browser (app_support/client_limits.py)
    )
    return readable_uploads(painter)


def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("pix2pix", "pix2pix")
    with gr.Row():
        with gr.Column():
            image = image_input("Input (label map, shapes, aerial photo...)", "pix2pix-input")
            runs = lanes.buttons("Translate", "pix2pix")
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
                painted_info = gr.Markdown(elem_id="pix2pix-painted-info")
        paint_run = gr.Button("Translate painting", elem_id="pix2pix-paint-run")
    lanes.wire(runs, pix2pix, [model, image], [output, info], "pix2pix", "pix2pix")
    paint_run.click(
        pix2pix_painting, [model, painter], [snapped, painted, painted_info], api_name="pix2pix_painting",
        **queued("pix2pix"),
    )  # fmt: skip
    forget_results(model, [output, info, snapped, painted, painted_info])
    return notice, model
