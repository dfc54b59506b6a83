"""The app's one patch of gradio (``app_support/gradio_patch.py``): the output cache never rewrites a file that may
be being served. The guard tests below fail when gradio changes, fixes or stops calling the patched function, or is
upgraded past the line the patch was written for: then re-read gradio's function and drop or update the patch."""

from __future__ import annotations

import inspect
import io
import logging
import re
from pathlib import Path

import gradio
import numpy as np
import pytest
from gradio import processing_utils
from PIL import Image

from app_support import gradio_patch

from . import load_app


def test_build_demo_installs_the_race_free_cache():
    load_app().build_demo()
    assert processing_utils.save_pil_to_cache is gradio_patch.save_pil_to_cache_once
    assert gradio_patch.install() is True  # idempotent


def test_same_output_is_written_once_and_never_rewritten(tmp_path):
    image = Image.new("RGB", (8, 8), (10, 200, 30))
    first = gradio_patch.save_pil_to_cache_once(image, str(tmp_path), format="png")
    stamp = (tmp_path / first).stat().st_mtime_ns
    second = gradio_patch.save_pil_to_cache_once(image, str(tmp_path), format="png")
    assert first == second and (tmp_path / first).stat().st_mtime_ns == stamp
    assert Image.open(first).getpixel((0, 0)) == (10, 200, 30)
    assert not list(tmp_path.rglob("*.partial"))


def test_same_file_name_and_pixels_as_gradio_in_a_faster_png(tmp_path):
    """The file is named as gradio names it (a folder named after the content's hash, then the name); its PNG is
    written at zlib level 1, so its bytes (and hash) differ from gradio's level 6, its pixels and metadata do not."""
    image = Image.effect_noise((64, 48), 40).convert("RGB")
    image.info["parameters"] = "kept"
    ours = Path(gradio_patch.save_pil_to_cache_once(image, str(tmp_path / "ours"), name="out", format="png"))
    theirs = Path(gradio_patch.original()(image, str(tmp_path / "theirs"), name="out", format="png"))
    assert ours.name == theirs.name == "out.png" and len(ours.parent.name) == len(theirs.parent.name)
    assert ours.parent.name == processing_utils.hash_bytes(ours.read_bytes())
    assert np.array_equal(np.asarray(Image.open(ours)), np.asarray(Image.open(theirs)))
    assert Image.open(ours).info.get("parameters") == "kept"
    assert ours.read_bytes() != theirs.read_bytes(), "written at gradio's compression level, not level 1"


def test_comparison_images_are_jpeg_at_high_quality_whatever_their_mode(tmp_path):
    """A comparison output (format "jpeg") is a quality-92 JPEG: close to the pixels, and an RGBA or P image is
    saved too (gradio's own path would refuse RGBA as JPEG)."""
    rgb = Image.effect_noise((64, 48), 10).convert("RGB")
    saved = Path(gradio_patch.save_pil_to_cache_once(rgb, str(tmp_path), name="bicubic", format="jpeg"))
    assert saved.name == "bicubic.jpeg" and Image.open(saved).format == "JPEG"
    error = np.abs(np.asarray(Image.open(saved), dtype=float) - np.asarray(rgb, dtype=float)).mean()
    assert error < 4.0, error  # quality 75 (PIL's default) is about twice as far on this noise
    for mode in ("RGBA", "P", "L"):
        data = gradio_patch.encode(rgb.convert(mode), "jpeg")
        assert Image.open(io.BytesIO(data)).mode == ("L" if mode == "L" else "RGB")


# ------------------------------------------------------------------------------------------------ guard
def test_gradio_is_on_the_line_the_patch_was_written_for():
    low, high = gradio_patch.GRADIO_RANGE
    assert low <= gradio_patch.gradio_major() < high, (
        f"gradio {gradio.__version__} is outside {gradio_patch.GRADIO_RANGE}: re-read {gradio_patch.PATCHED}, then "
        "drop app_support/gradio_patch.py if it no longer rewrites cached files in place, or widen GRADIO_RANGE"
    )


def test_gradio_function_is_unchanged():
    assert gradio_patch.source_sha256(gradio_patch.original()) == gradio_patch.ORIGINAL_SHA256, (
        f"gradio {gradio.__version__} changed {gradio_patch.PATCHED}: re-read it; drop the patch if it no longer "
        "rewrites cached files in place, else update save_pil_to_cache_once and ORIGINAL_SHA256"
    )


def test_gradio_still_rewrites_cached_files_in_place(tmp_path):
    """The race itself: saving an output whose file exists truncates and rewrites that same file (same inode), so a
    reader of the file can see it half-written. When this fails, gradio fixed it: drop the patch."""
    image = Image.new("RGB", (16, 16), (1, 2, 3))
    path = Path(gradio_patch.original()(image, str(tmp_path), format="png"))
    data, inode = path.read_bytes(), path.stat().st_ino
    path.write_bytes(b"x" * len(data))  # same size, other bytes: as if another save were halfway through
    gradio_patch.original()(image, str(tmp_path), format="png")
    assert path.read_bytes() == data and path.stat().st_ino == inode, "gradio no longer rewrites in place"
    path.write_bytes(b"x" * len(data))
    gradio_patch.save_pil_to_cache_once(image, str(tmp_path), format="png")
    assert path.read_bytes() == b"x" * len(data), "ours leaves an existing file of the right size alone"


