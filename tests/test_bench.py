"""The benchmark command itself works (quick mode on a tiny published checkpoint); no timing is asserted."""

import dataclasses
import json

import pytest

import zoo
from tests.conftest import build_tiny_checkpoint
from tools import bench
from zoo import registry
from zoo.hub import file_hashes, publish_to_mirror


@pytest.mark.slow
@pytest.mark.realdata  # the quality protocol of vae-mnist reads the MNIST test set
def test_quick_benchmark_writes_report_and_json(isolated_zoo, tmp_path, monkeypatch):
    folder = build_tiny_checkpoint(tmp_path / "tiny")
    publish_to_mirror(folder, "imagezoo/vae-mnist")
    registry.update_entry("vae-mnist", files=file_hashes(folder))
    monkeypatch.setattr(bench, "app_cold_start", lambda: {"error": "skipped in this test"})
    monkeypatch.setattr(bench, "peer_speed", lambda sizes, repeats: {"bicubic x2": {"256": {"median_s": 0.01}}})
    out = tmp_path / "bench"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    row = results["models"]["vae-mnist"]
    assert row["speed"]["latency"]["1 sample"]["calls"] == 3 and row["speed"]["peak_rss_mb"] > 0
    assert "throughput_samples_per_s" in row["speed"]
    report = (out / "BENCHMARKS.md").read_text()
    assert "vae-mnist" in report and "python -m tools.bench --quick" in report and "| **this model** |" in report


def test_update_merges_one_model_into_the_full_results(tmp_path, monkeypatch, capsys):
    machine = bench.machine_info()
    models = {"keep": {"task": "gan", "speed": {"load_s": 1.0}}, "redo": {"task": "gan", "speed": {}}}
    old = {"machine": machine, "quick": True, "peers": {"BM3D": {"256": {"median_s": 9.0}}}, "app_cold_start": {},
           "models": models}  # fmt: skip
    out = tmp_path / "bench"
    out.mkdir()
    (out / "results.json").write_text(json.dumps(old))
    fresh = {"machine": machine, "quick": True, "models": {"redo": {"task": "gan", "speed": {"load_s": 2.0}}},
             "peers": {"BM3D": {"256": {"median_s": 8.0}}}, "app_cold_start": {"seconds": 3.0},
             "runs": [{"command": "python -m tools.bench --quick --models redo --update", "date": "2026-12-01",
                       "models": ["redo"]}]}  # fmt: skip
    merged = bench.merge_results(bench.previous_results(out, quick=True), fresh)
    assert merged["models"]["keep"] == old["models"]["keep"] and merged["models"]["redo"]["speed"]["load_s"] == 2.0
    assert merged["peers"]["BM3D"]["256"]["median_s"] == 8.0 and len(merged["runs"]) == 2
    text = bench.markdown(merged, "unused")
    assert "- `python -m tools.bench --quick`: every published model" in text
    assert "- `python -m tools.bench --quick --models redo --update` on 2026-12-01: redo" in text
    no_peers = {key: value for key, value in fresh.items() if key != "peers"}  # an update of models without a peer
    kept = bench.merge_results(bench.previous_results(out, quick=True), no_peers)
    assert kept["peers"] == old["peers"] and kept["app_cold_start"] == {"seconds": 3.0}

    (out / "results.json").write_text(json.dumps({**old, "app_visitors": {"overhead": {"rows": {}}}}))
    assert bench.app_measures(out, quick=True) == {"overhead": {"rows": {}}}  # a full run keeps the app's measures
    assert bench.app_measures(out, quick=False) is None and bench.app_measures(tmp_path, quick=True) is None

    with_error = {**old, "machine": {**machine, "cpu": "another CPU"}}
    (out / "results.json").write_text(json.dumps(with_error))
    assert bench.main(["--quick", "--models", "redo", "--update", "--out", str(out)]) == 2
    assert "another CPU" in capsys.readouterr().err
    assert bench.main(["--quick", "--models", "redo", "--update", "--out", str(tmp_path / "none")]) == 2
    assert "needs an earlier full run" in capsys.readouterr().err
    (out / "results.json").write_text(json.dumps({**old, "quick": False}))
    assert bench.main(["--quick", "--models", "redo", "--update", "--out", str(out)]) == 2
    assert "is a full run" in capsys.readouterr().err


def test_markdown_reports_failures_instead_of_numbers():
    results = {"machine": {"cpu": "x", "cores": 2, "torch": "t", "threads": 2, "python": "3"}, "quick": False,
               "models": {"m": {"task": "gan", "quality_error": "no protocol", "speed": {"error": "boom"}}},
               "peers": {"BM3D": {"error": "not installed"}}, "app_cold_start": {"error": "no app"}}  # fmt: skip
    text = bench.markdown(results, "python -m tools.bench")
    assert "_Not measured: no protocol_" in text and "error: boom" in text and "not installed" in text


