"""A minimal, test-only Hugging Face Hub HTTP server ("LocalHub"), serving only the routes the zoo uses.

The zoo's Hub path (``zoo/hub.py``: ``snapshot_download``, ``HfApi.create_repo`` + ``upload_folder`` with or without
``create_pr``; ``zoo/mirror.py``: ``snapshot_download``; ``zoo/space.py``: ``create_repo(repo_type="space")`` +
``upload_folder(delete_patterns=["*"])``) is tested with the *real* ``huggingface_hub`` client over HTTP against this
server on 127.0.0.1: no network, no git, starts in milliseconds, and records every request for the tests to inspect.
(``olah`` cannot do it: it is a read-only git mirror and accepts no uploads.)

Usage::

    from tests.support.hub_server import LocalHub

    with LocalHub(tmp_path / "hub") as hub:
        sha = hub.add_repo("org/model", {"config.json": b"{}", "weights.safetensors": b"..."})
        folder = snapshot_download("org/model", endpoint=hub.endpoint, cache_dir=tmp_path / "cache", token=False)
        HfApi(endpoint=hub.endpoint, token="hf_test").upload_folder(folder_path=..., repo_id="org/model")
        assert all(r.authorized for r in hub.requests if r.method == "POST")

    # conftest.py: a function-scoped fixture named "local_hub"
    local_hub = local_hub_fixture()

Test helpers (no HTTP): ``add_repo(repo_id, files, private=False) -> sha`` (files: ``{path: bytes|str}`` or a folder;
the first commit holds exactly these files), ``commit(repo_id, files, delete=[...], revision="main") -> sha``,
``refs(repo_id) -> {"main": sha, "refs/pr/1": sha}``, ``read_files(repo_id, rev)``, ``repo_meta(repo_id)``,
``repo_exists(repo_id)``; the request log ``requests`` (:class:`RecordedRequest`), ``uploaded_paths(repo_id)``,
``unhandled`` and ``clear_requests()``. ``HfApi.create_repo`` makes an initial commit holding ``.gitattributes``, like
the real Hub; ``add_repo`` does not. Every helper and route takes ``repo_type`` "model" or "space".

Pointing the client here (huggingface_hub 2.4): pass ``endpoint=`` (``HfApi``, ``snapshot_download``,
``hf_hub_download``), or set ``HF_ENDPOINT`` where the zoo reads it (at call time, ``zoo.hub.hub_endpoint``;
huggingface_hub itself reads it only at import). Always pass ``cache_dir=`` and an explicit ``token=``.

What the client needs from these routes (read from the 2.4 sources and checked by tests/test_hub_server.py):
    * ``snapshot_download(revision=<branch>)``: ``GET /api/models/{id}/revision/{rev}`` (``sha``), then
      ``GET .../tree/{sha}?recursive=true``, then ``HEAD`` + ``GET /{id}/resolve/{sha}/{file}`` per file; a full commit
      sha as revision skips the first call. Revisions arrive ``quote(rev, safe="")``-encoded (``refs%2Fpr%2F1``), so
      routing splits the raw, still-encoded path.
    * ``HEAD /resolve`` must answer ``X-Repo-Commit`` and an ``ETag`` (else ``FileMetadataError``); LFS files add
      ``X-Linked-Etag`` (their sha256, which the client checks the download against) and ``X-Linked-Size``.
    * Errors map from ``X-Error-Code``: ``RepoNotFound`` -> ``RepositoryNotFoundError``, ``RevisionNotFound`` ->
      ``RevisionNotFoundError``, ``EntryNotFound`` -> ``RemoteEntryNotFoundError``. A 404 on ``/resolve`` carries
      ``X-Repo-Commit`` so the client caches the non-existence, as against the real Hub.
    * Unless telemetry is off (``HF_HUB_DISABLE_TELEMETRY``, which gradio sets in ``os.environ`` once an app is built),
      the first request of a process with an empty ``HF_HOME`` is preceded by ``GET /api/agent-harnesses`` (the
      user-agent's agent detection; e.g. the ``zoo.publish`` subprocess of tests/reliability/test_faults.py).
    * ``create_repo(exist_ok=True)`` swallows a 409 but still reads ``url`` from the 409 body.
    * ``hf_xet`` is a hard dependency, so ``upload_folder`` always takes the "pipelined" path: ``preupload``, then with
      ``create_pr=True`` ``POST .../discussions`` (+ ``GET .../discussions/N``) to open a draft PR and
      ``POST .../commit/refs%2Fpr%2FN``; ``delete_patterns`` lists the tree first and sends ``deletedFile`` lines.
    * ``preupload`` answers ``uploadMode: "regular"`` for every file (so no LFS or Xet transfer is ever needed: the
      contents arrive base64 in the NDJSON commit) and the remote ``oid`` of existing files, so the client drops
      unchanged files from the commit as against the real Hub. (The real Hub refuses "regular" files over 10 MB.)

Routes (anything else is answered 404, logged as a warning and listed in ``LocalHub.unhandled``)::

    GET      /api/agent-harnesses                                an empty registry (see below)
    POST     /api/validate-yaml                                  README.md front matter (the client checks it first)
    POST     /api/repos/create                                   models and Spaces (``sdk`` kept)
    GET      /api/{models|spaces}/{id}[/revision/{rev}]           repo_info: sha, siblings
    GET      /api/{models|spaces}/{id}/tree/{rev}                 list_repo_tree (``?recursive=true``)
    POST     /api/{models|spaces}/{id}/preupload/{rev}            always ``uploadMode: "regular"``
    POST     /api/{models|spaces}/{id}/commit/{rev}               NDJSON header/file/deletedFile
    POST     /api/{models|spaces}/{id}/discussions                opens a draft pull request (refs/pr/N)
    GET      /api/{models|spaces}/{id}/discussions/{num}
    HEAD|GET /{id}/resolve/{rev}/{path}                           model files

Write routes need an ``Authorization`` header (any value); reads of private repos too. Token values are never
stored: ``requests`` records only whether the header was present.

Storage (under ``root``; Spaces under ``root/.spaces``)::

    <org>/<name>/repo.json                    private flag, creation date, discussions (and ``sdk`` for a Space)
    <org>/<name>/refs/heads/main              a 40-hex commit id (also refs/pr/N)
    <org>/<name>/commits/<sha>/commit.json    parent, title, message, date, manifest {path: size/oid/sha256}
    <org>/<name>/commits/<sha>/files/...      full snapshot at that commit (unchanged files hard-linked)

Commit ids are deterministic (sha1 of parent, title, message and manifest). Files matching the usual LFS patterns
(``*.safetensors``, ``*.bin``, ...) or of 10 MB or more are *described* as LFS files (``lfs`` in the tree,
``X-Linked-*`` headers); storage is the same for all files.
"""

