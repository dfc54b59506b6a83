"""The app's shared plumbing: the model cache, visitor-facing errors, input preparation, and the components and
event options every tab uses. Each tab module (``app_support/tabs/``) and ``app.py`` import from here."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

import zoo
from app_support import params
from app_support.inputs import Prepared, load_input, megapixels, peek_size
from app_support.models import (
    ModelCache,
    auto_max_models,
    default_model,
    entry_key,
    model_choices,
    published_names,
    require_published,
    tab_notice,
)
from app_support.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MODELS = ModelCache(Settings.from_env().max_models or auto_max_models())
LOG = logging.getLogger("zoo.app")
PROGRESS = gr.Progress()  # gradio finds the event's progress bar through this default (it keeps no state itself)
IMPORTING = threading.Lock()  # held by warm_up while it imports torch, diffusers and the pipelines
BUILT_CHOICES: dict[str, list[str]] = {}  # each tab's model list when the page was built (app.refresh_models)


def user_errors(fn: Callable) -> Callable:
    """Errors a visitor can act on become a ``gr.Error`` with their sentence; anything else is logged and reported
    briefly (the app keeps serving either way)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with IMPORTING:  # wait while warm_up imports the model code: diffusers' lazy module is not thread-safe
            pass
        try:
            return fn(*args, **kwargs)
        except gr.Error as error:
            error.print_exception = False  # gradio's own sentence (e.g. a Radio's choices): no traceback in the log
            raise
        except zoo.ZooError as error:  # a visitor's mistake: one log line, no traceback
            LOG.info("%s refused: %s", fn.__name__, params.quote(str(error)))
            raise gr.Error(str(error), title="Cannot do that", print_exception=False) from None
        except Exception as error:  # our bug: the traceback goes to the log once (not again by gradio)
            LOG.exception("%s failed", fn.__name__)
            raise gr.Error(
                f"{fn.__name__} failed unexpectedly ({type(error).__name__}: {error}).", print_exception=False
            ) from error

    return wrapper


def settings() -> Settings:
    return Settings.from_env()  # re-read per request: cheap, and tests can change the limits


def pipeline(task: str, name: str | None, progress: gr.Progress) -> Any:
    """The loaded pipeline of a published model (cached; loaded once, with a visible progress message)."""
    entry = require_published(task, name)

    def announce() -> None:
        loads = sum(MODELS.loads.values()) + 1
        LOG.info("loading %s (load %d since start; cache %d of %d)", entry.name, loads, len(MODELS.keys()),
                 MODELS.max_models)  # fmt: skip
        progress(0.0, desc=f"Loading {entry.name} (first use; later requests reuse it)...")

    return MODELS.get(entry_key(entry), lambda: zoo.load(entry.name), on_load=announce)


def start_warm_up(tasks: tuple[str, ...], preload: bool) -> threading.Thread:
    """``warm_up`` in a background thread, holding ``IMPORTING`` from this moment, so that no request starts its own
    import of the model code before the warm-up has finished it."""
    IMPORTING.acquire()
    thread = threading.Thread(target=warm_up, args=(tasks, preload, True), name="warm-up", daemon=True)
    thread.start()
    return thread


def warm_up(tasks: tuple[str, ...], preload: bool, imports_held: bool = False) -> None:
    """Import the model code (torch, diffusers, the pipelines and networks) right after the server starts, in the
    background, so the first visitors' requests do not stall the server while Python imports them; with ``preload``,
    also load each tab's default model. Logs what it did and how long it took; a failure is logged, never raised."""
    import time

    started = time.perf_counter()
    try:
        if not imports_held:
            IMPORTING.acquire()
        try:  # handlers wait for this: two threads importing diffusers at once break its lazy module
            import diffusers  # noqa: F401
            import torch  # noqa: F401

            import zoo.nets
            import zoo.pipelines  # noqa: F401
        finally:
            IMPORTING.release()
        imported = time.perf_counter() - started
        loaded = []
        for task in tasks if preload else ():
            name = default_model(task)
            if name:  # the request path's own loader: same cache key, same load log line
                loaded.append(pipeline(task, name, progress=lambda *args, **kwargs: None).name)
        LOG.info("warm-up: imports done in %.1f s; %s", imported,
                 f"preloaded {', '.join(loaded) or 'no model'} in {time.perf_counter() - started - imported:.1f} s"
                 if preload else "models load on first use (ZOO_APP_PRELOAD=1 preloads the defaults)")  # fmt: skip
    except Exception:
        LOG.exception("warm-up failed")