def test_an_update_times_only_the_peers_of_the_models_it_names():
    upscaler = {"task": "super-resolution", "speed": {"gray": False, "scale": 4}}
    assert bench.row_peer(upscaler) == "bicubic x4"
    assert bench.row_peer({"task": "denoise", "speed": {"gray": True}}) == "BM3D"
    assert bench.row_peer({"task": "denoise", "speed": {"gray": True, "digits": True}}) is None
    assert bench.row_peer({"task": "gan", "speed": {}}) is None
    timed = bench.peer_speed([16], 1, only={"bicubic x4"})
    assert set(timed) == {"bicubic x4"} and timed["bicubic x4"]["16"]["median_s"] > 0
    previous = {"models": {}, "peers": {"BM3D": {"16": {"median_s": 9.0}}, "bicubic x4": {"16": {"median_s": 1.0}}}}
    merged = bench.merge_results(previous, {"models": {"x": upscaler}, "peers": timed, "app_cold_start": {},
                                            "runs": [{"command": "update"}]})  # fmt: skip
    assert merged["peers"]["BM3D"] == {"16": {"median_s": 9.0}}  # the denoisers' peer, untouched
    assert merged["peers"]["bicubic x4"] == timed["bicubic x4"]


def test_peer_ratio_and_growth_exponent():
    results = {"peers": {"BM3D": {"256": {"median_s": 2.0}}, "bicubic x2": {"256": {"median_s": 0.001}}}}
    gray, color, digits = {"gray": True}, {"gray": False}, {"gray": True, "digits": True}
    assert bench.peer_ratio(results, gray, "denoise", "256", 0.1) == "20x vs BM3D"
    assert bench.peer_ratio(results, gray, "denoise", "256", 0.001) == "2000x vs BM3D"
    assert bench.peer_ratio(results, color, "denoise", "256", 0.1) == ""  # no CBM3D timing: no gray stand-in
    results["peers"]["CBM3D"] = {"256": {"median_s": 6.0}}
    assert bench.peer_ratio(results, color, "denoise", "256", 0.1) == "60x vs CBM3D"
    assert bench.peer_ratio(results, digits, "denoise", "256", 0.1) == ""  # a 28x28 call is no match for BM3D
    assert bench.peer_ratio(results, color, "super-resolution", "256", 0.01) == "0.1x vs bicubic x2"
    results["peers"]["bicubic x4"] = {"256": {"median_s": 0.004}}
    assert bench.peer_ratio(results, {**color, "scale": 4}, "super-resolution", "256", 0.01) == "0.4x vs bicubic x4"
    assert bench.peer_ratio(results, color, "gan", "1 sample", 0.01) == ""
    linear = {str(side): {"median_s": side * side * 1e-6} for side in (256, 512, 1024)}
    assert abs(bench.growth_exponent(linear) - 1.0) < 1e-9
    quadratic = {str(side): {"median_s": (side * side) ** 2 * 1e-12} for side in (256, 512)}
    assert abs(bench.growth_exponent(quadratic) - 2.0) < 1e-9
    assert bench.growth_exponent({"256": {"median_s": 1.0}}) is None


def test_large_photo_probe_and_report_row():
    image = bench.probe_input("denoise", 40, gray=False, height=30)
    assert image.size == (40, 30) and image.mode == "RGB"
    assert bench.probe_input("denoise", 32, gray=True).size == (32, 32)
    speed = {"load_s": 1.0, "large_photo": {"median_s": 12.5, "p95_s": 12.5, "size": "4000x3000", "peak_rss_mb": 900}}
    results = {"machine": {"cpu": "x", "cores": 2, "torch": "t", "threads": 2, "python": "3"}, "quick": False,
               "models": {"d": {"task": "denoise", "quality_error": "-", "speed": speed}}, "peers": {}}  # fmt: skip
    assert "| d | 4000x3000 | 12.50 | 900 (process) |" in bench.markdown(results, "python -m tools.bench")
    speed["large_photo"]["peak_of_call_only"] = True
    assert "| d | 4000x3000 | 12.50 | 900 |" in bench.markdown(results, "python -m tools.bench")


