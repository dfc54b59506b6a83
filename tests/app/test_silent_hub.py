"""The app with nothing mirrored and a Hub endpoint that accepts connections and never answers (a captive portal, a
stalled proxy): a model request ends with a sentence in seconds, not a hang, and the other tabs keep answering while
it waits."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.support.figures import write_figures
from tools.app_bench import LOCAL_CLIENT

from .conftest import launch_app

pytestmark = pytest.mark.slow


def test_a_silent_hub_costs_seconds_and_blocks_no_other_tab(tiny_zoo_files, tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # the kernel completes handshakes; nobody ever reads or answers
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    env = {
        "ZOO_CATALOG": str(tiny_zoo_files.catalog),
        "ZOO_MIRROR": str(empty_mirror),
        "HF_ENDPOINT": f"http://127.0.0.1:{silent.getsockname()[1]}",
        "HF_HOME": str(tmp_path / "hf-home"),  # an empty Hub cache
        "HF_HUB_OFFLINE": "0",
    }
    try:
        with launch_app(env, tmp_path / "app.log") as server:
            client = Client(server.url, **LOCAL_CLIENT)
            outcome: dict[str, object] = {}

            def ask_for_a_model() -> None:
                started = time.perf_counter()
                try:
                    client.predict("vae-mnist", api_name="/vae_model_info")
                except AppError as error:
                    outcome["error"] = str(error)
                outcome["seconds"] = time.perf_counter() - started

            waiting = threading.Thread(target=ask_for_a_model)
            waiting.start()
            time.sleep(1.0)  # the VAE request is now stuck on the silent endpoint
            other = Client(server.url, **LOCAL_CLIENT)
            started = time.perf_counter()
            notice = other.predict("denoise-gray", api_name="/denoise_notice")
            meanwhile = time.perf_counter() - started
            waiting.join(60)
            assert not waiting.is_alive(), "the model request never ended"
    finally:
        silent.close()
    print(f"\nother tab answered in {meanwhile:.2f} s; the model request ended after {outcome['seconds']:.1f} s")
    write_figures("fault-silent-hub", {"model_seconds": outcome["seconds"], "other_tab_seconds": meanwhile})
    assert "denoise-gray" in notice and meanwhile < 3.0
    assert outcome["seconds"] < 20.0
    message = str(outcome.get("error"))
    assert "did not answer" in message and "HF_HUB_OFFLINE=1" in message, message
