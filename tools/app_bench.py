"""The app as visitors meet it, timed through its API (gradio_client against a real ``python app.py``, the published
models from the local mirror), written into benchmarks/results.json and BENCHMARKS.md's "App" section.

    python -m tools.app_bench                      # all three measures, then BENCHMARKS.md is rewritten
    python -m tools.app_bench --only overhead      # one measure (preview, visitors, overhead); others are kept
    python -m tools.app_bench --no-write           # print the figures only
    python -m tools.app_bench --only none --before old.json --before-ref 86dc7c5   # add the rows of older code

- preview: a 3000x2000 phone-like JPEG through every photo tab's default button (the preview size), after one
  warm-up call per tab on a small image: seconds from submit to result, as the visitor waits.
- visitors: visitor A sends the same photo to a full-size job (``--heavy``: ``/denoise_full``); one second later
  visitor B (another session) denoises a 256x256 image; B's wait is the figure.
- overhead: the same 512x512 image and model through the app's full-resolution endpoint (round trip: upload, queue,
  handler, PNG, download) and through ``pipe(...)`` in this process, the two alternating; medians of ``--repeats``
  calls after one warm-up each, and the ratio as the median of each app call over the pipe call right after it
  (a 0.3 s call's speed drifted by 1.5x between runs on this VM; the paired ratio follows the drift).

Timings are wall-clock on this machine while whatever else runs on it runs too (the load average is recorded).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tools.bench import REPO_ROOT, machine_info, markdown, probe_input, stop_process

PHOTO = (3000, 2000)
MEASURES = ("preview", "visitors", "overhead")
# endpoint -> arguments with the image (each tab's defaults, its default model first where the endpoint takes one)
PREVIEW_CALLS = {
    "/denoise": lambda image: [tab_default("denoise"), image, 25, True, False, 25],
    "/colorize": lambda image: [tab_default("colorize"), image],
    "/super_resolve": lambda image: [tab_default("super-resolution"), image],
    "/restore": lambda image: [image, 1, "auto", True, 10],
    "/pix2pix": lambda image: ["pix2pix-maps", image],
    "/cyclegan": lambda image: ["cyclegan-facades", image, "AtoB"],
}


def tab_default(task: str) -> str:
    """The model the app's tab for ``task`` opens on (app_support.models.default_model)."""
    from app_support.models import default_model

    return default_model(task)


# the full-resolution endpoints: the app does exactly the library's work (a preview would shrink the x4 input);
# denoise-real is the Denoise tab's default, denoise-color the model the first measurement used
OVERHEAD_MODELS = {
    "denoise-real": "/denoise_full",
    "denoise-color": "/denoise_full",
    "superres-x4": "/super_resolve_full",
}
# gradio_client otherwise builds a fresh TLS context from the whole CA bundle for every request it makes (upload, queue
# join, event stream, each download: about 0.3 s of CPU per call here), even for plain http://, and posts usage
# analytics from a thread; the client runs on the same two cores as the server it measures, so that CPU was counted
# as the app's. A browser pays neither on the server's cores.
LOCAL_CLIENT = {"verbose": False, "ssl_verify": False, "analytics_enabled": False}


def local_client(url: str, downloads: str | Path) -> Any:
    """A gradio_client for an app on 127.0.0.1 (plain http), downloading its outputs into ``downloads``."""
    from gradio_client import Client

    return Client(url, download_files=str(downloads), **LOCAL_CLIENT)