from __future__ import annotations

import base64
import datetime as dt
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger(__name__)

__all__ = ["HubError", "LocalHub", "RecordedRequest", "local_hub_fixture"]

# fmt: off
LFS_PATTERNS = (
    "*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.onnx", "*.msgpack", "*.npy", "*.npz", "*.pkl",
    "*.pickle", "*.joblib", "*.gguf", "*.tflite", "*.ot", "*.model", "*.tar", "*.tgz", "*.gz", "*.zip", "*.zst",
    "*.xz", "*.7z", "*.arrow", "*.parquet",
)
# fmt: on
LFS_THRESHOLD = 10 * 1024 * 1024

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_REPO_TYPES = ("model", "space")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)

FileSource = Mapping[str, "bytes | str"] | str | os.PathLike


def _now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _check_relpath(path: str) -> str:
    path = path.replace("\\", "/").strip("/")
    if not path or any(p in ("", ".", "..") for p in path.split("/")):
        raise HubError(400, f"Invalid path in repo: {path!r}")
    return path


def _read_file_source(files: FileSource | None) -> dict[str, bytes]:
    if files is None:
        return {}
    if isinstance(files, Mapping):
        return {_check_relpath(k): v.encode() if isinstance(v, str) else bytes(v) for k, v in files.items()}
    folder = Path(files)
    if not folder.is_dir():
        raise ValueError(f"Not a folder: {folder}")
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


