"""The app's patches of gradio internals, in one place so that each can be dropped.

What: gradio (6.x) saves every PIL output into its cache through ``gradio.processing_utils.save_pil_to_cache``,
which names the file after its content and rewrites it in place on every save. Two visitors getting the same output
at once could then be served a file while it was being truncated and rewritten (seen as failed downloads in
tests/reliability/test_load.py). ``save_pil_to_cache_once`` writes the file only when it is missing, atomically.
It also writes PNGs at zlib level ``PNG_COMPRESS_LEVEL`` (1) instead of Pillow's 6: 2.7-5x faster for 10-22 % more
bytes on 1-megapixel photos (a 1224x816 result: 0.10 s instead of 0.62 s; a photo request sends two or three).
And it names the file after ``Image.info["zoo_download_name"]`` when a handler set one (``media.named``:
``astronaut-denoise-color.png``).

Guard: ``install()`` replaces the function only on the gradio line it was written against (``GRADIO_RANGE``) and only
while gradio's function is still the one read then (``ORIGINAL_SHA256``, the sha256 of its source); otherwise it
leaves gradio alone and logs why. tests/app/test_gradio_patch.py fails when gradio changes the function, fixes the
race (the file is no longer rewritten in place: delete this module and its ``install()`` call), stops calling it
through the module attribute (the patch would do nothing), or is upgraded past ``GRADIO_RANGE``.

Third, not a patch but a setting gradio has no option for: ``calm_idle_queue`` makes the queue's loops poll every
``QUEUE_POLL_S`` (20 ms) instead of every 1 ms (the job loop) and 10 ms (progress). An idle app woke 1000 times a
second: 1.09 s of CPU per 20 s idle (5 % of a core; 0.26-0.32 s at 20 ms; utime + stime of an idle ``python app.py``
25 s after start: ``python app.py & sleep 25; a=$(awk '{print $14+$15}' /proc/$!/stat); sleep 20; awk -v a=$a
'{print $14+$15-a}' /proc/$!/stat``, in 1/100 s),
and while a job ran those wake-ups preempted torch's two threads on a 2-core Space. The app's overhead at 512x512
(``python -m tools.app_bench --only overhead --repeats 21``, BENCHMARKS.md): app / pipe 1.22x, 1.08x, 1.23x
(denoise-real, denoise-color, superres-x4) before, 1.17x, 1.14x, 1.19x after: within the run-to-run spread of a 0.3 s
call on this VM; the idle CPU is the measured gain. The cost: a job that arrives at an empty queue waits up to 20 ms
to start. Guard: the gradio line, and gradio's loops still reading the two attributes (tests/app/test_gradio_patch.py).

Second patch, ``create_validator_fn``: gradio runs an event's validator (the app's per-visitor job limits,
``lanes.one_visitor_limit``) through the event's own input processing, so every upload was decoded twice, and an
input that fails gradio's own checks (a choice not offered, a slider value out of range) was answered with a bare
HTTP 400 at enqueue: gradio_client then raised "400 Bad Request" without gradio's sentence, where the same call
without a validator gets the sentence as an error event. ``validator_without_inputs`` gives a validator marked
``INPUTS_UNREAD`` (it reads only the request) the raw payloads instead, so inputs are processed once, in the job,
with gradio's sentence. Same guard (``VALIDATOR_SHA256``); tests/app/test_gradio_patch.py and the parameter sweep
(tests/app/test_param_sweep.py) fail when it stops applying.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

LOG = logging.getLogger("zoo.app")
PATCHED = "gradio.processing_utils.save_pil_to_cache"
GRADIO_RANGE = (6, 7)  # major versions [from, to): the 6.x line, read at gradio 6.31.0
ORIGINAL_SHA256 = "ea8f5a3ffa0371a17de649d654e2ddda471362b6e0301e8c323a60009af94468"
_original: Callable | None = None  # gradio's function, once replaced
VALIDATOR_PATCHED = "gradio.queueing.create_validator_fn"
VALIDATOR_SHA256 = "0be7aa36d1011829f59d61fd3546d78ad948f972001fbc6c0b1c3eb2ffed54bb"  # read at gradio 6.31.0
INPUTS_UNREAD = "zoo_reads_no_inputs"  # set True on a validator that reads only its gr.Request
_original_validator: Callable | None = None
PNG_COMPRESS_LEVEL = 1
JPEG_QUALITY = 92  # outputs shown only for comparison (ui.comparison_output)
DOWNLOAD_NAME = "zoo_download_name"  # = media.DOWNLOAD_NAME (not imported: this module stays free of the app)


def encode(img: Image.Image, format: str) -> bytes:
    """gradio's ``encode_pil_to_bytes`` (same metadata, less the app's download name), PNGs at
    ``PNG_COMPRESS_LEVEL``; JPEGs (comparison images) at ``JPEG_QUALITY``, without metadata."""
    from io import BytesIO

    from gradio import processing_utils
    from PIL.PngImagePlugin import PngInfo

    if format.lower() in ("jpeg", "jpg"):  # comparison images (e.g. the bicubic upscale): 4 MP in 0.02 s, not 0.33
        with BytesIO() as output:
            img.convert("RGB" if img.mode not in ("RGB", "L") else img.mode).save(output, "jpeg", quality=JPEG_QUALITY)
            return output.getvalue()
    if format.lower() != "png":
        return processing_utils.encode_pil_to_bytes(img, format)
    info = PngInfo()
    for key, value in img.info.items():
        if isinstance(key, str) and isinstance(value, str) and key != DOWNLOAD_NAME:
            info.add_text(key, value)
    with BytesIO() as output:
        img.save(output, "png", pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
        return output.getvalue()


def save_pil_to_cache_once(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """gradio's ``save_pil_to_cache`` (same signature and file name), but the content-named file is written only
    when missing, through a temporary file and an atomic rename, so a file being served is never rewritten. An image
    named by ``media.named`` is saved under that name (what the visitor's download is called)."""
    from gradio import processing_utils

    name = img.info.get(DOWNLOAD_NAME) or name

    data = encode(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    target = (folder / f"{name}.{format}").resolve()
    if not (target.is_file() and target.stat().st_size == len(data)):
        partial = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
    return str(target)


def original() -> Callable:
    """gradio's own ``save_pil_to_cache``, whether or not the patch is installed."""
    from gradio import processing_utils

    return _original or processing_utils.save_pil_to_cache


def source_sha256(function: Callable) -> str:
    """sha256 of a function's source (decorators unwrapped), the fingerprint ``ORIGINAL_SHA256`` records."""
    return hashlib.sha256(inspect.getsource(inspect.unwrap(function)).encode("utf-8")).hexdigest()


def gradio_major() -> int:
    import gradio

    return int(gradio.__version__.split(".")[0])


def why_not(function: Callable | None = None, sha256: str | None = None, name: str = PATCHED) -> str | None:
    """Why a patch must not be installed on this gradio (a sentence), or None when it applies: by default the cache
    patch; ``function`` (gradio's own), ``sha256`` and ``name`` for another."""
    import gradio

    if not GRADIO_RANGE[0] <= gradio_major() < GRADIO_RANGE[1]:
        line = f"{GRADIO_RANGE[0]}.x" + (f"-{GRADIO_RANGE[1] - 1}.x" if GRADIO_RANGE[1] - GRADIO_RANGE[0] > 1 else "")
        return f"gradio {gradio.__version__} is outside the {line} line it was written for"
    if source_sha256(function or original()) != (sha256 or ORIGINAL_SHA256):
        return f"gradio {gradio.__version__} changed {name}"
    return None


def validator_without_inputs(fn: Any) -> Any:
    """gradio's ``create_validator_fn(fn)``; when ``fn``'s validator is marked ``INPUTS_UNREAD``, the validator's
    function gets the payloads as sent (no decoding, none of gradio's input checks, which the job itself runs)."""
    made = original_validator()(fn)
    if getattr(fn.validator, INPUTS_UNREAD, False):
        made.preprocess = False
    return made


def original_validator() -> Callable:
    """gradio's own ``create_validator_fn``, whether or not the patch is installed."""
    from gradio import queueing

    return _original_validator or queueing.create_validator_fn


def install_validator_patch() -> bool:
    """Replace gradio's ``create_validator_fn`` by ``validator_without_inputs`` when the guard allows it
    (idempotent); True if in place."""
    global _original_validator
    from gradio import queueing

    if queueing.create_validator_fn is validator_without_inputs:
        return True
    reason = why_not(original_validator(), VALIDATOR_SHA256, VALIDATOR_PATCHED)
    if reason:
        LOG.warning("%s: not patching it (see app_support/gradio_patch.py)", reason)
        return False
    _original_validator = queueing.create_validator_fn
    queueing.create_validator_fn = validator_without_inputs
    return True


QUEUE_POLL_S = 0.02
QUEUE_POLLS = {"sleep_when_free": "start_processing", "progress_update_sleep_when_free": "start_progress_updates"}


def queue_why_not(queue: Any) -> str | None:
    """Why ``calm_idle_queue`` must leave this queue alone (a sentence), or None."""
    import gradio

    if not GRADIO_RANGE[0] <= gradio_major() < GRADIO_RANGE[1]:
        return f"gradio {gradio.__version__} is outside the line the queue setting was written for"
    for attribute, loop in QUEUE_POLLS.items():
        if not isinstance(getattr(queue, attribute, None), float):
            return f"gradio {gradio.__version__}'s queue has no {attribute}"
        method = getattr(type(queue), loop, None)
        if method is None or f"asyncio.sleep(self.{attribute})" not in inspect.getsource(method):
            return f"gradio {gradio.__version__}'s Queue.{loop} no longer sleeps {attribute}"
    return None


def calm_idle_queue(demo: Any) -> bool:
    """Make ``demo``'s queue (after ``demo.queue()``) poll every ``QUEUE_POLL_S`` instead of 1 ms / 10 ms; True if
    set. When the guard refuses, gradio's values stay and a warning says so."""
    queue = getattr(demo, "_queue", None)
    reason = queue_why_not(queue)
    if reason:
        LOG.warning("%s: not changing its polling (see app_support/gradio_patch.py)", reason)
        return False
    for attribute in QUEUE_POLLS:
        setattr(queue, attribute, QUEUE_POLL_S)
    return True


def install() -> bool:
    """Both patches (``install_validator_patch``, then the cache's); True if the cache patch is in place. The cache
    patch replaces gradio's function by ``save_pil_to_cache_once`` when the guard allows it (idempotent). When
    refused, gradio's own function stays and a warning says to re-check this module."""
    global _original
    from gradio import processing_utils

    install_validator_patch()
    if processing_utils.save_pil_to_cache is save_pil_to_cache_once:
        return True
    reason = why_not()
    if reason:
        LOG.warning("%s: not patching it (see app_support/gradio_patch.py; drop the patch if gradio fixed it)", reason)
        return False
    _original = processing_utils.save_pil_to_cache
    processing_utils.save_pil_to_cache = save_pil_to_cache_once
    return True
