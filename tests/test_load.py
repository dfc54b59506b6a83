"""zoo.load resolution: explicit folder, local mirror (offline), Hub cache, download; clear and fast failures."""

import shutil
import time

import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.hub import file_hashes, publish_to_mirror


def _same_images(a, b):
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b, strict=True))


def test_load_from_explicit_folder(isolated_zoo, tiny_checkpoint):
    pipe = zoo.load(tiny_checkpoint)
    assert pipe.task == "vae" and pipe.source == "folder"
    assert type(pipe.model).__name__ == "MLPVAE"
    assert _same_images(pipe.sample(3, seed=1), pipe.sample(3, seed=1))


def test_folder_copied_elsewhere_loads_identically(isolated_zoo, tiny_checkpoint, tmp_path):
    copy = shutil.copytree(tiny_checkpoint, tmp_path / "elsewhere" / "copy")
    assert _same_images(zoo.load(tiny_checkpoint).sample(4), zoo.load(copy).sample(4))


def test_load_from_mirror_offline(isolated_zoo, tiny_checkpoint, monkeypatch):
    publish_to_mirror(tiny_checkpoint, "imagezoo/vae-mnist")
    registry.update_entry("vae-mnist", files=file_hashes(tiny_checkpoint))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pipe = zoo.load("vae-mnist")
    assert pipe.source == "mirror" and pipe.name == "vae-mnist"
    assert _same_images(pipe.sample(2), zoo.load(tiny_checkpoint).sample(2))


def test_tampered_mirror_is_refused(isolated_zoo, tiny_checkpoint):
    target = publish_to_mirror(tiny_checkpoint, "imagezoo/vae-mnist")
    registry.update_entry("vae-mnist", files=file_hashes(tiny_checkpoint))
    weights = target / "model" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.CheckpointError, match="differ from the published checkpoint"):
        zoo.load("vae-mnist")


def test_unknown_name_lists_close_names(isolated_zoo):
    with pytest.raises(zoo.ModelNotFoundError, match="vae-mnist") as info:
        zoo.load("vae-mnsit")
    assert "Did you mean" in str(info.value)


def test_unpublished_catalog_name_says_so(isolated_zoo):
    with pytest.raises(zoo.ModelNotFoundError, match="no published weights yet"):
        zoo.load("pix2pix-maps")


def test_no_network_nothing_cached_fails_fast(isolated_zoo):
    started = time.monotonic()
    with pytest.raises(zoo.ModelNotFoundError) as info:
        zoo.load("someone/some-model")
    assert time.monotonic() - started < 3.0
    message = str(info.value)
    assert "someone/some-model" in message and "unreachable" in message and "mirror" in message


def test_offline_flag_nothing_cached_fails_fast(isolated_zoo, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(zoo.ModelNotFoundError, match="HF_HUB_OFFLINE"):
        zoo.load("someone/some-model")
    assert time.monotonic() - started < 3.0


def test_download_from_local_hub_into_empty_cache_then_offline(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch):
    from zoo.hub import repo_files

    local_hub.add_repo("someone/tiny-vae", tiny_checkpoint)
    monkeypatch.setenv("HF_ENDPOINT", local_hub.endpoint)
    assert not isolated_zoo.cache.exists()
    pipe = zoo.load("someone/tiny-vae")
    assert pipe.source == "hub"
    assert _same_images(pipe.sample(2), zoo.load(tiny_checkpoint).sample(2))
    downloaded = {r.path.rsplit("/", 1)[-1] for r in local_hub.requests if "/resolve/" in r.path}
    assert {p.rsplit("/", 1)[-1] for p in repo_files(tiny_checkpoint)} <= downloaded
    # Now cached: served with the Hub unreachable and the offline flag set.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert zoo.load("someone/tiny-vae").source == "cache"


def test_missing_revision_is_a_clear_error(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch):
    local_hub.add_repo("someone/tiny-vae", tiny_checkpoint)
    monkeypatch.setenv("HF_ENDPOINT", local_hub.endpoint)
    with pytest.raises(zoo.ModelNotFoundError, match="revision"):
        zoo.load("someone/tiny-vae", revision="0" * 40)
    with pytest.raises(zoo.ModelNotFoundError, match="no repo"):
        zoo.load("someone/absent")


def test_a_failed_lookup_imports_no_model_code():
    """Resolution runs before torch/diffusers are imported, so a wrong name fails in well under a second."""
    import subprocess
    import sys

    code = (
        "import sys, zoo\n"
        "try:\n    zoo.load('vae-mnsit')\nexcept zoo.ModelNotFoundError:\n    pass\n"
        "print('diffusers' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.fixture
def silent_endpoint(monkeypatch):
    """A server that completes the TCP handshake (the kernel's backlog) and never sends a byte."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    yield endpoint
    server.close()


def test_a_hub_that_never_answers_fails_in_seconds(isolated_zoo, silent_endpoint):
    started = time.monotonic()
    with pytest.raises(zoo.HubUnavailableError) as info:
        zoo.load("someorg/missing")
    assert time.monotonic() - started < 10.0
    message = str(info.value)
    assert "someorg/missing" in message and silent_endpoint in message and "HF_HUB_OFFLINE=1" in message
    assert isinstance(info.value, zoo.ModelNotFoundError)  # callers catching the old class still catch it


@pytest.mark.parametrize(("status", "error"), [(503, "HubUnavailableError"), (404, "ModelNotFoundError")])
def test_hub_errors_become_one_line_zoo_errors(isolated_zoo, monkeypatch, status, error):
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(zoo.ModelNotFoundError) as info:
            zoo.load("someorg/missing")
    finally:
        server.shutdown()
    assert type(info.value).__name__ == error and "\n" not in str(info.value)
    assert "someorg/missing" in str(info.value)