class HubError(Exception):
    """Hub-style error: raised by handlers (turned into an error response) and by the test helpers."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}

    def response(self) -> Response:
        headers = {"X-Error-Message": self.message, **self.headers}
        if self.code:
            headers["X-Error-Code"] = self.code
        return JSONResponse({"error": self.message}, status_code=self.status, headers=headers)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as seen by the server. Token values are never recorded, only whether one was sent."""

    method: str
    path: str  # percent-decoded path, e.g. "/api/models/org/name/commit/refs/pr/1"
    raw_path: str  # as sent, e.g. "/api/models/org/name/commit/refs%2Fpr%2F1"
    query: str
    authorized: bool
    status: int
    committed_paths: tuple[str, ...] = ()  # files added by a commit request


@dataclass
class _Commit:
    sha: str
    parent: str | None
    title: str
    message: str
    date: str
    author: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> {size, oid, sha256}


class LocalHub:
    """Test Hub server on 127.0.0.1, storing repos under ``root``. Use as a context manager (or start()/stop())."""

    def __init__(
        self, root: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 0, username: str = "test-user"
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.host, self.port, self.username = host, port, username
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[str] = []
        self._lock = threading.RLock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalHub is not running")
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalHub:
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            log_config=None,  # never touch the logging config of the test process
            log_level="warning",
            access_log=False,
            interface="asgi3",
            proxy_headers=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"LocalHub:{self.port}")
        thread.daemon = True
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                sock.close()
                raise RuntimeError("LocalHub failed to start")
            time.sleep(0.002)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(10)
            if thread.is_alive():  # pragma: no cover - defensive
                server.force_exit = True
                thread.join(5)
        if sock is not None:
            sock.close()

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test helpers
    def add_repo(
        self, repo_id: str, files: FileSource | None = None, *, private: bool = False, message: str = "Initial commit"
    ) -> str:
        """Create ``repo_id`` with one commit on ``main`` holding exactly ``files`` (dict path->bytes/str, or a folder).

        Returns the commit sha. Raises :class:`HubError` (status 409) if the repo exists.
        """
        with self._lock:
            return self._create_repo(repo_id, private=private, files=_read_file_source(files), message=message)

    def commit(
        self,
        repo_id: str,
        files: FileSource | None = None,
        *,
        delete: Iterable[str] = (),
        revision: str = "main",
        message: str = "Update files",
        repo_type: str = "model",
    ) -> str:
        """Add/overwrite ``files`` and delete paths on branch or PR ``revision``. Returns the commit sha."""
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type)
            ops: list[tuple[str, str, bytes]] = [("file", p, data) for p, data in _read_file_source(files).items()]
            ops += [("deletedFile", _check_relpath(p), b"") for p in delete]
            return self._apply_commit(repo_dir, revision, ops, title=message, message="")

    def refs(self, repo_id: str, repo_type: str = "model") -> dict[str, str]:
        """``{"main": sha, "refs/pr/1": sha, ...}``"""
        with self._lock:
            refs_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type) / "refs"
            out = {}
            for p in sorted(refs_dir.rglob("*")):
                if p.is_file():
                    rel = p.relative_to(refs_dir).as_posix()
                    name = rel[len("heads/") :] if rel.startswith("heads/") else f"refs/{rel}"
                    out[name] = p.read_text().strip()
            return out

    def read_files(self, repo_id: str, revision: str = "main", repo_type: str = "model") -> dict[str, bytes]:
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type)
            commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
            files_dir = repo_dir / "commits" / commit.sha / "files"
            return {p: (files_dir / p).read_bytes() for p in sorted(commit.files)}

    def repo_meta(self, repo_id: str, repo_type: str = "model") -> dict[str, Any]:
        """The stored ``repo.json``: private flag, creation date, discussions (and ``sdk`` for a Space)."""
        with self._lock:
            return self._meta(self._repo_dir(repo_id, must_exist=True, repo_type=repo_type))

    def repo_exists(self, repo_id: str, repo_type: str = "model") -> bool:
        try:
            return (self._repo_dir(repo_id, repo_type=repo_type) / "repo.json").is_file()
        except HubError:
            return False

    def uploaded_paths(self, repo_id: str | None = None, repo_type: str = "model") -> list[str]:
        """All file paths received through the commit API (optionally for one repo), in order."""
        kind = f"/api/{repo_type}s/"
        prefix = f"{kind}{repo_id}/commit/" if repo_id else kind
        return [p for r in list(self.requests) if r.path.startswith(prefix) for p in r.committed_paths]

    def clear_requests(self) -> None:
        self.requests.clear()
        self.unhandled.clear()

    # ------------------------------------------------------------------ storage
    def _repo_dir(self, repo_id: str, must_exist: bool = False, repo_type: str = "model") -> Path:
        parts = repo_id.split("/")
        if len(parts) != 2 or not all(_NAME_RE.match(p) for p in parts):
            raise HubError(404, f"Repository {repo_id!r} not found (LocalHub needs 'namespace/name')", "RepoNotFound")
        if repo_type not in _REPO_TYPES:
            raise HubError(400, f"LocalHub supports model and space repos, not {repo_type!r}")
        base = self.root if repo_type == "model" else self.root / ".spaces"  # no repo name starts with "."
        repo_dir = base / parts[0] / parts[1]
        if must_exist and not (repo_dir / "repo.json").is_file():
            raise HubError(404, f"Repository not found: {repo_id}", "RepoNotFound")
        return repo_dir

    def _meta(self, repo_dir: Path) -> dict[str, Any]:
        return json.loads((repo_dir / "repo.json").read_text())

    def _save_meta(self, repo_dir: Path, meta: dict[str, Any]) -> None:
        (repo_dir / "repo.json").write_text(json.dumps(meta, indent=1))

    def _create_repo(
        self,
        repo_id: str,
        *,
        private: bool,
        files: dict[str, bytes],
        message: str,
        repo_type: str = "model",
        extra: dict[str, Any] | None = None,
    ) -> str:
        repo_dir = self._repo_dir(repo_id, repo_type=repo_type)
        if (repo_dir / "repo.json").exists():
            raise HubError(409, f"You already created this {repo_type} repo")
        (repo_dir / "refs" / "heads").mkdir(parents=True)
        (repo_dir / "commits").mkdir()
        self._save_meta(repo_dir, {"private": private, "createdAt": _now(), "discussions": {}, **(extra or {})})
        commit = self._write_commit(repo_dir, None, dict(files), message, "")
        self._set_ref(repo_dir, "refs/heads/main", commit.sha)
        return commit.sha

    def _ref_file(self, repo_dir: Path, ref: str) -> Path:
        if ".." in ref.split("/") or not ref.startswith(("refs/heads/", "refs/pr/")):
            raise HubError(400, f"Invalid ref {ref!r}")
        return repo_dir / ref

    def _set_ref(self, repo_dir: Path, ref: str, sha: str) -> None:
        path = self._ref_file(repo_dir, ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sha)

    def _ref_name(self, repo_dir: Path, revision: str) -> str | None:
        """Full ref name of a branch or PR revision, or None if it does not exist."""
        ref = revision if revision.startswith("refs/") else f"refs/heads/{revision}"
        return ref if ".." not in ref.split("/") and (repo_dir / ref).is_file() else None

    def _resolve(self, repo_dir: Path, revision: str) -> str:
        if _SHA_RE.match(revision) and (repo_dir / "commits" / revision / "commit.json").is_file():
            return revision
        ref = self._ref_name(repo_dir, revision)
        if ref is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return (repo_dir / ref).read_text().strip()

    def _load_commit(self, repo_dir: Path, sha: str) -> _Commit:
        return _Commit(**json.loads((repo_dir / "commits" / sha / "commit.json").read_text()))

    def _write_commit(
        self, repo_dir: Path, parent: _Commit | None, contents: dict[str, bytes | Path], title: str, message: str
    ) -> _Commit:
        """Write a full snapshot. ``contents`` values are new bytes or a Path to reuse (hard-linked)."""
        manifest: dict[str, dict[str, Any]] = {}
        for path, value in contents.items():
            if isinstance(value, Path):
                manifest[path] = parent.files[path] if parent else {}
            else:
                manifest[path] = {
                    "size": len(value),
                    "oid": _git_blob_sha1(value),
                    "sha256": hashlib.sha256(value).hexdigest(),
                }
        digest = hashlib.sha1()
        digest.update(f"parent {parent.sha if parent else ''}\ntitle {title}\nmessage {message}\n".encode())
        for path in sorted(manifest):
            digest.update(f"{path}\0{manifest[path]['oid']}\n".encode())
        commit = _Commit(
            digest.hexdigest(), parent.sha if parent else None, title, message, _now(), self.username, manifest
        )
        commit_dir = repo_dir / "commits" / commit.sha
        if (commit_dir / "commit.json").is_file():  # identical commit already exists
            return self._load_commit(repo_dir, commit.sha)
        tmp_dir = repo_dir / "commits" / f".tmp-{commit.sha}-{threading.get_ident()}"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        for path, value in contents.items():
            target = tmp_dir / "files" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(value, Path):
                try:
                    os.link(value, target)
                except OSError:
                    shutil.copyfile(value, target)
            else:
                target.write_bytes(value)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        (tmp_dir / "commit.json").write_text(json.dumps(commit.__dict__, indent=1))
        tmp_dir.rename(commit_dir)
        return commit

    def _apply_commit(
        self, repo_dir: Path, revision: str, ops: list[tuple[str, str, bytes]], *, title: str, message: str
    ) -> str:
        """Apply ops ("file", "deletedFile") on top of branch or PR ``revision`` and move it. Returns the sha."""
        ref = self._ref_name(repo_dir, revision)
        if ref is None:
            if _SHA_RE.match(revision):
                raise HubError(400, f"Cannot commit to a commit id ({revision}); use a branch or a PR ref")
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        head = (repo_dir / ref).read_text().strip()
        parent = self._load_commit(repo_dir, head)
        parent_files = repo_dir / "commits" / head / "files"
        contents: dict[str, bytes | Path] = {p: parent_files / p for p in parent.files}
        for kind, path, data in ops:
            if kind == "file":
                contents[path] = data
            elif contents.pop(path, None) is None:  # deletedFile
                raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        commit = self._write_commit(repo_dir, parent, contents, title, message)
        self._set_ref(repo_dir, ref, commit.sha)
        return commit.sha

    def _lfs_sha256(self, path: str, info: dict[str, Any]) -> str | None:
        """The sha256 of a file the Hub would store in LFS (by name pattern or size), else None."""
        name = path.rsplit("/", 1)[-1]
        is_lfs = info["size"] >= LFS_THRESHOLD or any(fnmatch.fnmatch(name, pat) for pat in LFS_PATTERNS)
        return info["sha256"] if is_lfs else None

    def _file_entry(self, path: str, info: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": info["oid"], "size": info["size"], "path": path}
        sha256 = self._lfs_sha256(path, info)
        if sha256 is not None:  # git stores the LFS pointer: its blob id is the oid
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {info['size']}\n"
            entry["oid"] = _git_blob_sha1(pointer.encode())
            entry["lfs"] = {"oid": sha256, "size": info["size"], "pointerSize": len(pointer)}
        return entry

    def _dir_entry(self, commit: _Commit, path: str) -> dict[str, Any]:
        digest = hashlib.sha1(f"tree {path}\n".encode())
        for p in sorted(commit.files):
            if p.startswith(path + "/"):
                digest.update(f"{p}\0{commit.files[p]['oid']}\n".encode())
        return {"type": "directory", "oid": digest.hexdigest(), "size": 0, "path": path}

    # ------------------------------------------------------------------ ASGI app
    async def _asgi(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan is off, websockets disabled
            return
        request = Request(scope, receive)
        raw_path = (scope.get("raw_path") or quote(scope["path"]).encode()).decode("latin-1").split("?", 1)[0]
        parts = [unquote(p) for p in raw_path.split("/")[1:]]
        committed: list[str] = []
        try:
            response = await self._dispatch(request, parts, committed)
        except HubError as err:
            response = err.response()
        except Exception as err:  # pragma: no cover - bug in the test server
            logger.exception("LocalHub: internal error on %s %s", request.method, raw_path)
            response = HubError(500, f"LocalHub internal error: {err!r}").response()
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=scope["path"],
                raw_path=raw_path,
                query=scope.get("query_string", b"").decode("latin-1"),
                authorized=bool(request.headers.get("authorization")),
                status=response.status_code,
                committed_paths=tuple(committed),
            )
        )
        await response(scope, receive, send)

    def _check_read(self, request: Request, repo_dir: Path) -> None:
        if self._meta(repo_dir).get("private") and not request.headers.get("authorization"):
            raise HubError(401, "Repository not found", "RepoNotFound")

    def _check_write(self, request: Request) -> None:
        if not request.headers.get("authorization"):
            raise HubError(401, "Invalid credentials in Authorization header")

    async def _dispatch(self, request: Request, parts: list[str], committed: list[str]) -> Response:
        method = request.method
        if parts[:1] == ["api"]:
            rest = parts[1:]
            if method == "POST" and rest == ["repos", "create"]:
                return await self._create_repo_route(request)
            if method == "POST" and rest == ["validate-yaml"]:
                return await self._validate_yaml(request)
            if method == "GET" and rest == ["agent-harnesses"]:  # telemetry registry, fetched once a day per HF_HOME
                return JSONResponse({"standardEnvVars": [], "harnesses": {}})  # empty: no agent is ever detected
            if len(rest) >= 3 and rest[0] in ("models", "spaces"):
                # Read the body first: the lock must never be held across an `await`.
                body = await request.body() if method == "POST" else b""
                with self._lock:
                    response = self._repo_api(request, f"{rest[1]}/{rest[2]}", rest[3:], body, committed, rest[0][:-1])
                if response is not None:
                    return response
        elif len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
            return self._serve_file(request, f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]))
        line = f"{method} {request.url.path}{'?' + request.url.query if request.url.query else ''}"
        logger.warning("LocalHub: unhandled route %s", line)
        self.unhandled.append(line)
        raise HubError(404, f"LocalHub does not implement {method} {request.url.path}")

    def _repo_api(
        self, request: Request, repo_id: str, action: list[str], body: bytes, committed: list[str], repo_type: str
    ) -> Response | None:
        method, n = request.method, len(action)
        kind = action[0] if action else ""
        repo_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type)
        if method == "GET":
            self._check_read(request, repo_dir)
            if n == 0 or (kind == "revision" and n == 2):
                return self._repo_info(repo_id, repo_dir, action[1] if n == 2 else "main")
            if kind == "tree" and n == 2:
                return self._tree(request, repo_dir, action[1])
            if kind == "discussions" and n == 2:
                return self._discussion_details(repo_id, repo_dir, action[1], repo_type)
            return None
        if method != "POST":
            return None
        self._check_write(request)
        if kind == "preupload" and n == 2:
            return self._preupload(repo_dir, action[1], json.loads(body or b"{}"))
        if kind == "commit" and n == 2:
            return self._commit_route(request, repo_id, repo_dir, action[1], body, committed)
        if kind == "discussions" and n == 1:
            return self._create_pull_request(repo_id, repo_dir, json.loads(body or b"{}"))
        return None

    # ------------------------------------------------------------------ handlers
    async def _create_repo_route(self, request: Request) -> Response:
        self._check_write(request)
        body = await request.json()
        repo_type = body.get("type") or "model"
        if repo_type not in _REPO_TYPES:
            raise HubError(400, f"LocalHub only supports model and space repos, got type={body.get('type')!r}")
        repo_id = f"{body.get('organization') or self.username}/{body.get('name')}"
        url = f"{self.endpoint}/{'spaces/' if repo_type == 'space' else ''}{repo_id}"
        private = body.get("visibility") == "private" or bool(body.get("private"))
        extra = {"sdk": body.get("sdk")} if repo_type == "space" else {}  # the client requires one
        gitattributes = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS).encode()
        with self._lock:
            try:  # like the real Hub: an initial commit holding .gitattributes
                self._create_repo(
                    repo_id,
                    private=private,
                    files={".gitattributes": gitattributes},
                    message="initial commit",
                    repo_type=repo_type,
                    extra=extra,
                )
            except HubError as err:
                if err.status == 409:
                    return JSONResponse({"error": err.message, "url": url}, 409, {"X-Error-Message": err.message})
                raise
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    async def _validate_yaml(self, request: Request) -> Response:
        """Sent by the client before committing a README.md: its front matter must be a YAML mapping."""
        match = _FRONT_MATTER_RE.match((await request.json()).get("content", ""))
        if match:
            try:
                import yaml  # a dependency of huggingface_hub

                data = yaml.safe_load(match.group(1))
                if data is not None and not isinstance(data, dict):
                    raise ValueError("metadata must be a YAML mapping")
            except Exception as err:
                return JSONResponse({"errors": [{"message": f"Invalid YAML: {err}"}], "warnings": []}, 400)
        return JSONResponse({"errors": [], "warnings": []})

    def _repo_info(self, repo_id: str, repo_dir: Path, revision: str) -> Response:
        meta = self._meta(repo_dir)
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        data = {
            "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit.sha,
            "lastModified": commit.date,
            "createdAt": meta["createdAt"],
            "private": bool(meta.get("private")),
            "gated": False,
            "disabled": False,
            "tags": [],
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        }
        return JSONResponse(data)

    def _tree(self, request: Request, repo_dir: Path, revision: str) -> Response:
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
        dirs: set[str] = set()
        for p in commit.files:
            parents = p.split("/")[:-1]
            dirs.update("/".join(parents[: i + 1]) for i in range(len(parents)))
        entries = [self._dir_entry(commit, d) for d in sorted(dirs) if recursive or "/" not in d]
        entries += [self._file_entry(p, commit.files[p]) for p in sorted(commit.files) if recursive or "/" not in p]
        return JSONResponse(entries)

    def _discussion_details(self, repo_id: str, repo_dir: Path, num: str, repo_type: str) -> Response:
        disc = self._meta(repo_dir)["discussions"].get(num)
        if disc is None:
            raise HubError(404, f"Discussion {num} not found")
        data = {
            "num": disc["num"],
            "title": disc["title"],
            "status": disc["status"],
            "isPullRequest": disc["isPullRequest"],
            "createdAt": disc["createdAt"],
            "author": {"name": self.username},
            "repo": {"name": repo_id, "type": repo_type},
            "events": [],
            "filesWithConflicts": [],
            "diff": "",
            "changes": {"base": disc["base"]},
        }
        return JSONResponse(data)

    def _create_pull_request(self, repo_id: str, repo_dir: Path, body: dict[str, Any]) -> Response:
        """``upload_folder(create_pr=True)``: a draft PR whose ref starts at main (the upload then commits to it)."""
        if not body.get("pullRequest"):
            raise HubError(400, "LocalHub only opens pull requests, not plain discussions")
        meta = self._meta(repo_dir)
        num = len(meta["discussions"]) + 1
        meta["discussions"][str(num)] = {
            "num": num,
            "title": str(body.get("title") or ""),
            "description": str(body.get("description") or ""),
            "isPullRequest": True,
            "status": "draft",
            "createdAt": _now(),
            "base": "refs/heads/main",
        }
        self._save_meta(repo_dir, meta)
        self._set_ref(repo_dir, f"refs/pr/{num}", self._resolve(repo_dir, "main"))
        return JSONResponse({"num": num, "pullRequest": True, "url": f"{self.endpoint}/{repo_id}/discussions/{num}"})

    def _preupload(self, repo_dir: Path, revision: str, body: dict[str, Any]) -> Response:
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        files = [
            {
                "path": f["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": commit.files.get(f["path"], {}).get("oid"),
            }
            for f in body.get("files", [])
        ]
        return JSONResponse({"files": files, "commitOid": commit.sha})

    def _commit_route(
        self, request: Request, repo_id: str, repo_dir: Path, revision: str, body: bytes, committed: list[str]
    ) -> Response:
        if request.query_params.get("create_pr") in ("1", "true"):  # the pipelined upload never sends it
            raise HubError(400, "LocalHub does not implement ?create_pr=1 (upload_folder opens a PR via /discussions)")
        header: dict[str, Any] = {}
        ops: list[tuple[str, str, bytes]] = []
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value") or {}
            if key == "header":
                header = value
            elif key == "file":
                content = value.get("content", "")
                data = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
                ops.append(("file", _check_relpath(value["path"]), data))
            elif key == "deletedFile":
                ops.append((key, _check_relpath(value["path"]), b""))
            else:  # lfsFile never comes (preupload answers "regular"); deletedFolder is not used by the zoo
                raise HubError(400, f"LocalHub does not implement the commit operation {key!r}")
        if header.get("parentCommit"):
            raise HubError(400, "LocalHub does not implement parent_commit")
        committed.extend(path for kind, path, _ in ops if kind == "file")
        sha = self._apply_commit(
            repo_dir,
            revision,
            ops,
            title=str(header.get("summary") or "Upload files"),
            message=str(header.get("description") or ""),
        )
        return JSONResponse(
            {
                "success": True,
                "commitOid": sha,
                "commitUrl": f"{self.endpoint}/{repo_id}/commit/{sha}",
                "hookOutput": "",
                "pullRequestUrl": None,
            }
        )

    def _serve_file(self, request: Request, repo_id: str, revision: str, path: str) -> Response:
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True)
            self._check_read(request, repo_dir)
            sha = self._resolve(repo_dir, revision)
            info = self._load_commit(repo_dir, sha).files.get(path)
            if info is None:
                raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": sha})
            file_path = repo_dir / "commits" / sha / "files" / path
        sha256 = self._lfs_sha256(path, info)
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{sha256 or info["oid"]}"',
            "Content-Type": "application/octet-stream",
            "Content-Length": str(info["size"]),
        }
        if sha256 is not None:
            headers.update({"X-Linked-Etag": f'"{sha256}"', "X-Linked-Size": str(info["size"])})
        # A Range header (sent only to resume an interrupted download) is ignored: a full 200 is valid HTTP, and the
        # client then rewrites the file from the start.
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return Response(content=file_path.read_bytes(), status_code=200, headers=headers)


def local_hub_fixture(name: str = "local_hub", scope: str = "function") -> Any:
    """Build a pytest fixture yielding a running :class:`LocalHub` (root in a fresh tmp dir). A request to a route
    the server does not implement fails the test at teardown (the zoo started using a new Hub route: add it here).

    In conftest.py: ``local_hub = local_hub_fixture()`` (or ``local_hub_fixture("hub", scope="session")``).
    """
    import pytest

    @pytest.fixture(name=name, scope=scope)
    def _local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
        with LocalHub(tmp_path_factory.mktemp("local_hub")) as hub:
            yield hub
        assert not hub.unhandled, f"LocalHub got requests to routes it does not implement: {hub.unhandled}"

    return _local_hub
