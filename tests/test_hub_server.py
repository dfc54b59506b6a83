"""Tests of the LocalHub test server (tests/support/hub_server.py), driven only by the real huggingface_hub client over
HTTP, on the routes the zoo uses: repo info, tree, file download, create_repo, upload_folder (with create_pr, and to a
Space with delete_patterns)."""

from __future__ import annotations

import hashlib
import json
import random
import socket
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import get_session

from tests.support.hub_server import LocalHub

TOKEN = "hf_test_token_not_a_secret"
README = b"---\nlicense: apache-2.0\nlibrary_name: pytorch\ntags:\n- image-to-image\n---\n# Test model\n"


def _seed_files() -> dict[str, bytes]:
    rng = random.Random(0)
    return {
        "config.json": json.dumps({"arch": "unet", "channels": 3}).encode(),
        "weights.safetensors": rng.randbytes(2048),
        "tiny.bin": bytes([0, 255, 1, 254]) + rng.randbytes(96),  # < 150 bytes, binary, LFS-style
        "README.md": README,
    }


def _read_tree(folder: str | Path) -> dict[str, bytes]:
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_snapshot_download_revisions_cache_and_model_info(local_hub: LocalHub, tmp_path: Path) -> None:
    files = _seed_files()
    sha1 = local_hub.add_repo("org/model", files)

    path = snapshot_download("org/model", endpoint=local_hub.endpoint, cache_dir=tmp_path / "cache", token=False)
    assert Path(path).name == sha1
    assert _read_tree(path) == files
    assert local_hub.unhandled == []
    assert {r.status for r in local_hub.requests} == {200}

    # Second call served from the cache without any request.
    local_hub.clear_requests()
    cached = snapshot_download(
        "org/model", endpoint=local_hub.endpoint, cache_dir=tmp_path / "cache", local_files_only=True
    )
    assert cached == path
    assert local_hub.requests == []

    # A second commit: the old commit sha still downloads the old content.
    new_config = b'{"arch": "unet", "channels": 4}'
    sha2 = local_hub.commit("org/model", {"config.json": new_config}, delete=["tiny.bin"], message="v2")
    assert sha2 != sha1 and local_hub.refs("org/model") == {"main": sha2}

    old = snapshot_download("org/model", revision=sha1, endpoint=local_hub.endpoint, cache_dir=tmp_path / "c2")
    assert _read_tree(old) == files
    new = snapshot_download("org/model", endpoint=local_hub.endpoint, cache_dir=tmp_path / "c2")
    assert Path(new).name == sha2
    assert _read_tree(new) == {**{k: v for k, v in files.items() if k != "tiny.bin"}, "config.json": new_config}
    one = hf_hub_download("org/model", "config.json", revision=sha1, endpoint=local_hub.endpoint, cache_dir=tmp_path)
    assert Path(one).read_bytes() == files["config.json"]

    api = HfApi(endpoint=local_hub.endpoint, token=False)
    info = api.model_info("org/model")
    assert info.id == "org/model" and info.sha == sha2 and info.private is False
    assert {s.rfilename for s in info.siblings} == {"config.json", "weights.safetensors", "README.md"}
    assert api.model_info("org/model", revision=sha1).sha == sha1
    assert local_hub.unhandled == []


def test_file_metadata_headers_and_private_repos(local_hub: LocalHub, tmp_path: Path) -> None:
    """HEAD /resolve: X-Repo-Commit and an ETag (the sha256 for LFS-style files, which the client checks downloads
    against; the git blob id otherwise); a private repo answers only with a token."""
    files = _seed_files()
    sha = local_hub.add_repo("org/model", files, private=True)

    def head(filename: str, token: str | bool):
        url = hf_hub_url("org/model", filename, endpoint=local_hub.endpoint)
        return get_hf_file_metadata(url, token=token, endpoint=local_hub.endpoint)

    weights = head("weights.safetensors", TOKEN)
    assert weights.commit_hash == sha and weights.size == 2048
    assert weights.etag == hashlib.sha256(files["weights.safetensors"]).hexdigest()
    config = head("config.json", TOKEN)
    data = files["config.json"]
    assert config.etag == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    with pytest.raises(RepositoryNotFoundError):
        head("config.json", False)
    local_hub.clear_requests()
    path = snapshot_download("org/model", endpoint=local_hub.endpoint, cache_dir=tmp_path / "cache", token=TOKEN)
    assert _read_tree(path) == files
    assert local_hub.requests and all(r.authorized and r.status == 200 for r in local_hub.requests)


