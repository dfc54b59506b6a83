"""The Colorize tab: colourise a gray photo (a colour upload is desaturated first and kept for comparison), then
steer it with colour hints when the chosen model takes them.

Hints (Zhang et al. 2017, ``ColorizePipeline(image, hints=...)``): after a colourisation, the visitor clicks the hint
preview (the result, shown at ``PREVIEW_SIDE`` pixels with the hints as numbered dots). A click pins a hint at that
pixel with the colour the model chose there and selects it; the colour picker then sets the selected hint's colour;
clicking an existing dot selects it again. "Colourise with hints" runs the model once with all hints, and "Reset
hints" clears them. Re-colourising is a button, not automatic: a new hint starts with the model's own colour, so
only a colour change is news, and the picker sends a change per drag step; one model run per press keeps the
tab's queue (one job at a time) free for other visitors.

Hints are ``[[x, y, colour], ...]`` in pixel coordinates of the upload as the visitor sees it (upright, before any
downscaling by the app), colour ``"#rrggbb"`` or ``[r, g, b]`` in 0-255; at most ``MAX_HINTS`` (64; parsing and the
preview in ``app_support/hints.py``). That list is the ``/colorize_hints`` API input; the app scales it to the image
the model gets. A model that takes no hints (its
network has no hint input) colourises without them, and the tab and the result say so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from app_support import lanes, media
from app_support.hints import (
    DOT_RADIUS,
    MAX_HINTS,
    Hint,
    as_json,
    draw_preview,
    hex_of,
    hint_list,
    parse_colour,
    parse_hints,
    preview_size,
    to_image,
)
from app_support.models import entry_key, published_names
from app_support.ui import (
    MODELS,
    PROGRESS,
    encoding,
    examples_of,
    forget_results,
    image_input,
    image_output,
    pipeline,
    prepare,
    queued,
    report,
    size_of,
    tab_header,
    user_errors,
)
from zoo import registry
from zoo.errors import InputError

DEFAULT_COLOUR = "#d03c28"


# ---------------------------------------------------------------------------------------- which models take hints
def _published_config(entry: registry.ModelEntry) -> dict | None:
    """The published ``model/config.json`` of a catalog entry when it is on disk already (mirror or Hub cache) and
    matches the catalog's hash; None otherwise. Reads one small file: no download, no torch."""
    import hashlib

    from huggingface_hub import try_to_load_from_cache

    from zoo import hub

    folder = hub.mirror_folder(entry.repo_id)
    path = folder / "model" / "config.json" if folder is not None else None
    if path is None or not path.is_file():
        found = try_to_load_from_cache(entry.repo_id, "model/config.json", revision=entry.revision)
        path = Path(found) if isinstance(found, str) else None
    if path is None:
        return None
    try:
        data = path.read_bytes()
        if entry.files.get("model/config.json") not in (None, hashlib.sha256(data).hexdigest()):
            return None
        return json.loads(data)
    except (OSError, ValueError):
        return None


def takes_hints(name: str | None) -> bool | None:
    """Whether the published colorize model ``name`` takes colour hints: from the loaded pipeline, else from its
    network's config on disk (4 input channels, as ``ColorizePipeline.takes_hints``); None when not known yet."""
    entry = registry.get_entry(name) if name else None
    if entry is None or entry.task != "colorize" or not entry.published:
        return None
    pipe = MODELS.peek(entry_key(entry))
    if pipe is not None:
        return bool(pipe.takes_hints)
    config = _published_config(entry)
    return None if config is None else int(config.get("in_channels", 1)) == 4


def hint_note(name: str | None) -> str:
    """What the hint controls do with the chosen model, in a sentence or two."""
    if not name or registry.get_entry(name) is None:
        return "Colour hints: choose a model first."
    support = takes_hints(name)
    if support is None:
        return f"Whether **{name}** takes colour hints is known once it is loaded: colourise once."
    if support:
        return (
            f"**{name}** takes colour hints. After colourising, click the picture below to pin a hint at that point "
            "(it starts with the colour the model chose there), pick its colour, then press **Colourise with "
            f"hints**. Click a dot again to select it; up to {MAX_HINTS} hints."
        )
    others = [other for other in published_names("colorize") if other != name and takes_hints(other)]
    instead = f"Choose {' or '.join(others)} to use them." if others else "No model that takes hints is published yet."
    return (
        f"⚠️ **{name}** ignores colour hints: it was trained without them, so 'Colourise with hints' is off. {instead}"
    )


def _canvas_or_error(canvas: dict | None) -> dict:
    if not canvas:
        raise InputError("Colourise an image first, then click the result to add colour hints.")
    return canvas


