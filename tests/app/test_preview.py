"""Preview and full-resolution runs of the photo tabs (app_support/lanes.py): the preview size, real progress, the
queue lanes and the per-visitor limit of full-resolution jobs."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from app_support import lanes
from app_support.tabs import colorize, cyclegan, denoise, pix2pix, restore, super_resolution

from . import load_app

app = load_app()
PHOTO_APIS = {"denoise": "denoise", "colorize": "colorize", "super_resolve": "super-resolution",
              "restore": "restore", "pix2pix": "pix2pix", "cyclegan": "cyclegan"}  # fmt: skip


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


class Recorder:
    """A stand-in for gr.Progress that keeps every (fraction, text) it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, value, desc=None, **_):
        self.calls.append((float(value), desc or ""))

    def fractions(self, word: str) -> list[float]:
        return [value for value, text in self.calls if word in text]


@pytest.fixture
def small_preview(monkeypatch):
    monkeypatch.setenv("ZOO_APP_PREVIEW_PIXELS", "40000")  # 200x200: the preview path with small images


def test_photo_tabs_work_at_the_preview_size_unless_full(tiny_zoo, small_preview):
    image = photo(600, 400)
    (_, _), out, info = denoise.denoise("denoise-real", image)
    assert out.width * out.height <= 40_000 and out.size[0] > 200
    assert "Preview: your 600x400 image was worked on at" in info and "at full resolution" in info
    (_, _), out, info = denoise.denoise("denoise-real", image, full=True)
    assert out.size == (600, 400) and "Preview" not in info
    _, out, _, info = colorize.colorize("colorize", image)
    assert out.width * out.height <= 40_000 and "Preview" in info
    _, out, _, _ = colorize.colorize("colorize", image, full=True)
    assert out.size == (600, 400)
    out, info = pix2pix.pix2pix("pix2pix-facades", image)
    assert out.width * out.height <= 40_000 and "Preview" in info
    _, forward, _, info = cyclegan.cyclegan("cyclegan-shapes", image)
    assert forward.width * forward.height <= 40_000 and "Preview" in info


def test_enlarging_previews_bound_the_result_not_the_input(tiny_zoo, small_preview):
    out, bicubic, info = super_resolution.super_resolve("superres-x2", photo(600, 400))
    assert out.width * out.height <= 40_000 and bicubic.size == out.size and "Preview" in info
    out, _, info = super_resolution.super_resolve("superres-x2", photo(150, 100), full=True)
    assert out.size == (300, 200) and "Preview" not in info
    (_, _), out, info = restore.restore(photo(600, 400), 2, "never")
    assert out.width * out.height <= 40_000 and "upscale with" in info and "Preview" in info


def test_denoising_reports_its_tiles(tiny_zoo):
    progress = Recorder()
    denoise.denoise("denoise-real", photo(1100, 600), 25, False, progress=progress, full=True)  # 3 x 2 tiles of 512
    tiles = progress.fractions("tile by tile")
    assert len(tiles) == 6 and tiles == sorted(tiles) and tiles[-1] == pytest.approx(0.9)
    assert progress.calls[-1][1].startswith("Sending the result")
    values = [value for value, _ in progress.calls]
    assert values == sorted(values), "progress only moves forward"


def test_restore_reports_the_tiles_of_each_step(tiny_zoo):
    progress = Recorder()
    restore.restore(photo(1100, 600), 1, "never", False, 10, progress=progress, full=True)
    tiles = progress.fractions("Denoising")
    assert len(tiles) >= 6 and tiles == sorted(tiles)


def test_a_gray_model_on_a_colour_photo_reports_each_channel():
    import zoo.pipelines.restoration as restoration

    calls = []
    pipe = restoration.DenoisePipeline.__new__(restoration.DenoisePipeline)
    pipe.options = {"channels": 1}
    pipe.denoise_array = lambda array, sigma, progress=None: (progress(1.0), array)[1]
    pipe(photo(40, 30), sigma=10, progress=calls.append)
    assert calls == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_full_resolution_runs_in_one_lane_shared_by_all_tabs(tiny_zoo):
    demo = app.build_demo()
    events = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    for api, task in PHOTO_APIS.items():
        preview, full = events[api], events[f"{api}_full"]
        assert preview.concurrency_id == task and preview.validator is not None
        assert full.concurrency_id == lanes.FULL_LANE and full.validator is not None
        assert full.concurrency_limit == 1 and [b._id for b in full.inputs] == [b._id for b in preview.inputs]


def fake_queue(*events: tuple[str, str]) -> SimpleNamespace:
    """A Blocks stand-in whose queue holds events of (session, lane)."""
    table = {str(k): SimpleNamespace(session_hash=s, concurrency_id=lane) for k, (s, lane) in enumerate(events)}
    return SimpleNamespace(_queue=SimpleNamespace(event_ids_to_events=table))


def test_one_full_resolution_job_per_visitor(monkeypatch):
    validate = lanes.one_visitor_limit(2)
    monkeypatch.setattr(lanes, "_DEMO", [fake_queue(("alice", lanes.FULL_LANE), ("bob", "denoise"))])
    refused = validate("model", "image", SimpleNamespace(session_hash="alice"))
    assert refused[0]["is_valid"] is False and "already have one full-resolution job" in refused[0]["message"]
    assert all(item["is_valid"] for item in refused[1:]) and len(refused) == 2
    assert all(item["is_valid"] for item in validate("m", "i", SimpleNamespace(session_hash="bob")))
    monkeypatch.setenv("ZOO_APP_MAX_FULL_JOBS", "2")
    assert all(item["is_valid"] for item in validate("m", "i", SimpleNamespace(session_hash="alice")))