def test_peak_reset_forgets_earlier_peaks():
    """The 4000x3000 row resets the peak before its call, so the probe image's temporaries don't count."""
    import numpy as np

    ballast = np.ones(200 * 2**20 // 8)  # about 200 MiB resident, then freed
    del ballast
    before = bench._peak_rss_mb()
    if not bench._reset_peak_rss():
        pytest.skip("no peak reset on this system")
    assert bench._peak_rss_mb() < before - 150, (bench._peak_rss_mb(), before)


def test_digit_models_are_timed_at_their_own_size():
    from types import SimpleNamespace

    assert bench.digit_input_side(SimpleNamespace(options={"dataset": "mnist"})) == 28
    assert bench.digit_input_side(SimpleNamespace(options={"dataset": "mnist", "scale": 2})) == 14
    assert bench.digit_input_side(SimpleNamespace(options={"dataset": "shapes"})) is None


def test_peak_memory_is_this_process_own():
    """A child started from a big parent must not report the parent's peak (ru_maxrss survives exec on Linux)."""
    import subprocess
    import sys

    import numpy as np

    ballast = np.ones(300 * 2**20 // 8)  # about 300 MiB resident in this process
    code = "from tools.bench import _peak_rss_mb; print(_peak_rss_mb())"
    child = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert child < bench._peak_rss_mb() - 200, (child, bench._peak_rss_mb())
    del ballast


def test_every_image_task_has_a_timed_call(tiny_pipelines):
    """Each image pipeline the benchmark times can be called the way it times it (a classifier has no __call__)."""
    from zoo import nets
    from zoo import pipelines as p

    pipes = dict(tiny_pipelines)
    pipes["classifier"] = p.ClassifierPipeline(
        {"model": nets.ImageClassifier(width=4)}, options={"labels": list("0123456789")}
    )
    for pipe in pipes.values():
        if pipe.task in bench.IMAGE_TASKS:
            side = bench.digit_input_side(pipe) or 32
            bench._image_call(pipe)(bench.probe_input(pipe.task, side, gray=False))
    assert {pipe.task for pipe in pipes.values()} >= bench.IMAGE_TASKS


def test_app_measures_are_rendered_under_app():
    """``python -m tools.app_bench`` stores its measures in results.json; the report shows each with its command."""
    source = {"command": "python -m tools.app_bench", "date": "2026-12-03 19:00 UTC", "load_average": 3.2}
    results = {"machine": {"cpu": "x", "cores": 2, "torch": "t", "threads": 2, "python": "3"}, "quick": False,
               "models": {}, "peers": {}, "app_cold_start": {"seconds": 2.0},
               "app_visitors": {
                   "preview": {**source, "rows": {"photo": "3000x2000",
                                                  "tabs": {"/denoise": {"median_s": 4.2, "max_s": 4.9}}}},
                   "visitors": {**source, "rows": {"heavy": "/denoise_full", "photo": "3000x2000",
                                                   "small_alone_s": 0.8, "small_during_heavy_s": 1.3,
                                                   "heavy_s": 24.5}},
                   "overhead": {**source, "rows": {"denoise-color": {"api": "/denoise", "input": "512x512",
                                                                     "app_s": 1.5, "library_s": 1.2, "ratio": 1.25}}},
               }}  # fmt: skip
    text = bench.markdown(results, "python -m tools.bench")
    app = text.split("## App", 1)[1]
    assert "| /denoise | 4.20 | 4.90 |" in app
    assert "| `/denoise_full` | 0.80 | 1.30 | 24.50 |" in app
    assert "| denoise-color | `/denoise` | 512x512 | 1.500 | 1.200 | 1.25x |" in app
    assert app.count("`python -m tools.app_bench`, 2026-12-03 19:00 UTC, load average 3.2") == 3
    assert "app / pipe the ratio of the medians" in app  # an older row, measured before the paired ratios
    results["app_visitors"]["overhead"]["rows"]["denoise-color"]["ratio_of"] = "pairs"
    assert "app / pipe the median of each call's ratio" in bench.markdown(results, "python -m tools.bench")


def test_report_marks_rows_measured_before_a_republication(isolated_zoo, tmp_path, monkeypatch):
    folder = build_tiny_checkpoint(tmp_path / "tiny")
    publish_to_mirror(folder, "imagezoo/vae-mnist")
    hashes = file_hashes(folder)
    registry.update_entry("vae-mnist", files=hashes)
    entry = next(e for e in zoo.list_models() if e.name == "vae-mnist")
    measured = bench.publication(entry)
    recarded = {**hashes, "README.md": "0" * 64}  # a re-rendered card is the same publication
    assert bench.publication(dataclasses.replace(entry, files=recarded)) == measured
    machine = bench.machine_info()
    results = {"machine": machine, "quick": True, "peers": {}, "app_cold_start": {},
               "models": {"vae-mnist": {"task": "vae", "speed": {}, "publication": measured},
                          "older-row": {"task": "vae", "speed": {}}}}  # fmt: skip
    out = tmp_path / "bench"
    out.mkdir()
    (out / "results.json").write_text(json.dumps(results))
    assert bench.stale_models(results) == []
    assert "Measured before a republication" not in bench.markdown(results, "python -m tools.bench --quick")

    weights = next(path for path in hashes if path.endswith(".safetensors"))
    registry.update_entry("vae-mnist", files={**hashes, weights: "f" * 64})  # republished weights
    assert bench.stale_models(results) == ["vae-mnist"]  # a row without a fingerprint is not judged
    assert bench.main(["--report", "--out", str(out)]) == 0  # measures nothing
    report = (out / "BENCHMARKS.md").read_text()
    assert "**Measured before a republication**" in report and "--models vae-mnist --update" in report
    assert json.loads((out / "results.json").read_text()) == results
    assert bench.main(["--report", "--out", str(tmp_path / "empty")]) == 2
