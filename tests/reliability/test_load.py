"""Load on the launched app (``python app.py`` on 127.0.0.1, tiny checkpoints in a temporary mirror) through
gradio_client: 16 concurrent clients x 20 valid requests spread over every tab's api_names, bounded in count and time.

Zero failed requests; the server alive and serving afterwards; its RSS back near the post-warm-up value; each model's
first-use load logged exactly once, although the first requests of all clients race for the same cold models.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.support.figures import write_figures
from tools.app_bench import local_client

from .conftest import LOAD_APP_ENV

CLIENTS = 16
REQUESTS_PER_CLIENT = 20
BUDGET_S = 60.0  # no request is issued after this many seconds (the first round included)
REQUEST_TIMEOUT_S = 30.0  # a request without a result by then counts as failed
RSS_GROWTH_LIMIT_MIB = 300.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST_USE = re.compile(r"loading (\S+) \(load \d+ since start")  # app_support.ui.pipeline's log line


def _example(relative: str):
    return handle_file(str(EXAMPLES / relative))


def _editor(relative: str) -> dict:
    return {"background": None, "layers": [], "composite": _example(relative)}


def valid_requests() -> list[tuple[str, tuple]]:
    """(api_name, args) of valid requests over all tabs. The first ones touch each tiny model once (tests/app)."""
    current = ("denoise-gray", "colorize", "superres-x2", "pix2pix-facades", "cyclegan-shapes", "vae-mnist",
               "gan-mnist")  # fmt: skip
    return [
        ("/denoise", ("denoise-gray", _example("denoise/house.png"), 20, False, False, 25)),
        ("/colorize", ("colorize", _example("colorize/still_life.png"))),
        ("/super_resolve", ("superres-x2", _example("superres/house_small.png"))),
        ("/pix2pix", ("pix2pix-facades", _example("pix2pix/facade_labels_1.png"))),
        ("/cyclegan", ("cyclegan-shapes", _example("cyclegan/square.png"), "BtoA")),
        ("/vae_decode", ("vae-mnist", 1.0, -1.0, 0, 0, 0, 0)),
        ("/vae_random", ("vae-fashion", 3)),
        ("/gan_sample", ("cgan-mnist", 7, 4, "5")),
        ("/gan_randomise", ("gan-mnist", 9, "any")),
        ("/gan_sample", ("gan-toy", 0, 1, "any")),
        ("/gan_sample", ("gan-signs", 2, 4, "stop")),
        ("/restore", (_example("restore/parrots_jpeg_q15.jpg"), 1, "auto", True, 10)),  # denoise-real
        ("/colorize_hints", ("colorize-hints", _example("colorize/still_life.png"), [[80, 80, "#d03c28"]])),
        ("/pix2pix_painting", ("pix2pix-facades", _editor("pix2pix/facade_labels_2.png"))),
        ("/vae_tab", ("vae-mnist",)),
        ("/vae_model_info", ("vae-fashion",)),
        ("/vae_manifold", ("vae-mnist",)),
        ("/vae_scatter", ("vae-mnist",)),
        ("/vae_interpolate", ("vae-mnist", _editor("vae/digit_3.png"), _editor("vae/digit_8.png"), 6)),
        ("/gan_tab", ("gan-mnist",)),
        ("/gan_model_info", ("cgan-mnist",)),
        ("/gan_interpolate", ("gan-mnist", 1, 2, 5, "any")),
        ("/denoise_notice", ("denoise-gray",)),
        ("/restore_notice", ()),
        ("/colorize_notice", ("colorize",)),
        ("/super_resolution_notice", ("superres-x2",)),
        ("/pix2pix_notice", ("pix2pix-facades",)),
        ("/cyclegan_notice", ("cyclegan-shapes",)),
        ("/refresh_models", current),
    ]


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc/<pid>/status (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Load:
    """Requests issued from many threads: outcome and latency of each, and no new request after the deadline."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.per_api: Counter[str] = Counter()
        self.skipped = 0

    def send(self, client: Client, api_name: str, args: tuple) -> None:
        if time.monotonic() >= self.deadline:
            with self.lock:
                self.skipped += 1
            return
        started = time.perf_counter()
        job = client.submit(*args, api_name=api_name)
        try:
            job.result(timeout=REQUEST_TIMEOUT_S)
            failure = None
        except Exception as error:  # any error is a failure: only valid requests are sent
            job.cancel()
            failure = f"{api_name}: {type(error).__name__}: {str(error)[:200]}"
        elapsed = time.perf_counter() - started
        with self.lock:
            self.per_api[api_name] += 1
            if failure is None:
                self.latencies.append(elapsed)
            else:
                self.failures.append(failure)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_concurrent_clients_over_all_tabs(load_server, tiny_zoo_files, tmp_path):
    server = load_server
    requests = valid_requests()
    with ThreadPoolExecutor(CLIENTS) as pool:
        clients = list(pool.map(
            lambda i: local_client(server.url, tmp_path / f"client-{i}"), range(CLIENTS)
        ))  # fmt: skip
    rss_start = rss_mib(server.process.pid)
    load = Load(deadline=time.monotonic() + BUDGET_S)
    started = time.perf_counter()

    # Warm-up, all clients at once. Round 1 on cold models: clients i and i+11 race for the same model's first use.
    # Round 2: the other api_names, so every one has been served once before the baseline RSS is taken.
    first = len(tiny_zoo_files.names)  # the first requests touch each tiny model once
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda i: load.send(clients[i], *requests[i % first]), range(CLIENTS)))
        list(pool.map(lambda i: load.send(clients[i], *requests[first + i % (len(requests) - first)]), range(CLIENTS)))
    rss_warm = rss_mib(server.process.pid)

    # Rounds 3..20: each client walks the whole list of api_names from its own offset.
    def client_run(i: int) -> None:
        for k in range(2, REQUESTS_PER_CLIENT):
            load.send(clients[i], *requests[(i + 7 * k) % len(requests)])

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client_run, range(CLIENTS)))
    wall = time.perf_counter() - started
    time.sleep(2.0)  # let the server finish any cleanup of the last events
    rss_after = rss_mib(server.process.pid)

    # Alive and serving afterwards: the process, the page, and one more model request.
    assert server.process.poll() is None, "app.py died under load"
    with urllib.request.urlopen(server.url, timeout=10) as response:
        assert response.status == 200
    after = local_client(server.url, tmp_path / "after")
    info, *_ = after.predict("vae-fashion", api_name="/vae_model_info")
    assert "Latent dimensions: 8" in info

    loads = Counter(FIRST_USE.findall(server.log.read_text(errors="replace")))
    issued = len(load.latencies) + len(load.failures)
    figures = {
        "clients": CLIENTS,
        "requests_per_client": REQUESTS_PER_CLIENT,
        "budget_s": BUDGET_S,
        "requests": issued,
        "not_issued_budget_spent": load.skipped,
        "failures": len(load.failures),
        "p50_s": round(percentile(load.latencies, 50), 3) if load.latencies else None,
        "p95_s": round(percentile(load.latencies, 95), 3) if load.latencies else None,
        "max_s": round(max(load.latencies), 3) if load.latencies else None,
        "wall_s": round(wall, 1),
        "throughput_rps": round(issued / wall, 2),
        "api_names": len({api for api, _ in requests}),
        "per_api": dict(sorted(load.per_api.items())),
        "rss_start_mib": round(rss_start, 1),
        "rss_warm_mib": round(rss_warm, 1),
        "rss_after_mib": round(rss_after, 1),
        "rss_limit_mib": RSS_GROWTH_LIMIT_MIB,
        "first_use_loads": dict(sorted(loads.items())),
        "models": len(tiny_zoo_files.names),
        "app_env": LOAD_APP_ENV,
    }
    write_figures("load", figures)
    print(
        f"\nload: {CLIENTS} clients, {issued} requests ({load.skipped} not issued: budget spent), "
        f"{len(load.failures)} failures, p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, {wall:.1f} s wall; "
        f"RSS {rss_start:.0f} -> warm {rss_warm:.0f} -> after {rss_after:.0f} MiB; first-use loads {dict(loads)}"
    )
    assert not load.failures, "\n".join(load.failures[:20])
    assert issued >= CLIENTS * 5, f"only {issued} requests in {BUDGET_S:.0f} s: the server is far too slow"
    assert rss_after - rss_warm <= RSS_GROWTH_LIMIT_MIB, f"RSS grew {rss_after - rss_warm:.0f} MiB under load"
    assert loads == Counter(dict.fromkeys(tiny_zoo_files.names, 1)), f"first-use loads: {dict(loads)}"