@contextlib.contextmanager
def served(env_changes: dict[str, str] | None = None, timeout: float = 90.0):
    """``python app.py`` on a free local port; yields its URL once the page is served."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **(env_changes or {})}
    log = open(Path(tempfile.gettempdir()) / f"app-bench-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited with {process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"app.py served nothing within {timeout:.0f} s; see {log.name}")
        yield url
    finally:
        stop_process(process)
        log.close()


def photo_file(folder: Path, size: tuple[int, int] = PHOTO, name: str = "photo.jpg") -> str:
    """A seeded photo-like image saved as a quality-90 JPEG (what a phone uploads)."""
    path = folder / name
    probe_input("denoise", size[0], gray=False, height=size[1]).save(path, quality=90)
    return str(path)


def timed_call(client: Any, api: str, args: list[Any]) -> float:
    started = time.perf_counter()
    client.predict(*args, api_name=api)
    return time.perf_counter() - started


def measure_preview(client_for: Any, folder: Path, repeats: int) -> dict[str, Any]:
    from gradio_client import handle_file

    client = client_for()
    big, small = handle_file(photo_file(folder)), handle_file(photo_file(folder, (256, 256), "small.jpg"))
    rows = {}
    for api, arguments in PREVIEW_CALLS.items():
        timed_call(client, api, arguments(small))  # loads the model
        times = [timed_call(client, api, arguments(big)) for _ in range(repeats)]
        rows[api] = {"median_s": statistics.median(times), "max_s": max(times), "calls": repeats}
        print(f"preview {api}: {rows[api]}", file=sys.stderr)
    return {"photo": f"{PHOTO[0]}x{PHOTO[1]}", "tabs": rows}


def measure_visitors(client_for: Any, folder: Path, heavy: str) -> dict[str, Any]:
    from gradio_client import handle_file

    a, b = client_for(), client_for()
    big, small = handle_file(photo_file(folder)), handle_file(photo_file(folder, (256, 256), "small.jpg"))
    arguments = PREVIEW_CALLS["/denoise"]
    timed_call(b, "/denoise", arguments(small))  # the model is loaded before the clock starts
    alone = timed_call(b, "/denoise", arguments(small))
    heavy_seconds: dict[str, float] = {}

    def visitor_a() -> None:
        heavy_seconds["a"] = timed_call(a, heavy, arguments(big))

    thread = threading.Thread(target=visitor_a)
    thread.start()
    time.sleep(1.0)
    waited = timed_call(b, "/denoise", arguments(small))
    busy = thread.is_alive()
    thread.join()
    result = {"heavy": heavy, "photo": f"{PHOTO[0]}x{PHOTO[1]}", "small_alone_s": alone, "small_during_heavy_s": waited,
              "heavy_s": heavy_seconds.get("a"), "heavy_still_running": busy}  # fmt: skip
    print(f"visitors: {result}", file=sys.stderr)
    return result


def measure_overhead(client_for: Any, folder: Path, repeats: int) -> dict[str, Any]:
    import torch
    from gradio_client import handle_file

    import zoo

    client = client_for()
    path = folder / "overhead.png"
    image = probe_input("denoise", 512, gray=False)
    image.save(path)
    rows = {}
    for name, api in OVERHEAD_MODELS.items():
        pipe = zoo.load(name)
        arguments = PREVIEW_CALLS[api.removesuffix("_full")](handle_file(str(path)))
        arguments[0] = name
        timed_call(client, api, arguments)
        pipe(image)
        app_times, library = [], []
        for _ in range(repeats):  # interleaved, so both see the same machine
            app_times.append(timed_call(client, api, arguments))
            started = time.perf_counter()
            pipe(image)
            library.append(time.perf_counter() - started)
        ratio = statistics.median(app / lib for app, lib in zip(app_times, library, strict=True))
        rows[name] = {"api": api, "input": "512x512", "app_s": statistics.median(app_times),
                      "library_s": statistics.median(library), "ratio": ratio, "ratio_of": "pairs",
                      "threads": torch.get_num_threads()}  # fmt: skip
        print(f"overhead {name}: {rows[name]}", file=sys.stderr)
    return rows


def run(only: list[str], repeats: int, heavy: str, env: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             "load_average": os.getloadavg()[0]}  # fmt: skip
    with served(env) as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def client_for() -> Any:
            return local_client(url, folder / f"downloads-{time.monotonic_ns()}")

        if "preview" in only:
            found["preview"] = measure_preview(client_for, folder, repeats)
        if "visitors" in only:
            found["visitors"] = measure_visitors(client_for, folder, heavy)
        if "overhead" in only:
            found["overhead"] = measure_overhead(client_for, folder, repeats)
    found["load_average_after"] = os.getloadavg()[0]
    return found


def markdown_lines(results: dict[str, Any]) -> list[str]:
    """BENCHMARKS.md lines for the app measures in ``results["app_visitors"]`` (nothing when there are none)."""
    from zoo.tables import table

    app = results.get("app_visitors") or {}

    def source(measure: dict[str, Any]) -> str:
        load = measure["load_average"]
        busy = (": a 1-minute average, it also counts a job that had just ended, e.g. the 'before' run"
                if load >= 0.75 * (os.cpu_count() or 1) else "")  # fmt: skip
        return f"(`{measure['command']}`, {measure['date']}, load average {load:.1f} at the start{busy})"

    def before(measure: dict[str, Any]) -> str:
        old = measure.get("before")
        return "" if not old else (f" The 'before' rows: the code at {old['ref']}, measured {old['date']} (load "
                                   f"average {old['load_average']:.1f}).")  # fmt: skip

    lines = []
    if "preview" in app:
        preview = app["preview"]["rows"]
        rows = [[api, f"{row['median_s']:.2f}", f"{row['max_s']:.2f}"] for api, row in preview["tabs"].items()]
        lines += ["", f"A {preview['photo']} JPEG through each photo tab's default (preview) button, seconds from "
                  f"submit to result through gradio_client, median and slowest of the calls {source(app['preview'])}:",
                  "", table(["endpoint", "median (s)", "slowest (s)"], rows)]  # fmt: skip
    if "visitors" in app:
        row = app["visitors"]["rows"]
        rows = [(f"before: `{old['rows']['heavy']}`", old["rows"]) for old in [app["visitors"].get("before")] if old]
        rows.append((f"`{row['heavy']}`", row))
        lines += ["", f"Two visitors: A sends the {row['photo']} photo to a full-size job, B (another session) "
                  f"denoises a 256x256 image one second later {source(app['visitors'])}.{before(app['visitors'])}",
                  "", table(["A's job", "B alone (s)", "B while A runs (s)", "A's job (s)"],
                            [[label, f"{r['small_alone_s']:.2f}", f"{r['small_during_heavy_s']:.2f}",
                              f"{r['heavy_s']:.2f}"] for label, r in rows])]  # fmt: skip
    if "overhead" in app:
        old = app["overhead"].get("before", {}).get("rows", {})
        labelled = [*((f"before: {n}", r) for n, r in old.items()), *app["overhead"]["rows"].items()]
        rows = [[name, f"`{row['api']}`", row["input"], f"{row['app_s']:.3f}", f"{row['library_s']:.3f}",
                 f"{row['ratio']:.2f}x"] for name, row in labelled]  # fmt: skip
        lines += ["", "App overhead: the same image and model through the app (upload, queue, handler, PNG, "
                  "download; gradio_client on the same two cores, its per-request TLS set-up and analytics off: "
                  "`tools.app_bench.LOCAL_CLIENT`) and through `pipe(image)` in Python, alternating, blind as the "
                  "app's default; medians, and app / pipe "
                  + ("the median of each call's ratio to the pipe call after it "
                     if all(r.get("ratio_of") == "pairs" for _, r in labelled) else "the ratio of the medians ")
                  + f"{source(app['overhead'])}.{before(app['overhead'])}",
                  "", table(["model", "endpoint", "input", "app (s)", "pipe (s)", "app / pipe"], rows)]  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.app_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MEASURES), help=f"comma-separated subset of {', '.join(MEASURES)}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--heavy", default="/denoise_full", help="visitor A's endpoint (default /denoise_full)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.json and BENCHMARKS.md")
    parser.add_argument("--before", metavar="JSON", help="a --no-write output measured on the code before a change")
    parser.add_argument("--before-ref", default="", help="the git commit --before was measured on")
    args = parser.parse_args(argv)
    only = [m.strip() for m in args.only.split(",") if m.strip() not in ("", "none")]  # none: only --before
    if unknown := set(only) - set(MEASURES):
        parser.error(f"unknown measure(s) {', '.join(sorted(unknown))}; choose from {', '.join(MEASURES)}")
    found = run(only, args.repeats, args.heavy, {}) if only else {}
    command = "python -m tools.app_bench" + ("" if len(only) == len(MEASURES) else f" --only {','.join(only)}")
    command += "" if args.heavy == "/denoise_full" else f" --heavy {args.heavy}"
    command += "" if args.repeats == 3 else f" --repeats {args.repeats}"
    for measure in only:  # each measure remembers the run that produced it
        found[measure] = {"rows": found[measure], "command": command, "date": found["date"],
                          "load_average": found["load_average"]}  # fmt: skip
    print(json.dumps(found, indent=2))
    if args.no_write:
        return 0
    path = REPO_ROOT / "benchmarks" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    if (machine_info()["cpu"], os.cpu_count()) != (results["machine"]["cpu"], results["machine"]["cores"]):
        print(f"error: {path} comes from another machine; run python -m tools.bench here first", file=sys.stderr)
        return 2
    results["app_visitors"] = {**results.get("app_visitors", {}), **{m: found[m] for m in only}}
    if args.before:  # kept beside the new rows of the measures it holds
        old = json.loads(Path(args.before).read_text(encoding="utf-8"))
        for measure in set(MEASURES) & set(old) & set(results["app_visitors"]):
            results["app_visitors"][measure]["before"] = {**old[measure], "ref": args.before_ref or "an earlier commit"}
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    first = results.get("runs", [{}])[0].get("command", "python -m tools.bench")
    (REPO_ROOT / "BENCHMARKS.md").write_text(markdown(results, first), encoding="utf-8")
    print(f"wrote {path} and BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