# ------------------------------------------------------------------------------------------------ handlers
def _colourise(
    model: str | None, image: Any, hints: Any, progress: gr.Progress, full: bool = False
) -> tuple[Image.Image, Image.Image, Image.Image | None, str, dict]:
    """(gray, colourised, the original colours or None, report, hint canvas) for the handlers below; at the preview
    size unless ``full``."""
    pipe = pipeline("colorize", model, progress)
    progress(0.0, desc="Reading the image...")
    prepared = prepare(image, full=full)
    original = prepared.image
    parsed = parse_hints(hints, prepared.original_size)
    gray = original.convert("L")
    is_colour = original.mode == "RGB" and np.ptp(np.asarray(original, dtype=np.int16), axis=2).max() > 2
    used, hint_line = None, ""
    if parsed and pipe.takes_hints:
        sx, sy = original.width / prepared.original_size[0], original.height / prepared.original_size[1]
        used = [(x * sx, y * sy, rgb) for x, y, rgb in parsed]  # in the (possibly downscaled) image the model gets
        hint_line = f"Colour hints used: {len(parsed)}."
    elif parsed:
        count = f"{len(parsed)} hints were" if len(parsed) > 1 else "hint was"
        hint_line = f"⚠️ {pipe.name} ignores colour hints (it was trained without them): your {count} not used."
    progress(0.2, desc="Colourising (the network runs once, at its working size)...")
    out = media.named(pipe(gray, hints=used), media.source_stem(image), pipe.name, "hints" if used else "")
    progress(0.8, desc="Comparing with your colours...")
    if is_colour:
        from zoo.metrics import psnr

        score = psnr(np.asarray(original), np.asarray(out))
        line = f"Your colour image was desaturated first; PSNR of the colourisation against it: {score:.2f} dB."
    else:
        line = "Gray input: there is no original colour to compare with."
    info = report(line, hint_line, f"Output {size_of(out)} RGB.", notices=prepared.notices)
    canvas = {"image": out, "size": prepared.original_size}
    encoding(progress)
    return gray, out, original if is_colour else None, info, canvas


@user_errors
def colorize(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS, *, full: bool = False
) -> tuple[Image.Image, Image.Image, Image.Image | None, str]:
    """Colourise; a colour upload is desaturated first and returned as the original for comparison."""
    return _colourise(model, image, None, progress, full)[:4]


@user_errors
def colorize_hints(
    model: str | None, image: Any, hints: Any = None, progress: gr.Progress = PROGRESS
) -> tuple[Image.Image, Image.Image, Image.Image | None, str]:
    """Colourise with colour hints ``[[x, y, "#rrggbb"], ...]`` in the upload's pixel coordinates (see the module
    docstring); a model that takes no hints colourises without them and the report says so."""
    return _colourise(model, image, hints, progress)[:4]


@user_errors
def colorize_in_tab(
    model: str | None, image: Any, progress: gr.Progress = PROGRESS, *, full: bool = False
) -> tuple[Any, ...]:
    return _colourise(model, image, None, progress, full)  # the tab's /colorize: also the hint canvas (a gr.State)


@user_errors
def colorize_hints_in_tab(
    model: str | None, image: Any, hints: Any = None, progress: gr.Progress = PROGRESS
) -> tuple[Any, ...]:
    return _colourise(model, image, hints, progress)


@user_errors
def show_hints(model: str | None, canvas: dict | None, hints: Any) -> tuple[Any, str, str, Any]:
    """After a colourisation: the preview with the hints, their list, and the hint note for the model."""
    parsed = parse_hints(hints, canvas["size"]) if canvas else []
    preview = draw_preview(canvas, parsed) if canvas else None
    return preview, hint_list(parsed), *note_update(model)


def note_update(model: str | None) -> tuple[str, Any]:
    """The hint note, and the 'Colourise with hints' button off for a model known to ignore hints."""
    return hint_note(model), gr.update(interactive=takes_hints(model) is not False)


@user_errors
def add_hint(canvas: dict | None, hints: Any, evt: gr.SelectData) -> tuple[list, str, Image.Image, str]:
    """A click on the preview: select the hint whose dot was clicked, or pin a new one at that pixel with the
    colourisation's colour there. Returns the hints, the picker's colour, the preview and the list."""
    canvas = _canvas_or_error(canvas)
    parsed = parse_hints(hints, canvas["size"])
    shown = preview_size(canvas["image"].size)
    px, py = (float(v) for v in evt.index)
    width, height = canvas["size"]

    def distance(hint: Hint) -> float:
        return math.hypot((hint[0] + 0.5) * shown[0] / width - px, (hint[1] + 0.5) * shown[1] / height - py)

    near = min(range(len(parsed)), key=lambda k: distance(parsed[k]), default=None)
    if near is not None and distance(parsed[near]) <= DOT_RADIUS + 2:
        hint = parsed.pop(near)
    elif len(parsed) >= MAX_HINTS:
        raise InputError(f"That is the limit of {MAX_HINTS} colour hints: press 'Reset hints' to start again.")
    else:
        x, y = to_image(evt.index, shown, canvas["size"])
        cx, cy = to_image(evt.index, shown, canvas["image"].size)
        hint = (x, y, tuple(int(v) for v in canvas["image"].convert("RGB").getpixel((cx, cy))))
    parsed.append(hint)
    return as_json(parsed), hex_of(hint[2]), draw_preview(canvas, parsed), hint_list(parsed)