def test_a_visitor_cannot_fill_the_preview_queues(monkeypatch):
    validate = lanes.one_visitor_limit(2, full=False)
    flood = [("mallory", task) for task in ("denoise", "denoise", "colorize")] + [("alice", lanes.FULL_LANE)] * 3
    monkeypatch.setattr(lanes, "_DEMO", [fake_queue(*flood, ("bob", "denoise"))])
    refused = validate("model", "image", SimpleNamespace(session_hash="mallory"))
    assert refused[0]["is_valid"] is False and "already have 3 jobs queued or running" in refused[0]["message"]
    # full-resolution jobs count only against their own limit; other visitors are not affected
    assert all(item["is_valid"] for item in validate("m", "i", SimpleNamespace(session_hash="alice")))
    assert all(item["is_valid"] for item in validate("m", "i", SimpleNamespace(session_hash="bob")))
    monkeypatch.setenv("ZOO_APP_MAX_QUEUED_JOBS", "4")
    assert all(item["is_valid"] for item in validate("m", "i", SimpleNamespace(session_hash="mallory")))


def test_the_limit_reads_what_gradio_queues():
    """The per-visitor limit reads gradio's queue (``Queue.event_ids_to_events`` of ``Event``s with a session and a
    lane): when gradio renames them, this fails instead of the limit silently applying to no one."""
    import inspect

    from gradio.queueing import Event, Queue

    assert "self.event_ids_to_events[event._id] = event" in inspect.getsource(Queue.push)
    source = inspect.getsource(Event.__init__)
    assert "self.session_hash" in source and "self.concurrency_id" in source


@pytest.mark.slow
def test_a_second_full_resolution_job_of_one_visitor_is_refused_with_a_sentence(client, tmp_path):
    """Through a real server: while a visitor's full-resolution job is queued or running, their next one is refused
    at enqueue time (the event's validator) with a sentence; another visitor's preview is not."""
    from gradio_client import handle_file

    big, small = tmp_path / "big.png", tmp_path / "small.png"
    photo(2000, 1500).save(big)
    photo(64, 48, seed=1).save(small)
    for _ in range(3):  # the first job must still be pending when the second arrives: retried if it was that fast
        first = client.submit("denoise-real", handle_file(str(big)), 25, True, False, 25, api_name="/denoise_full")
        while first.status().code.name in ("STARTING", "JOINING_QUEUE") and not first.done():
            time.sleep(0.01)
        second = client.submit("denoise-real", handle_file(str(small)), 25, True, False, 25, api_name="/denoise_full")
        with pytest.raises(Exception) as refused:  # gradio_client raises its own error types
            second.result(timeout=60)
        first.result(timeout=120)
        if "already have one full-resolution job" in str(refused.value):
            break
    assert "already have one full-resolution job queued or running" in str(refused.value)
    assert "Traceback" not in str(refused.value)
    client.predict("denoise-real", handle_file(str(small)), 25, True, False, 25, api_name="/denoise_full")


@pytest.mark.slow
def test_a_flood_of_previews_from_one_visitor_is_refused_with_a_sentence(client, tmp_path):
    """Through a real server: one visitor (one gradio_client session) sending previews faster than they run gets a
    sentence once 3 are queued or running; those accepted all finish."""
    from gradio_client import handle_file

    big = tmp_path / "big.png"
    photo(1200, 900).save(big)
    upload = handle_file(str(big))
    client.predict("denoise-real", upload, 25, True, False, 25, api_name="/denoise")  # imports and the model loaded
    for _ in range(3):  # the first jobs must still be pending when the 4th arrives: retried if they were that fast
        jobs = [client.submit("denoise-real", upload, 25, True, False, 25, api_name="/denoise") for _ in range(8)]
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=120)
                outcomes.append("done")
            except Exception as error:  # gradio_client raises its own error types
                outcomes.append(str(error))
        refused = [o for o in outcomes if o != "done"]
        if refused:
            break
    assert refused and outcomes.count("done") >= 3, outcomes
    assert all("already have 3 jobs queued or running" in o and "Traceback" not in o for o in refused), refused


def test_results_are_named_after_the_input_and_the_model(tiny_zoo, tmp_path):
    from app_support import gradio_patch, media

    upload = tmp_path / "my astronaut.jpg"
    photo(64, 48).save(upload)
    (_, _), out, _ = denoise.denoise("denoise-real", str(upload))
    assert out.info[media.DOWNLOAD_NAME] == "my-astronaut-denoise-real"
    saved = gradio_patch.save_pil_to_cache_once(out, str(tmp_path / "cache"), format="png")
    assert saved.endswith("/my-astronaut-denoise-real.png")
    assert media.DOWNLOAD_NAME not in Image.open(saved).info, "the name is not written into the PNG"
    out, bicubic, _ = super_resolution.super_resolve("superres-x2", str(upload))
    assert (out.info[media.DOWNLOAD_NAME], bicubic.info[media.DOWNLOAD_NAME]) == (
        "my-astronaut-superres-x2",
        "my-astronaut-bicubic-x2",
    )
    assert media.named(photo(8, 8), media.source_stem(None), "colorize").info[media.DOWNLOAD_NAME] == "image-colorize"
    assert media.source_stem("/x/../../etc/pass wd.png") == "pass-wd"


def test_tiny_results_are_shown_enlarged_with_their_true_size():
    from app_support import media

    shown, line = media.for_display(media.named(photo(14, 14), "digit", "superres-mnist"))
    assert shown.size == (266, 266) and "14x14 pixels" in line and "x19" in line
    assert np.array_equal(np.asarray(shown)[::19, ::19], np.asarray(photo(14, 14))), "nearest neighbour"
    assert shown.info[media.DOWNLOAD_NAME] == "digit-superres-mnist"
    big = photo(64, 64)
    assert media.for_display(big) == (big, "")
