"""Benchmarks: every published checkpoint's quality beside its peer, and its speed, in one run on this machine.

    python -m tools.bench                 # full run: writes BENCHMARKS.md and benchmarks/results.json
    python -m tools.bench --quick         # small subsets (1-2 minutes), used by the tests
    python -m tools.bench --models vae-mnist,denoise-gray --out /tmp/bench
    python -m tools.bench --models denoise-gray --update   # re-measure one republished model in the full report
    python -m tools.bench --report        # measure nothing: rewrite BENCHMARKS.md from benchmarks/results.json

Quality comes from the same protocols as the model cards (zoo.protocols). Speed is measured in a fresh child
process per model (so peak memory is that model's alone): load time from the local mirror, latency per call at
256x256 and 512x512 (median and p95 of >= 10 calls after a warm-up, torch threads = cores), batch throughput for the
samplers, peak resident memory, and for the photo tasks the growth of latency and memory with the input side (plus,
for the denoisers and the colouriser, one 4000x3000 photo: the ~2 GB memory bound that tiling promises).
Ratios against the peer measured in the same run are the headline; absolute times hold for the machine printed.
``--update`` re-measures only ``--models`` (plus the app's cold start, and the peers when a named model has one) and
merges them into the existing ``results.json`` of the same machine; the report lists every run that contributed and
what it measured. Each row records the publication it measured (``publication``: the catalog hashes of the model's
pipeline.json and weights); the report names the rows whose model has been republished since.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE_TASKS = {"denoise", "super-resolution", "colorize", "pix2pix", "cyclegan", "autoencoder", "classify"}
DIGIT_DATASETS = {"mnist", "fashion-mnist"}
PHOTO_TASKS = {"denoise", "super-resolution", "colorize"}
SR_PEER_SCALES = (2, 4)  # bicubic upscales timed as the super-resolvers' peers
LARGE_PHOTO = (4000, 3000)  # a 12-megapixel camera photo: tiling must keep its call within ~2 GB (issue 5)
LARGE_PHOTO_TASKS = {"denoise", "colorize"}  # same-size outputs; an upscaler's 8000x6000 output is another question


def machine_info() -> dict[str, Any]:
    import torch

    from zoo.machine import cpu_name

    cpu = cpu_name()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "threads": os.cpu_count(),  # speed children run with torch threads = cores
        "python": platform.python_version(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def probe_input(task: str, size: int, gray: bool, height: int | None = None) -> Any:
    """A seeded natural-ish test image (gradients, edges, noise) ``size`` wide and ``height`` (default: ``size``)
    high."""
    import numpy as np
    from PIL import Image

    height = height or size
    rng = np.random.default_rng(size)
    yy, xx = np.mgrid[:height, :size] / np.array([height, size]).reshape(2, 1, 1)
    base = 0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy) + 0.2 * ((xx > 0.5) ^ (yy > 0.3))
    channels = [np.clip(base + rng.normal(0, 0.1, base.shape) + shift, 0, 1) for shift in (0.0, -0.1, 0.1)]
    array = (np.stack(channels, axis=2) * 255).astype(np.uint8)
    return Image.fromarray(array[..., 0]) if gray else Image.fromarray(array)


def _timed(fn, repeats: int, warmup: int = 1) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median_s": statistics.median(times), "p95_s": p95, "calls": repeats}


def _reset_peak_rss() -> bool:
    """Restart the peak count at the present resident size (Linux: ``5`` to ``/proc/self/clear_refs``), so a later
    ``_peak_rss_mb`` is the peak of what ran in between; False where the system has no such reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` first: ``ru_maxrss`` survives ``exec``, so a speed
    child would report its parent's peak (the benchmark's own evaluation) instead of its own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def digit_input_side(pipe: Any) -> int | None:
    """The side a 28x28-family model is timed at (its data's size: 28, or 14 for the x2 digit upscaler), else None:
    photo-scale sizes would only time a resize for these."""
    if str(pipe.options.get("dataset")) not in DIGIT_DATASETS:
        return None
    return 28 // int(pipe.options.get("scale", 1))


def speed_of(name: str, sizes: list[int], repeats: int, growth: list[int]) -> dict[str, Any]:
    """Runs inside a child process: load time, latency per size, peak memory (and growth for photo tasks)."""
    import torch

    import zoo

    torch.set_num_threads(os.cpu_count() or 1)
    rss_before = peak_before = _peak_rss_mb()
    started = time.perf_counter()
    pipe = zoo.load(name)
    result: dict[str, Any] = {"name": name, "task": pipe.task, "load_s": time.perf_counter() - started}
    result["compute"] = "bf16" if pipe.compute_dtype == torch.bfloat16 else "fp32"  # the pipeline's precision here
    gray = int(pipe.options.get("channels", 3)) == 1 and pipe.task in {"denoise", "super-resolution"}
    result["gray"] = gray
    if pipe.task == "super-resolution":
        result["scale"] = pipe.scale
    digit_side = digit_input_side(pipe)
    result["digits"] = digit_side is not None
    if pipe.task in IMAGE_TASKS:
        call = _image_call(pipe)
        result["latency"] = {}
        for size in [digit_side] if digit_side else sizes:
            image = probe_input(pipe.task, size, gray)
            result["latency"][str(size)] = _timed(lambda image=image: call(image), repeats)
        if pipe.task in PHOTO_TASKS and growth and not digit_side:
            result["growth"] = {}
            for size in growth:
                image = probe_input(pipe.task, size, gray)
                before = _peak_rss_mb()
                timing = _timed(lambda image=image: call(image), 1 if size >= 1024 else 3, warmup=0)
                result["growth"][str(size)] = {
                    **timing,
                    "peak_rss_mb": _peak_rss_mb(),
                    "rss_growth_mb": _peak_rss_mb() - before,
                }
            if pipe.task in LARGE_PHOTO_TASKS:
                width, height = LARGE_PHOTO
                peak_before = _peak_rss_mb()  # before the probe: its float64 temporaries are the benchmark's own
                image = probe_input(pipe.task, width, gray, height)
                gc.collect()
                call_only = _reset_peak_rss()  # the probe's float temporaries are not the call's memory
                timing = _timed(lambda image=image: call(image), 1, warmup=0)
                result["large_photo"] = {**timing, "size": f"{width}x{height}", "peak_rss_mb": _peak_rss_mb(),
                                         "peak_of_call_only": call_only}  # fmt: skip
    elif pipe.task in {"vae", "gan"}:
        sample = pipe.sample
        result["latency"] = {"1 sample": _timed(lambda: sample(1, seed=0), repeats)}
        batch = _timed(lambda: sample(64, seed=0), max(3, repeats // 3))
        result["throughput_samples_per_s"] = 64 / batch["median_s"]
    result["peak_rss_mb"] = max(_peak_rss_mb(), peak_before)  # the peak over every call, across the reset
    result["rss_before_load_mb"] = rss_before
    return result


def _image_call(pipe: Any):
    if pipe.task == "denoise" and getattr(pipe, "learned_strength", False):
        return lambda image: pipe(image)  # blind, the app's default: the strength estimator is part of the time
    if pipe.task == "denoise":
        return lambda image: pipe(image, sigma=25)
    if pipe.task == "cyclegan":
        return lambda image: pipe(image, direction="AtoB")
    if pipe.task == "classify":
        return lambda image: pipe.predict([image])
    return pipe


def measure_speed(name: str, sizes: list[int], repeats: int, growth: list[int]) -> dict[str, Any]:
    """``speed_of`` in a fresh child process (clean peak memory, no cross-model caching)."""
    command = [sys.executable, "-m", "tools.bench", "--speed-child", name, "--sizes", ",".join(map(str, sizes)),
               "--repeats", str(repeats), "--growth", ",".join(map(str, growth))]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=3600)
    if done.returncode != 0:
        return {"name": name, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def peer_speed(sizes: list[int], repeats: int, only: set[str] | None = None) -> dict[str, Any]:
    """The peers' speed in this run: PIL bicubic x2 and x4 upscales, and BM3D and its colour version CBM3D (PyPI
    bm3d) when installed; ``only`` those named (``peer_of``'s names) when given."""
    from PIL import Image

    peers: dict[str, Any] = {}
    for scale in SR_PEER_SCALES:
        if only is not None and f"bicubic x{scale}" not in only:
            continue
        peers[f"bicubic x{scale}"] = {}
        for size in sizes:
            image = probe_input("super-resolution", size, gray=False)
            peers[f"bicubic x{scale}"][str(size)] = _timed(
                lambda image=image, side=size * scale: image.resize((side, side), Image.BICUBIC), repeats
            )
    if only is not None and not only & {"BM3D", "CBM3D"}:
        return peers
    try:
        import bm3d
    except ImportError:
        peers["BM3D"] = peers["CBM3D"] = {"error": "bm3d is not installed (pip install -r requirements-dev.txt)"}
        return peers
    import numpy as np

    peers["BM3D"], peers["CBM3D"] = {}, {}
    for size in sizes:
        gray = np.asarray(probe_input("denoise", size, gray=True), dtype=np.float64) / 255.0
        color = np.asarray(probe_input("denoise", size, gray=False), dtype=np.float64) / 255.0
        peers["BM3D"][str(size)] = _timed(
            lambda gray=gray: bm3d.bm3d(gray, 25 / 255.0), 1 if size > 256 else 2, warmup=0
        )
        peers["CBM3D"][str(size)] = _timed(
            lambda color=color: bm3d.bm3d_rgb(color, 25 / 255.0), 1 if size > 256 else 2, warmup=0
        )
    return peers


def stop_process(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate ``process``, kill it if it has not exited within ``grace`` seconds, and reap it."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def app_cold_start(timeout: float = 60.0) -> dict[str, Any]:
    """Seconds from starting ``python app.py`` to the first served page."""
    import socket
    import urllib.request

    if not (REPO_ROOT / "app.py").is_file():
        return {"error": "app.py not found"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "app.py", "--port", str(port)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return {"seconds": time.perf_counter() - started}
            except OSError:
                time.sleep(0.1)
            if process.poll() is not None:
                return {"error": f"app exited with {process.returncode}"}
        return {"error": f"no page within {timeout:.0f} s"}
    finally:
        stop_process(process)


class BenchError(Exception):
    """A benchmark request that cannot be honoured (e.g. --update with nothing to update)."""


def publication(entry: Any) -> str:
    """A fingerprint of what a published model computes: the sha256 (16 hex digits) of its catalog file hashes less
    the card, its images and checksums.json, which every evaluation rewrites. A republished network or decoding
    (pipeline.json, weights, golden output) changes it; a re-rendered card does not."""
    kept = sorted((path, digest) for path, digest in entry.files.items()
                  if path not in ("README.md", "checksums.json") and not path.startswith("images/"))  # fmt: skip
    return hashlib.sha256(json.dumps(kept).encode("utf-8")).hexdigest()[:16]


def stale_models(results: dict[str, Any]) -> list[str]:
    """The models whose row was measured for another publication than the catalog's (rows recorded with one)."""
    import zoo

    current = {entry.name: publication(entry) for entry in zoo.list_models()}
    return [name for name, row in results["models"].items()
            if row.get("publication") and name in current and row["publication"] != current[name]]  # fmt: skip


def previous_results(out: Path, quick: bool) -> dict[str, Any]:
    """The results.json that ``--update`` merges into; it must come from this machine and the same mode."""
    path = out / "results.json"
    if not path.is_file():
        raise BenchError(f"--update needs an earlier full run's {path}: run python -m tools.bench first")
    previous = json.loads(path.read_text(encoding="utf-8"))
    here, there = machine_info(), previous.get("machine", {})
    if (here["cpu"], here["cores"]) != (there.get("cpu"), there.get("cores")):
        raise BenchError(
            f"{path} was measured on {there.get('cpu')} ({there.get('cores')} cores), this is {here['cpu']} "
            f"({here['cores']} cores): timings from two machines cannot share a table; run the full benchmark here"
        )
    if bool(previous.get("quick")) != quick:
        raise BenchError(f"{path} is a {'quick' if previous.get('quick') else 'full'} run: --update must match it")
    return previous


def app_measures(out: Path, quick: bool) -> dict[str, Any] | None:
    """The app measures (``tools.app_bench``: preview, visitors, overhead) of the results.json already in ``out``,
    when it comes from this machine and the same mode; else None."""
    try:
        return previous_results(out, quick).get("app_visitors")
    except (BenchError, ValueError):
        return None


def merge_results(previous: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``previous`` with ``update``'s models and app start replacing theirs, and the peers it timed (only those of the
    models it names: an update of an upscaler leaves the BM3D timings the denoisers' ratios were computed with), and
    its run appended."""
    first = {"command": "python -m tools.bench" + (" --quick" if previous.get("quick") else ""), "models": "all"}
    merged = {**previous, "models": {**previous["models"], **update["models"]}}
    merged["app_cold_start"] = update["app_cold_start"]
    merged["peers"] = {**previous.get("peers", {}), **update.get("peers", {})}  # the peers it timed replace theirs
    merged["runs"] = [*previous.get("runs", [first]), *update["runs"]]
    return merged


def run(
    models: list[str] | None, quick: bool, out: Path, command: str = "python -m tools.bench", update: bool = False
) -> dict[str, Any]:
    import zoo
    from zoo.cards import records_to_json
    from zoo.protocols import evaluate

    entries = [m for m in zoo.list_models() if models is None or m.name in models]
    sizes, repeats = ([256], 3) if quick else ([256, 512], 10)
    growth = [] if quick else [256, 512, 1024, 2048]
    limit = 8 if quick else None
    previous = previous_results(out, quick) if update else None
    if update and not entries:
        raise BenchError(f"--update: none of {models} is a published checkpoint")
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    results: dict[str, Any] = {"machine": machine_info(), "quick": quick, "models": {}}
    results["runs"] = [{"command": command, "date": stamp, "models": [e.name for e in entries] if models else "all"}]
    for entry in entries:
        row: dict[str, Any] = {"task": entry.task, "publication": publication(entry)}
        started = time.perf_counter()
        try:
            pipe = zoo.load(entry.name)
            records, notes, _ = evaluate(pipe, limit=limit)
            row["quality"] = records_to_json(records)
            row["quality_notes"] = notes
        except (NotImplementedError, zoo.ZooError) as error:
            row["quality_error"] = str(error)
        row["quality_seconds"] = time.perf_counter() - started
        row["speed"] = measure_speed(entry.name, sizes, repeats, growth)
        results["models"][entry.name] = row
        print(f"{entry.name}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not update:
        results["peers"] = peer_speed(sizes, repeats)
    elif named_peers := {peer for row in results["models"].values() if (peer := row_peer(row))}:
        results["peers"] = peer_speed(sizes, repeats, only=named_peers)  # the other peers keep their run's timings
    results["runs"][0]["peers"] = "peers" in results
    results["app_cold_start"] = app_cold_start()
    if previous is not None:
        results = merge_results(previous, results)
    elif models is None and (app := app_measures(out, quick)):
        results["app_visitors"] = app  # tools.app_bench's measures, each dated: a full run keeps them
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


PEER_TASKS = ("denoise", "super-resolution")  # the tasks whose speed is compared with a peer (peer_of)


def row_peer(row: dict[str, Any]) -> str | None:
    """The peer a results.json model row is compared with (``peer_of``), None for digit models and other tasks."""
    speed = row.get("speed") or {}
    if row.get("task") not in PEER_TASKS or speed.get("digits"):
        return None
    return peer_of(row["task"], speed.get("gray", False), speed.get("scale", 2))


def peer_of(task: str, gray: bool, scale: int = 2) -> str | None:
    """The peer a model's speed is compared with in the same run: BM3D for gray denoisers, CBM3D for colour ones,
    bicubic at the same scale for upscalers."""
    if task == "denoise":
        return "BM3D" if gray else "CBM3D"
    if task == "super-resolution":
        return f"bicubic x{scale}"
    return None


def peer_ratio(results: dict[str, Any], speed: dict[str, Any], task: str, size: str, median_s: float) -> str:
    """``peer seconds / model seconds`` on the same input ("12.3x" = the model is 12.3 times faster); blank for
    digit models, whose calls are timed at 28x28 while the peers run at photo sizes."""
    peer = None if speed.get("digits") else peer_of(task, speed.get("gray", False), speed.get("scale", 2))
    timing = results.get("peers", {}).get(peer or "", {}).get(size)
    if not timing or not median_s:
        return ""
    ratio = timing["median_s"] / median_s
    return f"{ratio:.0f}x vs {peer}" if ratio >= 100 else f"{ratio:.3g}x vs {peer}"


def growth_exponent(growth: dict[str, dict[str, float]]) -> float | None:
    """Least-squares slope of log(seconds) against log(pixels) over the measured sides (1.0 = linear in pixels)."""
    import math

    points = [(2 * math.log(int(side)), math.log(g["median_s"])) for side, g in growth.items() if g["median_s"] > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def markdown(results: dict[str, Any], command: str) -> str:
    """BENCHMARKS.md from a results dict: nothing in it is typed by hand."""
    from zoo.cards import eval_table, records_from_json
    from zoo.tables import table

    m = results["machine"]
    runs = results.get("runs", [{"command": command, "models": "all"}])
    if len(runs) == 1:
        produced = [f"Produced by `{runs[0]['command']}` (every number below comes from that run)."]
    else:
        produced = ["Produced by these runs, the later ones re-measuring some models (each peer's timing, e.g. CBM3D "
                    "or bicubic x4, comes from the last run that timed a model compared with it; the app's cold start "
                    "from the last run):",
                    ""]  # fmt: skip
        for r in runs:
            what = "every published model" if r["models"] == "all" else ", ".join(r["models"])
            produced.append(f"- `{r['command']}`{' on ' + r['date'] if r.get('date') else ''}: {what}")
    lines = ["# Benchmarks", "", *produced, "",
             f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['threads']} threads), "
             f"Python {m['python']}{', GPU ' + m['gpu'] if m.get('gpu') else ''}."
             + (" **Quick mode: small subsets, not comparable with published tables.**" if results["quick"] else ""),
             "", "## Quality (beside each model's baseline and peer)", ""]  # fmt: skip
    stale = stale_models(results)
    if stale:
        lines += [f"**Measured before a republication** (pipeline.json or weights changed since): {', '.join(stale)}. "
                  "Their rows, quality and speed, describe the earlier publication; the card has the current "
                  f"quality, and `python -m tools.bench --models {','.join(stale)} --update` on this machine "
                  "re-measures them.", ""]  # fmt: skip
    for name, row in results["models"].items():
        lines.append(f"### {name} ({row['task']})")
        lines.append("")
        if name in stale:
            lines += ["_Measured before this model's republication: see the note above._", ""]
        if "quality" in row:
            lines += [eval_table(records_from_json(row["quality"])), "", row.get("quality_notes", ""), ""]
        else:
            lines += [f"_Not measured: {row.get('quality_error')}_", ""]
    speed_rows = []
    for name, row in results["models"].items():
        speed = row["speed"]
        if "error" in speed:
            speed_rows.append([name, row["task"], "", f"error: {speed['error']}", "", "", "", "", "", ""])
            continue
        for size, timing in speed.get("latency", {}).items():
            label = f"{size}x{size}" if size.isdigit() else size
            throughput = speed.get("throughput_samples_per_s")
            ratio = peer_ratio(results, speed, row["task"], size, timing["median_s"])
            compute = speed.get("compute", "fp32")
            speed_rows.append([name, row["task"], compute, f"{speed['load_s']:.2f}", label, f"{timing['median_s']:.4f}",
                               f"{timing['p95_s']:.4f}", f"{speed['peak_rss_mb']:.0f}",
                               f"{throughput:.0f}" if throughput else "", ratio])  # fmt: skip
    speed_header = ["model", "task", "compute", "load (s)", "input", "median (s)", "p95 (s)", "peak RSS (MiB)",
                    "samples/s (batch 64)", "peer time / model time"]  # fmt: skip
    lines += ["## Speed (CPU latency per call; median / p95 over the calls after one warm-up)", "",
              "compute: the precision the pipeline ran at (`pipe.precision`; bf16: autocast where the CPU has it). "
              "Denoisers run at sigma 25, except those with a learned strength estimator (denoise-real), which are "
              "timed blind, as the app runs them.",
              "", table(speed_header, speed_rows)]  # fmt: skip
    peer_rows = []
    for peer, per_size in results["peers"].items():
        if "error" in per_size:
            peer_rows.append([peer, "", per_size["error"]])
            continue
        for size, timing in per_size.items():
            peer_rows.append([peer, f"{size}x{size}", f"{timing['median_s']:.4f}"])
    lines += ["", "### Peers in the same run", "", table(["peer", "input", "median (s)"], peer_rows)]
    growth_rows = [(n, r["speed"]["growth"]) for n, r in results["models"].items() if r["speed"].get("growth")]
    if growth_rows:
        rows = [[name, size, f"{g['median_s']:.3f}", f"{g['peak_rss_mb']:.0f}"]
                for name, growth in growth_rows for size, g in growth.items()]  # fmt: skip
        lines += ["", "### Cost growth with input size (tiling keeps memory flat)", "",
                  table(["model", "side", "seconds", "peak RSS (MiB)"], rows), ""]  # fmt: skip
        for name, growth in growth_rows:
            exponent = growth_exponent(growth)
            if exponent is not None:
                lines.append(f"- {name}: time grows as pixels^{exponent:.2f} (least-squares slope of log time "
                             "against log pixels; 1.00 is linear, what tiling promises).")  # fmt: skip
    large_rows = [(n, r["speed"]["large_photo"]) for n, r in results["models"].items() if r["speed"].get("large_photo")]
    if large_rows:
        rows = [[name, large["size"], f"{large['median_s']:.2f}",
                 f"{large['peak_rss_mb']:.0f}" + ("" if large.get("peak_of_call_only") else " (process)")]
                for name, large in large_rows]  # fmt: skip
        lines += ["", "### A camera-sized photo (one call, after the runs above)", "",
                  "Peak RSS during the call: the process's resident memory (interpreter, model, input image) plus "
                  "what the call adds; `process` marks a system without a peak reset, where it is the whole process's "
                  "peak, earlier calls included.", "",
                  table(["model", "input", "seconds", "peak RSS (MiB)"], rows)]  # fmt: skip
    start = results.get("app_cold_start", {})
    cold = f"{start['seconds']:.1f} s" if "seconds" in start else f"not measured ({start.get('error')})"
    from tools.app_bench import markdown_lines

    cold_line = f"Cold start (process start to first served page): {cold}"
    lines += ["", "## App", "", cold_line, *markdown_lines(results), ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subsets; a minute or two")
    parser.add_argument("--models", help="comma-separated names (default: every published checkpoint)")
    parser.add_argument("--out", default=None, help="folder for results.json (default: benchmarks/)")
    parser.add_argument("--markdown", default=None, help="where to write the report (default: BENCHMARKS.md)")
    parser.add_argument(
        "--update", action="store_true", help="re-measure only --models and merge them into the existing results"
    )
    parser.add_argument(
        "--report", action="store_true", help="measure nothing: rewrite the report from the existing results.json"
    )
    parser.add_argument("--speed-child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="256,512", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=10, help=argparse.SUPPRESS)
    parser.add_argument("--growth", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.speed_child:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        growth = [int(s) for s in args.growth.split(",") if s]
        print(json.dumps(speed_of(args.speed_child, sizes, args.repeats, growth)))
        return 0
    out = Path(args.out) if args.out else REPO_ROOT / "benchmarks"
    models = [m.strip() for m in args.models.split(",")] if args.models else None
    if args.update and not models:
        parser.error("--update re-measures the models named by --models")
    command = (
        "python -m tools.bench"
        + (" --quick" if args.quick else "")
        + (f" --models {args.models}" if args.models else "")
        + (" --update" if args.update else "")
    )
    try:
        if args.report:
            if not (out / "results.json").is_file():
                raise BenchError(f"--report needs an earlier run's {out / 'results.json'}")
            results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        else:
            results = run(models, args.quick, out, command, update=args.update)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = (
        Path(args.markdown) if args.markdown else (out / "BENCHMARKS.md" if args.out else REPO_ROOT / "BENCHMARKS.md")
    )
    report.write_text(markdown(results, command), encoding="utf-8")
    print(f"wrote {report} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