def prepare(
    image: Any, what: str = "an image", max_pixels: int | None = None, full: bool = True, scale: int = 1
) -> Prepared:
    """The upload, normalised (``inputs.load_input``); unless ``full``, at the preview size: a result of at most
    ``ZOO_APP_PREVIEW_PIXELS`` for a model that enlarges ``scale`` times. Notices pop up; the preview line goes at
    the end of ``notices`` (into the report) without a pop-up."""
    limits = settings()
    preview = None if full else max(MIN_PREVIEW_PIXELS, limits.preview_pixels // (scale * scale))
    prepared = load_input(image, max_pixels or limits.max_pixels, what, preview_pixels=preview)
    for notice in prepared.notices:
        gr.Warning(notice)
    if prepared.preview:
        prepared.notices.append(prepared.preview)
    return prepared


MIN_PREVIEW_PIXELS = 4096  # a preview works on at least 64x64 input pixels, however large the model's factor


def encoding(progress: gr.Progress, fraction: float = 0.95) -> None:
    """The last progress step of a handler: what happens between its return and the result on screen."""
    progress(fraction, desc="Sending the result (PNG)...")


def report(*lines: str, notices: list[str] | None = None) -> str:
    """The Markdown under a result: what was done, and any notice about the input."""
    return "\n".join([*(f"- {line}" for line in lines if line), *(f"- ⚠️ {n}" for n in notices or [])])


def size_of(image: Image.Image) -> str:
    return f"{image.width}x{image.height}"


def readable_uploads(component: Any, pass_path: bool = False) -> Any:
    """Make an image input answer an undecodable upload with a ``gr.Error`` sentence instead of gradio's internal
    message; with ``pass_path`` hand the handler the uploaded file's path untouched (``app_support.inputs`` decodes
    it, with EXIF, modes and size limits). Patched on the instance: a Component subclass would make gradio write a
    ``.pyi`` stub next to this file at import time."""
    original = component.preprocess

    def preprocess(payload: Any) -> Any:
        if pass_path and payload is not None and getattr(payload, "path", None):
            return payload.path
        check_editor_sizes(payload)  # before gradio decodes an editor's images
        try:
            return original(payload)
        except gr.Error as error:
            error.print_exception = False  # gradio's own sentence (e.g. a Radio's choices): no traceback in the log
            raise
        except Exception as error:
            raise gr.Error(
                f"The uploaded image could not be read ({type(error).__name__}); upload a PNG, JPEG or WebP file.",
                print_exception=False,
            ) from None

    component.preprocess = preprocess
    return component


EDITOR_PIXEL_FACTOR = 4  # an editor (sketchpad, painter) takes up to this many times the app's pixel limit


def check_editor_sizes(payload: Any) -> None:
    """Refuse, from the file headers and before any decoding, an ImageEditor/Sketchpad value whose background, layers
    or composite exceed ``EDITOR_PIXEL_FACTOR`` x the app's pixel limit (gradio decodes all of them before the
    handler runs: a 12000x12000 PNG of 420 KB would cost 2 GB). Other payloads pass untouched."""
    if payload is None or not hasattr(payload, "composite"):
        return
    limit = EDITOR_PIXEL_FACTOR * settings().max_pixels
    for item in (payload.background, payload.composite, *(payload.layers or [])):
        path = getattr(item, "path", None)
        size = peek_size(path) if path else None
        if size is not None and size[0] * size[1] > limit:
            raise gr.Error(
                f"The image is {size[0]}x{size[1]} pixels ({megapixels(size[0] * size[1])}); this canvas takes at "
                f"most {megapixels(limit)}. Downscale it before uploading.",
                title="Cannot do that",
                print_exception=False,
            )


def image_input(label: str, elem_id: str) -> gr.Image:
    image = gr.Image(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"], elem_id=elem_id)
    return readable_uploads(image, pass_path=True)


def image_output(label: str, elem_id: str | None = None, **kwargs: Any) -> gr.Image:
    return gr.Image(label=label, format="png", type="pil", interactive=False, elem_id=elem_id, **kwargs)


def comparison_output(label: str, elem_id: str | None = None) -> gr.Image:
    """An image shown only to compare with the result (a bicubic upscale): JPEG at quality 92, which encodes a
    4-megapixel image ~20x faster than PNG and sends ~7x fewer bytes; the result itself stays a lossless PNG."""
    return gr.Image(label=label, format="jpeg", type="pil", interactive=False, elem_id=elem_id)


def comparison_slider(label: str, elem_id: str | None = None) -> gr.ImageSlider:
    """A before/after slider, shown only to compare: both images as quality-92 JPEGs (a noisy 512x512 "before" took
    longer to encode as PNG than to denoise at the preview size); the result is also offered as a lossless PNG
    output beside it, which is what a download gets."""
    return gr.ImageSlider(label=label, type="pil", format="jpeg", elem_id=elem_id)


def model_dropdown(task: str, elem_id: str) -> gr.Dropdown:
    """The published models of a task. Other values are let through to the handler, which answers with a sentence
    (and API callers can use a model published after the app started)."""
    return gr.Dropdown(
        choices=model_choices(task), value=default_model(task), label="Model", elem_id=elem_id, interactive=True,
        allow_custom_value=True,
    )  # fmt: skip


def examples_of(folder: str) -> list[str]:
    files = (EXAMPLES / folder).glob("*")
    return [str(path) for path in sorted(files) if path.suffix.lower() in (".png", ".jpg", ".jpeg")]


def queued(task: str) -> dict[str, Any]:
    """Event options of a tab's model-running events: queued, a concurrency limit per tab."""
    return {"concurrency_limit": settings().concurrency, "concurrency_id": task}


def forget_results(model: gr.Dropdown, outputs: list[Any]) -> None:
    """When the visitor picks another model, the previous model's results leave the screen (they were left beside
    the new model's name, as if it had made them). Browser-only: no queue, not callable through the API."""

    def cleared(*_: Any) -> list[Any]:
        return ["" if isinstance(o, gr.Markdown) else None for o in outputs]

    model.change(
        cleared if len(outputs) > 1 else lambda *_: cleared()[0], None, outputs, queue=False, show_progress="hidden",
        api_visibility="private",
    )  # fmt: skip


def tab_header(task: str, elem_id: str, notice_event: bool = True) -> tuple[gr.Markdown, gr.Dropdown]:
    """The notice line (model description, or why there is nothing to run yet) and the model dropdown of a tab;
    with ``notice_event`` the notice follows the dropdown (``/<task>_notice``). Records the model list it was built
    with in ``BUILT_CHOICES``."""
    names = published_names(task)
    BUILT_CHOICES[task] = names
    notice = gr.Markdown(tab_notice(task, default_model(task, names)), elem_id=f"{elem_id}-notice")
    model = model_dropdown(task, f"{elem_id}-model")
    if notice_event:
        model.change(
            lambda name: tab_notice(task, name), [model], notice, api_name=f"{task.replace('-', '_')}_notice",
            queue=False, show_progress="hidden",
        )  # fmt: skip
    return notice, model