def test_create_repo_upload_folder_and_pull_requests(local_hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=local_hub.endpoint, token=TOKEN)
    # A fresh HF_HOME's first request (telemetry on) fetches the agent registry: empty, so no agent is reported.
    registry = get_session().get(f"{local_hub.endpoint}/api/agent-harnesses").json()
    assert registry == {"standardEnvVars": [], "harnesses": {}}
    url = api.create_repo("org/new", exist_ok=True)
    assert api.create_repo("org/new", exist_ok=True) == url == f"{local_hub.endpoint}/org/new"
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_repo("org/new")
    assert exc.value.response.status_code == 409

    src = tmp_path / "run"
    (src / "checkpoint-10").mkdir(parents=True)
    (src / "logs").mkdir()
    expected = {k: v for k, v in _seed_files().items() if k != "tiny.bin"}
    for name, data in expected.items():
        (src / name).write_bytes(data)
    (src / "checkpoint-10" / "optimizer.pt").write_bytes(b"optimizer state")
    (src / "checkpoint-10" / "config.json").write_bytes(b"{}")
    (src / "logs" / "events.txt").write_text("log")
    (src / "optimizer.pt").write_bytes(b"optimizer state")

    local_hub.clear_requests()
    info = api.upload_folder(
        folder_path=src,
        repo_id="org/new",
        allow_patterns=["*.json", "*.safetensors", "*.md"],
        ignore_patterns=["checkpoint-*", "checkpoint-*/**", "optimizer.pt"],
        commit_message="Upload model",
    )
    main_sha = local_hub.refs("org/new")["main"]
    assert info.oid == main_sha
    uploaded = local_hub.uploaded_paths("org/new")
    assert sorted(uploaded) == sorted(expected)
    assert not any("checkpoint-" in p or "optimizer" in p for p in uploaded)
    writes = [r for r in local_hub.requests if r.method == "POST"]
    assert writes and all(r.authorized for r in writes)

    got = _read_tree(snapshot_download("org/new", endpoint=local_hub.endpoint, cache_dir=tmp_path / "c1"))
    assert ".gitattributes" in got  # create_repo makes an initial commit, like the real Hub
    assert {k: v for k, v in got.items() if k != ".gitattributes"} == expected
    assert api.model_info("org/new").sha == main_sha

    # upload_folder(create_pr=True): draft PR via /discussions, then a commit on refs/pr/1 (hf_xet pipeline path).
    (src / "config.json").write_text('{"arch": "unet", "channels": 8}')
    (src / "NOTES.md").write_text("new file")
    pr = api.upload_folder(folder_path=src, repo_id="org/new", allow_patterns=["*.json", "*.md"], create_pr=True)
    assert pr.pr_revision == "refs/pr/1" and pr.pr_num == 1
    assert local_hub.refs("org/new")["main"] == main_sha
    assert api.model_info("org/new", revision=pr.pr_revision).sha == pr.oid
    pr_files = _read_tree(
        snapshot_download("org/new", revision=pr.pr_revision, endpoint=local_hub.endpoint, cache_dir=tmp_path / "c2")
    )
    assert pr_files["NOTES.md"] == b"new file" and pr_files["config.json"] == (src / "config.json").read_bytes()
    main_files = _read_tree(snapshot_download("org/new", endpoint=local_hub.endpoint, cache_dir=tmp_path / "c2"))
    assert "NOTES.md" not in main_files and main_files["config.json"] == expected["config.json"]

    assert set(local_hub.refs("org/new")) == {"main", "refs/pr/1"}

    # The client validates a README.md's front matter (POST /api/validate-yaml) before uploading anything.
    (src / "README.md").write_text("---\n- not a mapping\n---\n# card\n")
    with pytest.raises(ValueError, match="Invalid metadata"):
        api.upload_folder(folder_path=src, repo_id="org/new", allow_patterns=["*.md"])
    assert local_hub.refs("org/new")["main"] == main_sha
    assert local_hub.repo_meta("org/new")["discussions"]["1"]["isPullRequest"] is True
    assert local_hub.unhandled == []