@user_errors
def set_hint_colour(canvas: dict | None, hints: Any, colour: str) -> tuple[Any, Any, Any]:
    """The picker changed: the selected (last) hint takes its colour. Nothing changes when it has that colour
    already: then the change came from ``add_hint`` setting the picker, and answering with this (older) hint list
    could overwrite the list of a click made meanwhile."""
    parsed = parse_hints(hints, _canvas_or_error(canvas)["size"])
    rgb = parse_colour(colour)
    if not parsed or parsed[-1][2] == rgb:  # no hint yet (the picker waits for the next click), or nothing new
        return gr.update(), gr.update(), gr.update()
    x, y, _ = parsed[-1]
    parsed[-1] = (x, y, rgb)
    return as_json(parsed), draw_preview(canvas, parsed), hint_list(parsed)


def reset_hints(canvas: dict | None) -> tuple[list, Image.Image | None, str]:
    """No hints: the preview shows the latest colourisation alone."""
    return [], draw_preview(canvas, []) if canvas else None, hint_list([])


def new_image() -> tuple[list, None, None, str]:
    """A new upload: its hints, canvas and preview start empty."""
    return [], None, None, hint_list([])


# ------------------------------------------------------------------------------------------------ layout
def build() -> tuple[gr.Markdown, gr.Dropdown]:
    """The tab's layout and events (call inside a ``gr.Tab``); returns its notice line and model dropdown."""
    notice, model = tab_header("colorize", "colorize")
    with gr.Row():
        with gr.Column():
            image = image_input("Gray or colour image (colour is desaturated first)", "colorize-input")
            runs = lanes.buttons("Colourise", "colorize")
        with gr.Column():
            with gr.Row():
                gray = image_output("What the model sees (gray)", "colorize-gray")
                output = image_output("Colourised (PNG)", "colorize-output")
            original = image_output("Your original colours, for comparison", "colorize-original")
            info = gr.Markdown(elem_id="colorize-info")
    gr.Examples(examples_of("colorize"), [image], api_name="colorize_load_example")
    with gr.Accordion("Colour hints", open=True, elem_id="colorize-hints"):
        note = gr.Markdown(hint_note(model.value), elem_id="colorize-hints-note")
        with gr.Row():
            preview = gr.Image(
                label="Click the result to add a hint (colourise first)", type="pil", format="png",
                interactive=False, elem_id="colorize-hints-preview",
            )  # fmt: skip
            with gr.Column():
                colour = gr.ColorPicker(
                    DEFAULT_COLOUR, label="Colour of the selected hint", elem_id="colorize-hint-colour"
                )
                listed = gr.Markdown(hint_list([]), elem_id="colorize-hints-list")
                with gr.Row():
                    hints_run = gr.Button(
                        "Colourise with hints", variant="primary", elem_id="colorize-hints-run",
                        interactive=takes_hints(model.value) is not False,
                    )  # fmt: skip
                    reset = gr.Button("Reset hints", elem_id="colorize-hints-reset")
        hints = gr.JSON([], visible="hidden", elem_id="colorize-hints-json")  # the /colorize_hints input
    canvas = gr.State(None)  # the latest colourisation and the upload's size, for clicks and dots

    ui_only = {"queue": False, "show_progress": "hidden", "api_visibility": "undocumented"}
    shown = [gray, output, original, info, canvas]
    after = [model, canvas, hints], [preview, listed, note, hints_run]
    quick, slow = lanes.wire(runs, colorize_in_tab, [model, image], shown, "colorize", "colorize")
    quick.success(show_hints, *after, api_name="colorize_show_hints", **ui_only)
    slow.success(show_hints, *after, api_name="colorize_full_show_hints", **ui_only)
    hints_run.click(
        colorize_hints_in_tab, [model, image, hints], shown, api_name="colorize_hints", **queued("colorize")
    ).success(show_hints, *after, api_name="colorize_hints_show", **ui_only)
    model.change(
        note_update, [model], [note, hints_run], api_name="colorize_hints_note", queue=False, show_progress="hidden"
    )
    preview.select(add_hint, [canvas, hints], [hints, colour, preview, listed], api_name="colorize_add_hint", **ui_only)
    colour.change(
        set_hint_colour, [canvas, hints, colour], [hints, preview, listed], api_name="colorize_hint_colour",
        trigger_mode="always_last", **ui_only,
    )  # fmt: skip
    reset.click(reset_hints, [canvas], [hints, preview, listed], api_name="colorize_reset_hints", **ui_only)
    image.change(new_image, None, [hints, canvas, preview, listed], api_name="colorize_new_image", **ui_only)
    forget_results(model, [gray, output, original, info])
    return notice, model
