"""Preview and full-resolution runs, and the queue lanes that keep one visitor's long job from holding the others.

Every photo tab has two buttons. The primary one runs at the preview size (``ZOO_APP_PREVIEW_PIXELS``, default one
megapixel of result: seconds, even for a phone photo) in the tab's own lane (``concurrency_id`` = the task, up to
``ZOO_APP_CONCURRENCY`` at once). "... at full resolution" runs the same handler with ``full=True`` in one lane
shared by every tab (``FULL_LANE``, up to ``ZOO_APP_FULL_CONCURRENCY`` at once), so a 20-second job waits only
behind other full-resolution jobs and never in front of anyone's preview. Each visitor (gradio session) may have at
most ``ZOO_APP_MAX_FULL_JOBS`` full-resolution jobs queued or running: a further one is refused at enqueue time, by
the event's validator, with a sentence; likewise beyond ``ZOO_APP_MAX_QUEUED_JOBS`` previews and other jobs (a
script flooding one tab with previews). The API names are ``/<name>`` (preview) and ``/<name>_full``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from app_support import gradio_patch
from app_support.settings import Settings

FULL_LANE = "full-resolution"
LOG = logging.getLogger("zoo.app")
_DEMO: list[Any] = []  # the Blocks app whose queue the validator reads (set by ``remember_demo``)


def remember_demo(demo: Any) -> None:
    """Record the app whose queue ``jobs_of`` counts (app.build_demo calls it)."""
    _DEMO[:] = [demo]


def at_full_resolution(fn: Callable) -> Callable:
    """``fn`` called with ``full=True`` (same signature otherwise, so gradio passes the same inputs and progress)."""

    @functools.wraps(fn)
    def full(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, full=True, **kwargs)

    full.__name__ = f"{fn.__name__}_full"
    return full


def jobs_of(session: str | None, full: bool = True) -> int | None:
    """How many jobs of gradio session ``session`` are queued or running: its full-resolution jobs (``full``), or all
    its others (previews, hint runs, the VAE and GAN tabs). None when gradio's queue cannot be read (then no limit
    applies): read from gradio 6's ``Queue.event_ids_to_events``, which holds every event from enqueue to its end."""
    queue = getattr(_DEMO[0], "_queue", None) if _DEMO else None
    events = getattr(queue, "event_ids_to_events", None)
    if session is None or not isinstance(events, dict):
        return None
    return sum(1 for e in list(events.values()) if getattr(e, "session_hash", None) == session
               and (getattr(e, "concurrency_id", None) == FULL_LANE) == full)  # fmt: skip


def one_visitor_limit(count: int, full: bool = True) -> Callable:
    """The validator of an event with ``count`` inputs: refuses (before the job is queued) a visitor who already has
    ``ZOO_APP_MAX_FULL_JOBS`` full-resolution jobs (``full``) or ``ZOO_APP_MAX_QUEUED_JOBS`` other jobs queued or
    running, with a sentence. Without it one visitor could fill a tab's queue (a script sending 100 previews) and
    every other visitor would wait behind them."""

    def validate(*values: Any) -> list[Any]:
        request = values[-1]  # gradio adds it after the inputs (the signature below asks for it)
        limits = Settings.from_env()
        limit = limits.max_full_jobs if full else limits.max_queued_jobs
        pending = jobs_of(getattr(request, "session_hash", None), full)
        if pending is not None and pending >= limit:
            kind = "full-resolution" if full else "other"
            LOG.info("%s job refused: session has %d queued or running", kind, pending)
            if full:
                jobs = "one full-resolution job" if limit == 1 else f"{limit} full-resolution jobs"
                message = f"You already have {jobs} queued or running; wait for it to finish (previews run meanwhile)."
            else:
                message = (
                    f"You already have {limit} jobs queued or running; wait for one to finish before sending more "
                    "(this keeps the queue fair to other visitors)."
                )
            return [gr.validate(False, message)] + [gr.validate(True, "")] * (count - 1)
        return [gr.validate(True, "")] * count

    setattr(validate, gradio_patch.INPUTS_UNREAD, True)  # the inputs go through unprocessed (gradio_patch)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD  # gradio reads the parameters here, their types from __annotations__
    validate.__annotations__ = {"request": gr.Request, "return": list}
    validate.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"input_{k}", kind) for k in range(count)]
        + [inspect.Parameter("request", kind, annotation=gr.Request)]
    )
    return validate


def buttons(verb: str, elem_id: str) -> tuple[gr.Button, gr.Button]:
    """The preview button (primary) and the full-resolution one, ids ``<elem_id>-run`` and ``<elem_id>-run-full``."""
    pixels = Settings.from_env().preview_pixels
    preview = gr.Button(f"{verb} (preview, ≤ {pixels / 1e6:.2g} MP)", variant="primary", elem_id=f"{elem_id}-run")
    full = gr.Button(f"{verb} at full resolution (slower)", elem_id=f"{elem_id}-run-full")
    return preview, full


def wire(
    pair: tuple[gr.Button, gr.Button], fn: Callable, inputs: list, outputs: list, api_name: str, task: str
) -> tuple[Any, Any]:
    """Both buttons' click events: the preview in the tab's lane as ``/<api_name>``, the full-resolution run in
    ``FULL_LANE`` as ``/<api_name>_full``, each with its per-visitor limit. Returns the two event listeners."""
    from app_support.ui import queued

    preview, full = pair
    quick = preview.click(
        fn, inputs, outputs, api_name=api_name, validator=one_visitor_limit(len(inputs), full=False), **queued(task)
    )
    slow = full.click(
        at_full_resolution(fn), inputs, outputs, api_name=f"{api_name}_full", concurrency_id=FULL_LANE,
        concurrency_limit=Settings.from_env().full_concurrency, validator=one_visitor_limit(len(inputs)),
    )  # fmt: skip
    return quick, slow