def test_space_create_and_upload_folder_with_delete_patterns(local_hub: LocalHub, tmp_path: Path) -> None:
    """zoo.space.deploy: create_repo(repo_type="space") then upload_folder(delete_patterns=["*"]), which lists the
    Space's tree and deletes what the new folder no longer has."""
    api = HfApi(endpoint=local_hub.endpoint, token=TOKEN)
    url = api.create_repo("org/app", repo_type="space", space_sdk="gradio", private=True)
    assert url == f"{local_hub.endpoint}/spaces/org/app"
    assert local_hub.repo_meta("org/app", repo_type="space")["sdk"] == "gradio"
    assert not local_hub.repo_exists("org/app")  # Spaces live apart from models

    src = tmp_path / "app"
    (src / "pkg").mkdir(parents=True)
    (src / "app.py").write_text("print('v1')\n")
    (src / "pkg" / "old.py").write_text("x = 1\n")
    api.upload_folder(folder_path=src, repo_id="org/app", repo_type="space", delete_patterns=["*"])
    (src / "pkg" / "old.py").unlink()
    (src / "app.py").write_text("print('v2')\n")
    info = api.upload_folder(folder_path=src, repo_id="org/app", repo_type="space", delete_patterns=["*"])
    assert info.oid == local_hub.refs("org/app", repo_type="space")["main"]
    files = local_hub.read_files("org/app", repo_type="space")
    assert set(files) == {".gitattributes", "app.py"}  # .gitattributes is never deleted by the client
    assert files["app.py"] == b"print('v2')\n"
    assert sorted(local_hub.uploaded_paths("org/app", repo_type="space")) == ["app.py", "app.py", "pkg/old.py"]
    assert all(r.authorized for r in local_hub.requests) and local_hub.unhandled == []


def test_not_found_errors(local_hub: LocalHub, tmp_path: Path) -> None:
    local_hub.add_repo("org/model", _seed_files())
    local_hub.add_repo("org/private", {"a.txt": b"secret"}, private=True)
    kw = {"endpoint": local_hub.endpoint, "cache_dir": tmp_path / "cache", "token": False}
    api = HfApi(endpoint=local_hub.endpoint, token=False)

    with pytest.raises(RepositoryNotFoundError):
        snapshot_download("org/missing", **kw)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/missing", "config.json", **kw)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org/missing")
    with pytest.raises(RepositoryNotFoundError):  # private repo without a token
        hf_hub_download("org/private", "a.txt", **kw)
    assert Path(hf_hub_download("org/private", "a.txt", **{**kw, "token": TOKEN})).read_bytes() == b"secret"

    with pytest.raises(EntryNotFoundError) as exc:
        hf_hub_download("org/model", "missing.bin", **kw)
    assert isinstance(exc.value, RemoteEntryNotFoundError)

    with pytest.raises(RevisionNotFoundError):
        snapshot_download("org/model", revision="no-such-branch", **kw)
    with pytest.raises(RevisionNotFoundError):
        snapshot_download("org/model", revision="0" * 40, **kw)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/model", "config.json", revision="no-such-branch", **kw)
    with pytest.raises(RevisionNotFoundError):
        api.model_info("org/model", revision="refs/pr/9")

    # Routes the server does not implement answer 404 and are reported.
    with pytest.raises(HfHubHTTPError):
        api.dataset_info("org/model")
    assert local_hub.unhandled == ["GET /api/datasets/org/model"]
    local_hub.clear_requests()  # expected here; the fixture fails any other test that hits an unimplemented route


def test_lifecycle_is_fast_and_clean(tmp_path: Path) -> None:
    start = time.monotonic()
    hub = LocalHub(tmp_path).start()
    assert time.monotonic() - start < 1.0
    port = hub.port
    thread = hub._thread
    HfApi(endpoint=hub.endpoint, token=TOKEN).create_repo("org/x")  # leave a keep-alive connection open
    hub.stop()
    assert thread is not None and not thread.is_alive()
    with pytest.raises(RuntimeError):
        _ = hub.endpoint
    with socket.socket() as sock:  # the port is released
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    # Data persists on disk: a new server on the same root serves the same repo.
    with LocalHub(tmp_path) as again:
        assert again.repo_exists("org/x")
        assert HfApi(endpoint=again.endpoint, token=False).model_info("org/x").sha == again.refs("org/x")["main"]
