"""The maintainer path: validate, publish to the mirror and to a Hub (local endpoint), load back."""

import json

import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.errors import PublishError
from zoo.publish import main, publish, validate


def test_validate_accepts_a_complete_folder(tiny_checkpoint):
    checked = validate(tiny_checkpoint)
    assert checked.task == "vae" and checked.golden_diff < 1e-5
    assert checked.metrics == {"mnist test ELBO": -500.0}


def test_validate_refuses_incomplete_card_and_wrong_task(tiny_checkpoint):
    with pytest.raises(PublishError, match="holds a 'vae' checkpoint"):
        validate(tiny_checkpoint, task="denoise")
    card = tiny_checkpoint / "README.md"
    card.write_text(card.read_text().replace("license: mit\n", ""))
    with pytest.raises(PublishError, match="license"):
        validate(tiny_checkpoint)
    card.unlink()
    with pytest.raises(PublishError, match="no model card"):
        validate(tiny_checkpoint)


def test_publish_to_mirror_records_hashes_and_metrics(isolated_zoo, tiny_checkpoint, monkeypatch):
    (tiny_checkpoint / "checkpoint-10").mkdir()
    (tiny_checkpoint / "checkpoint-10" / "optimizer.bin").write_bytes(b"x")
    (tiny_checkpoint / "model" / "extra.pt").write_bytes(b"x")
    assert main([str(tiny_checkpoint), "--name", "vae-mnist", "--to", "mirror"]) == 0
    target = isolated_zoo.mirror / "imagezoo" / "vae-mnist"
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "checksums.json",  # the manifest: loading the folder by path verifies it
        "golden.safetensors",
        "model/config.json",
        "model/diffusion_pytorch_model.safetensors",
        "pipeline.json",
    ]
    entry = registry.get_entry("vae-mnist")
    assert entry.published and set(entry.files) == set(files)
    assert entry.metrics == {"mnist test ELBO": -500.0}
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert zoo.load("vae-mnist").source == "mirror"


def test_publish_to_hub_then_load_back(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", local_hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_test_token")
    (tiny_checkpoint / "checkpoint-10").mkdir()
    (tiny_checkpoint / "checkpoint-10" / "optimizer.bin").write_bytes(b"x")
    done = publish(tiny_checkpoint, "vae-mnist", to=("hub",))
    uploaded = set(local_hub.uploaded_paths("imagezoo/vae-mnist"))
    assert "pipeline.json" in uploaded and not any("checkpoint" in p or p.endswith(".bin") for p in uploaded)
    assert all(r.authorized for r in local_hub.requests if r.method == "POST")
    entry = registry.get_entry("vae-mnist")
    assert entry.revision == done["hub"] == local_hub.refs("imagezoo/vae-mnist")["main"]
    pipe = zoo.load("vae-mnist")  # not in the mirror: downloads the pinned revision, checks hashes
    assert pipe.source == "hub"
    reference = zoo.load(tiny_checkpoint)
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(pipe.sample(2), reference.sample(2), strict=True)
    )
    assert "hf_secret_test_token" not in json.dumps(entry.to_dict())


def test_publish_as_pull_request_leaves_catalog_revision(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", local_hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    done = publish(tiny_checkpoint, "vae-mnist", to=("hub",), create_pr=True)
    assert "discussions" in done["hub"] or "pr" in done["hub"].lower()
    assert registry.get_entry("vae-mnist").revision == "main"
    assert any(ref.startswith("refs/pr/") for ref in local_hub.refs("imagezoo/vae-mnist"))


def test_cli_reports_a_bad_folder_in_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "absent"), "--name", "vae-mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_load_downloads_exactly_the_pinned_revision(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch, tmp_path):
    from tests.conftest import build_tiny_checkpoint

    monkeypatch.setenv("HF_ENDPOINT", local_hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    publish(tiny_checkpoint, "vae-mnist", to=("hub", "mirror"))
    pinned = registry.get_entry("vae-mnist").revision
    assert len(pinned) == 40 and pinned == local_hub.refs("imagezoo/vae-mnist")["main"]
    # The mirror is the offline copy of exactly that commit (the Hub adds only its .gitattributes).
    hub_files = local_hub.read_files("imagezoo/vae-mnist", pinned)
    mirrored = isolated_zoo.mirror / "imagezoo" / "vae-mnist"
    assert {p: (mirrored / p).read_bytes() for p in registry.get_entry("vae-mnist").files} == {
        p: data for p, data in hub_files.items() if p != ".gitattributes"
    }
    # Then main moves on (other weights pushed by hand); a machine without the mirror still gets the pinned commit.
    other = build_tiny_checkpoint(tmp_path / "other", seed=1)
    weights = "model/diffusion_pytorch_model.safetensors"
    moved = local_hub.commit("imagezoo/vae-mnist", {weights: (other / weights).read_bytes()})
    assert moved != pinned
    monkeypatch.setenv("ZOO_MIRROR", str(tmp_path / "no-mirror"))
    local_hub.clear_requests()
    pipe = zoo.load("vae-mnist")
    assert pipe.source == "hub"
    downloads = [r.path for r in local_hub.requests if "/resolve/" in r.path]
    assert downloads and all(f"/resolve/{pinned}/" in path for path in downloads)
    reference = zoo.load(tiny_checkpoint)
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(pipe.sample(2), reference.sample(2), strict=True)
    )


def test_a_mirror_only_republish_unpins_the_revision(isolated_zoo, tiny_checkpoint, local_hub, monkeypatch, tmp_path):
    from tests.conftest import build_tiny_checkpoint

    monkeypatch.setenv("HF_TOKEN", "hf_test")
    publish(tiny_checkpoint, "vae-mnist", to=("hub",), endpoint=local_hub.endpoint)
    assert registry.get_entry("vae-mnist").revision != "main"
    publish(tiny_checkpoint, "vae-mnist", to=("mirror",))  # the same files: still the pinned commit's
    assert registry.get_entry("vae-mnist").revision == local_hub.refs("imagezoo/vae-mnist")["main"]
    publish(build_tiny_checkpoint(tmp_path / "retrained", seed=3), "vae-mnist", to=("mirror",))
    assert registry.get_entry("vae-mnist").revision == "main"  # the Hub commit does not hold these files


def _serve(handler_body):
    """A throwaway HTTP server on 127.0.0.1 answering every request with ``handler_body(request) -> (status, text)``."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            status, text = handler_body(self)
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = do_PUT = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_publishing_to_a_closed_port_is_one_line(isolated_zoo, tiny_checkpoint, capsys):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main([str(tiny_checkpoint), "--name", "vae-mnist", "--to", "hub", "--endpoint", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"127.0.0.1:{port}" in err


def test_a_server_echoing_the_token_never_gets_it_printed(isolated_zoo, tiny_checkpoint, capsys, monkeypatch):
    import json as _json

    token = "hf_" + "Secret" * 6
    monkeypatch.setenv("HF_TOKEN", token)
    server = _serve(lambda request: (400, _json.dumps({"error": f"bad auth: {request.headers.get('authorization')}"})))
    try:
        code = main([str(tiny_checkpoint), "--name", "vae-mnist", "--to", "hub",
                     "--endpoint", f"http://127.0.0.1:{server.server_address[1]}"])  # fmt: skip
    finally:
        server.shutdown()
    captured = capsys.readouterr()
    assert code == 2 and "failed" in captured.err
    assert token not in captured.err + captured.out and "Secret" not in captured.err
    assert "hf_***" in captured.err  # the echo was there, and was redacted
