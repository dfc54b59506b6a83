"""Tests of the LocalHub test server, driven only by the real huggingface_hub client over HTTP."""

from __future__ import annotations

import json
import random
import socket
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.support.hub_server import LocalHub, local_hub_fixture

local_hub = local_hub_fixture()

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
    info = api.model_info("org/model", files_metadata=True)
    assert info.id == "org/model" and info.sha == sha2 and info.private is False
    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == {"config.json", "weights.safetensors", "README.md"}
    assert siblings["weights.safetensors"].size == 2048
    assert siblings["weights.safetensors"].lfs is not None and siblings["weights.safetensors"].lfs.size == 2048
    assert siblings["config.json"].lfs is None and siblings["config.json"].size == len(new_config)
    assert info.card_data is not None and info.card_data.license == "apache-2.0"
    assert api.model_info("org/model", revision=sha1).sha == sha1
    assert [c.commit_id for c in api.list_repo_commits("org/model")] == [sha2, sha1]


def test_lfs_redirect_to_cdn_drops_authorization(tmp_path: Path) -> None:
    files = _seed_files()
    with LocalHub(tmp_path / "hub", lfs_redirect=True) as hub:
        hub.add_repo("org/model", files, private=True)
        path = snapshot_download("org/model", endpoint=hub.endpoint, cache_dir=tmp_path / "cache", token=TOKEN)
        assert _read_tree(path) == files
        heads = {r.path.rsplit("/", 1)[-1]: r for r in hub.requests if r.method == "HEAD"}
        assert heads["tiny.bin"].status == 302 and heads["config.json"].status == 200
        cdn = [r for r in hub.requests if r.path.startswith("/__cdn__/")]
        assert {r.path.rsplit("/", 1)[-1] for r in cdn} == {"tiny.bin", "weights.safetensors"}
        assert not any(r.authorized for r in cdn)  # like a real CDN redirect: the token stays on the Hub
        assert all(r.authorized for r in hub.requests if not r.path.startswith("/__cdn__/"))


def test_create_repo_upload_folder_and_pull_requests(local_hub: LocalHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=local_hub.endpoint, token=TOKEN)
    assert api.whoami()["name"] == local_hub.username
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

    # upload_file(create_pr=True): create_commit path, POST .../commit/main?create_pr=1.
    pr2 = api.upload_file(path_or_fileobj=b"extra", path_in_repo="extra.txt", repo_id="org/new", create_pr=True)
    assert pr2.pr_revision == "refs/pr/2"
    assert local_hub.read_files("org/new", "refs/pr/2")["extra.txt"] == b"extra"
    refs = api.list_repo_refs("org/new", include_pull_requests=True)
    assert [b.target_commit for b in refs.branches] == [main_sha]
    assert {r.ref for r in refs.pull_requests} == {"refs/pr/1", "refs/pr/2"}
    assert local_hub.unhandled == []


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