def test_gradio_calls_it_through_the_module_attribute():
    """The patch replaces the module attribute, which reaches callers only if they look it up there at call time."""
    package = Path(gradio.__file__).parent
    callers, imported = [], []
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "save_pil_to_cache" not in text:
            continue
        callers += re.findall(r"processing_utils\.save_pil_to_cache\(", text)
        if re.search(r"import[^\n]*\bsave_pil_to_cache\b", text):
            imported.append(str(path.relative_to(package)))
    assert callers, "gradio no longer calls processing_utils.save_pil_to_cache: the patch does nothing"
    assert imported == [], f"gradio modules import the function by name, so the patch misses them: {imported}"


def test_install_refuses_a_changed_function_or_another_gradio_line(monkeypatch, caplog):
    monkeypatch.setattr(processing_utils, "save_pil_to_cache", gradio_patch.original())
    monkeypatch.setattr(gradio_patch, "ORIGINAL_SHA256", "0" * 64)
    with caplog.at_level(logging.WARNING, logger="zoo.app"):
        assert gradio_patch.install() is False
    assert processing_utils.save_pil_to_cache is gradio_patch.original()
    assert "changed gradio.processing_utils.save_pil_to_cache" in caplog.text
    monkeypatch.setattr(
        gradio_patch, "GRADIO_RANGE", (gradio_patch.gradio_major() + 1, gradio_patch.gradio_major() + 2)
    )
    assert "outside the" in gradio_patch.why_not()
    assert gradio_patch.install() is False


@pytest.fixture(autouse=True)
def _installed_again():
    """Whatever a test did to gradio, later tests (and servers built in this process) get the patch back."""
    yield
    gradio_patch.install()


# ------------------------------------------------------------------------------------------------ validator patch
def test_validator_of_the_visitor_limits_gets_unprocessed_inputs():
    """The per-visitor limit's validator reads only the request: with the patch its gradio function does not run the
    event's input processing (no second decode, no bare HTTP 400 for a bad choice); other validators keep it."""
    from gradio import queueing

    from app_support import lanes

    load_app().build_demo()
    assert queueing.create_validator_fn is gradio_patch.validator_without_inputs

    class Event:  # the attributes create_validator_fn reads from a BlockFunction
        inputs, preprocess, inputs_as_dict, input_keyword_names, input_parameter_names = [], True, False, [], []
        batch, max_batch_size, tracks_progress, show_progress_on, cancels, collects_event_data = (
            False, 4, False, None, [], False,
        )  # fmt: skip

    ours, theirs = Event(), Event()
    ours.validator, theirs.validator = lanes.one_visitor_limit(2), lambda *values: None
    assert gradio_patch.validator_without_inputs(ours).preprocess is False
    assert gradio_patch.validator_without_inputs(theirs).preprocess is True


def test_gradio_validator_builder_is_unchanged():
    function = gradio_patch.original_validator()
    assert gradio_patch.source_sha256(function) == gradio_patch.VALIDATOR_SHA256, (
        f"gradio {gradio.__version__} changed {gradio_patch.VALIDATOR_PATCHED}: re-read it; drop the patch if a "
        "validator no longer runs the event's input processing, else update it and VALIDATOR_SHA256"
    )
    assert "preprocess=fn.preprocess" in gradio_patch.inspect.getsource(function), "the reason for the patch is gone"


def test_queue_polls_slowly_once_calmed_and_refuses_a_queue_without_the_attributes(caplog):
    demo = load_app().build_demo()
    demo.queue()
    fast = demo._queue.sleep_when_free
    assert fast < gradio_patch.QUEUE_POLL_S  # gradio's own value: else the setting is pointless, drop it
    assert gradio_patch.calm_idle_queue(demo) is True
    assert demo._queue.sleep_when_free == demo._queue.progress_update_sleep_when_free == gradio_patch.QUEUE_POLL_S

    class Other:
        sleep_when_free = 0.001

    bare = type("Demo", (), {"_queue": Other()})()
    with caplog.at_level(logging.WARNING, logger="zoo.app"):
        assert gradio_patch.calm_idle_queue(bare) is False
    assert bare._queue.sleep_when_free == 0.001
    assert "not changing its polling" in caplog.text


def test_gradio_queue_loops_still_sleep_the_calmed_attributes():
    from gradio import queueing

    for attribute, loop in gradio_patch.QUEUE_POLLS.items():
        assert f"asyncio.sleep(self.{attribute})" in inspect.getsource(getattr(queueing.Queue, loop))
