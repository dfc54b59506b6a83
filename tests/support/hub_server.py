"""A minimal, test-only Hugging Face Hub HTTP server ("LocalHub").

Why a self-contained server (and not ``olah``)?
    The tests must drive the *real* ``huggingface_hub`` client over HTTP, in both directions: downloads
    (``snapshot_download``, ``hf_hub_download``, ``HfApi.model_info``) *and* publishing (``create_repo``,
    ``upload_folder`` / ``upload_file`` incl. ``create_pr=True``). ``olah`` is a read-only mirror of git repos: it
    cannot accept uploads at all, needs real git repos on disk, and (per the project notes) has a bug serving tiny
    binary files. Implementing the ~20 routes the client actually calls is a few hundred lines on top of starlette +
    uvicorn (already installed), needs no git, starts in a few milliseconds and lets tests inspect every request.
    So: a small self-contained server, one instance per test (or per session), each on its own free port.

Quick start::

    from tests.support.hub_server import LocalHub

    with LocalHub(tmp_path / "hub") as hub:
        sha = hub.add_repo("org/model", {"config.json": b"{}", "weights.safetensors": b"..."})
        folder = snapshot_download("org/model", endpoint=hub.endpoint, cache_dir=tmp_path / "cache")
        api = HfApi(endpoint=hub.endpoint, token="hf_test")
        api.upload_folder(folder_path=..., repo_id="org/model", create_pr=True)
        assert all(r.authorized for r in hub.requests if r.method == "POST")
        assert not any("optimizer" in p for p in hub.uploaded_paths("org/model"))

    # conftest.py
    from tests.support.hub_server import local_hub_fixture
    local_hub = local_hub_fixture()                 # function-scoped fixture named "local_hub"

Test helpers (no HTTP involved): ``add_repo(repo_id, files, private=False) -> sha`` (files: ``{path: bytes|str}`` or a
folder; the repo's first commit holds exactly these files), ``commit(repo_id, files, delete=[...], revision="main",
create_pr=False) -> sha``, ``refs(repo_id) -> {"main": sha, "refs/pr/1": sha, ...}``, ``read_files(repo_id, rev)``,
``history(repo_id, rev)``, ``repo_exists(repo_id)``; request log: ``requests`` (list of :class:`RecordedRequest`:
method, path, raw_path, query, authorized, status, committed_paths), ``uploaded_paths(repo_id)``, ``unhandled``,
``clear_requests()``. Note that ``HfApi.create_repo`` makes an initial commit containing ``.gitattributes``, like the
real Hub (``LocalHub(initial_gitattributes=False)`` makes it empty); ``add_repo`` does not.

Pointing the client at the server (huggingface_hub 2.4.0):
    * ``HF_ENDPOINT`` is read ONCE, at import time, into ``huggingface_hub.constants.ENDPOINT`` (and into
      ``HUGGINGFACE_CO_URL_TEMPLATE`` and the trusted-redirect origins in ``utils/_http.py``). Setting the env var
      after ``import huggingface_hub`` has no effect. Either pass ``endpoint=`` explicitly, or choose the port up
      front (``port = find_free_port()``), export ``HF_ENDPOINT=http://127.0.0.1:<port>`` before anything imports
      huggingface_hub (e.g. at the top of conftest.py) and start ``LocalHub(root, port=port)``.
    * Accept ``endpoint=``: ``HfApi(endpoint=...)`` (all its methods), ``hf_hub_download``, ``snapshot_download``,
      ``hf_hub_url``, ``get_hf_file_metadata``, ``HfFileSystem(endpoint=...)``.
    * Do NOT accept it (use ``constants.ENDPOINT``, i.e. HF_ENDPOINT at import): module-level helpers bound to the
      default ``HfApi()`` (``huggingface_hub.model_info``, ``create_repo``, ``upload_folder``, ...),
      ``ModelHubMixin.from_pretrained/push_to_hub``, ``ModelCard.load/push_to_hub``. Library code that should be
      testable must therefore thread an ``endpoint`` through to ``HfApi(endpoint=...)`` / the download functions.
    * Always pass ``cache_dir=`` (otherwise the user's ~/.cache/huggingface/hub is used) and an explicit ``token=``
      (``token=None`` falls back to HF_TOKEN / the stored token of the machine; ``token=False`` sends none).
    * ``HF_HUB_OFFLINE`` and ``HF_TOKEN`` are read at call time; ``HF_HUB_DISABLE_XET``, ``HF_HUB_CACHE`` and
      ``HF_ENDPOINT`` at import time.

Client quirks this server accounts for (found by reading the 2.4.0 sources and running the client against it):
    * ``hf_xet`` is a hard dependency on x86_64/arm64, so ``upload_folder`` always takes the streamed "pipelined"
      path (``_upload_pipeline.py``): preupload, then -- with ``create_pr=True`` -- ``POST .../discussions``
      (+ ``GET .../discussions/N``) to open a draft PR, then ``POST .../commit/refs%2Fpr%2FN`` *without*
      ``create_pr``. ``create_commit`` / ``upload_file`` instead send ``POST .../commit/main?create_pr=1``. Both work.
    * No Xet and no LFS transfer is ever needed: ``preupload`` answers ``uploadMode: "regular"`` for every file, so
      contents arrive base64-encoded in the NDJSON commit payload. Download responses never carry ``X-Xet-Hash``,
      so downloads use plain HTTP. (The real Hub would refuse "regular" files > 10 MB; this server does not.)
    * ``preupload`` returns the remote ``oid`` (git blob sha1) of existing files: the client then drops unchanged
      files from the commit, exactly as against the real Hub.
    * ``snapshot_download(revision=<branch>)`` calls ``GET /api/models/{id}/revision/{rev}`` then
      ``GET /api/models/{id}/tree/{sha}?recursive=true`` then ``HEAD /{id}/resolve/{sha}/{file}`` + ``GET`` per file;
      with a full commit sha as revision the first call is skipped. Revisions are ``quote(rev, safe="")``-encoded
      (``refs%2Fpr%2F1``), so routing is done on the raw (still percent-encoded) path.
    * ``HEAD /resolve`` must return ``X-Repo-Commit`` and an ``ETag`` (else ``FileMetadataError``); for LFS files
      ``X-Linked-Etag`` (sha256) / ``X-Linked-Size`` take precedence. The client follows redirects only to the same
      origin; a redirect to another host is treated like a CDN (metadata read from the 3xx itself, Authorization
      header dropped for the GET). ``LocalHub(lfs_redirect=True)`` reproduces that by redirecting LFS files to
      ``http://localhost:<port>/__cdn__/...`` (a different origin than ``127.0.0.1``).
    * ``create_repo(exist_ok=True)`` swallows a 409 but still parses ``url`` from the 409 body.
    * Errors are mapped from ``X-Error-Code``: ``RepoNotFound`` -> ``RepositoryNotFoundError``, ``RevisionNotFound``
      -> ``RevisionNotFoundError``, ``EntryNotFound`` -> ``RemoteEntryNotFoundError`` (a subclass of
      ``huggingface_hub.errors.EntryNotFoundError``). A 404 on ``/resolve`` carries ``X-Repo-Commit`` so the client
      caches the non-existence (``.no_exist``) like against the real Hub.

Spaces (``repo_type="space"``, for deploying the app): ``create_repo(..., repo_type="space", space_sdk=...)`` and
the same API routes under ``/api/spaces/{id}/...`` as models (preupload, commit, tree, refs, revision); they are
stored under ``root/.spaces/`` and read back with ``read_files(id, repo_type="space")`` / ``repo_meta(...)``. Files of
a Space are not served (``/spaces/{id}/resolve/...`` is not implemented).

Storage layout (all under ``root``; model and Space repos with a ``namespace/name`` id are supported)::

    root/<org>/<name>/repo.json                      private flag, creation date, discussions / PRs
    root/<org>/<name>/refs/heads/main                 text file holding a 40-hex commit id (also refs/pr/N, refs/tags/T)
    root/<org>/<name>/commits/<sha>/commit.json       parent, title, message, date, manifest {path: size/oid/sha256}
    root/<org>/<name>/commits/<sha>/files/...         full snapshot of the repo at that commit (hard-linked)

Commit ids are deterministic: ``sha1(parent + title + message + sorted manifest)``. Files matching common LFS
patterns (``*.safetensors``, ``*.bin``, ``*.pt``, ...) or larger than ``lfs_threshold`` are *described* as LFS files
(``lfs`` metadata in tree/model_info, ``X-Linked-*`` headers); storage is the same for all files.

Routes (anything else is answered 404, logged as a warning and listed in ``LocalHub.unhandled``):
    GET  /api/whoami-v2                              fake user for any bearer token, 401 without one
    POST /api/validate-yaml                          parses the README front matter with PyYAML
    POST /api/repos/create, DELETE /api/repos/delete
    GET  /api/models/{id}[/revision/{rev}]           model_info / repo_info (``?blobs=true`` -> sizes, blobId, lfs)
    GET  /api/models/{id}/tree/{rev}[/{path}]        list_repo_tree / list_repo_files (``?recursive=true``)
    POST /api/models/{id}/paths-info/{rev}           get_paths_info (form-encoded)
    GET  /api/models/{id}/refs, GET /api/models/{id}/commits/{rev}
    POST /api/models/{id}/preupload/{rev}            always ``uploadMode: "regular"``
    POST /api/models/{id}/commit/{rev}               NDJSON: header/file/deletedFile/deletedFolder; ``?create_pr=1``
    POST /api/models/{id}/discussions, GET /api/models/{id}/discussions/{num}   (pull requests)
    POST|DELETE /api/models/{id}/branch/{branch}, POST /api/models/{id}/tag/{rev}
    HEAD|GET /{id}/resolve/{rev}/{path}              file download (Range supported)
    HEAD|GET /__cdn__/{id}/{sha}/{path}              redirect target of LFS files when ``lfs_redirect=True``

Write routes require an ``Authorization`` header (any value); reads of private repos too. Token values are never
stored: ``LocalHub.requests`` only records whether the header was present.
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
from urllib.parse import parse_qs, quote, unquote

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger(__name__)

__all__ = ["HubError", "LocalHub", "RecordedRequest", "find_free_port", "local_hub_fixture"]

# fmt: off
DEFAULT_LFS_PATTERNS = (
    "*.safetensors", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.onnx", "*.msgpack", "*.npy", "*.npz", "*.pkl",
    "*.pickle", "*.joblib", "*.gguf", "*.tflite", "*.ot", "*.model", "*.tar", "*.tgz", "*.gz", "*.zip", "*.zst",
    "*.xz", "*.7z", "*.arrow", "*.parquet",
)
# fmt: on

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_REPO_TYPES = ("model", "space")  # Spaces: create, upload (preupload + commit), tree, refs, info; no file serving
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)

FileSource = Mapping[str, "bytes | str"] | str | os.PathLike


def find_free_port(host: str = "127.0.0.1") -> int:
    """Return a currently free TCP port (to export HF_ENDPOINT before huggingface_hub is imported)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _check_relpath(path: str) -> str:
    path = path.replace("\\", "/").strip("/")
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts):
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
        self,
        root: str | os.PathLike,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "test-user",
        lfs_patterns: Iterable[str] = DEFAULT_LFS_PATTERNS,
        lfs_threshold: int = 10 * 1024 * 1024,
        lfs_redirect: bool = False,
        cdn_host: str = "localhost",
        initial_gitattributes: bool = True,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.host, self.port, self.username = host, port, username
        self.lfs_patterns = tuple(lfs_patterns)
        self.lfs_threshold = lfs_threshold
        self.lfs_redirect = lfs_redirect
        self.cdn_host = cdn_host
        self.initial_gitattributes = initial_gitattributes
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
        create_pr: bool = False,
        repo_type: str = "model",
    ) -> str:
        """Add/overwrite ``files`` and delete paths on ``revision`` (or open a PR from it). Returns the commit sha."""
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type)
            ops: list[tuple[str, str, bytes]] = [("file", p, data) for p, data in _read_file_source(files).items()]
            ops += [("deletedFile", _check_relpath(p), b"") for p in delete]
            sha, _ = self._apply_commit(repo_dir, revision, ops, title=message, message="", create_pr=create_pr)
            return sha

    def refs(self, repo_id: str, repo_type: str = "model") -> dict[str, str]:
        """``{"main": sha, "refs/pr/1": sha, "refs/tags/v1": sha, ...}``"""
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

    def history(self, repo_id: str, revision: str = "main") -> list[dict[str, Any]]:
        """Commits reachable from ``revision``, newest first: dicts with sha, parent, title, message, date, files."""
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True)
            return [c.__dict__.copy() for c in self._walk(repo_dir, self._resolve(repo_dir, revision))]

    def repo_meta(self, repo_id: str, repo_type: str = "model") -> dict[str, Any]:
        """The stored ``repo.json``: private flag, creation date, discussions (and ``sdk`` for a Space)."""
        with self._lock:
            return self._meta(self._repo_dir(repo_id, must_exist=True, repo_type=repo_type))

    def repo_exists(self, repo_id: str, repo_type: str = "model") -> bool:
        try:
            return self._repo_dir(repo_id, repo_type=repo_type).is_dir()
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

    def _gitattributes(self) -> bytes:
        return "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in self.lfs_patterns).encode()

    def _ref_file(self, repo_dir: Path, ref: str) -> Path:
        if ".." in ref.split("/") or not ref.startswith(("refs/heads/", "refs/pr/", "refs/tags/")):
            raise HubError(400, f"Invalid ref {ref!r}")
        return repo_dir / ref

    def _set_ref(self, repo_dir: Path, ref: str, sha: str) -> None:
        path = self._ref_file(repo_dir, ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sha)

    def _ref_name(self, repo_dir: Path, revision: str) -> str | None:
        """Full ref name for a branch/tag/PR revision, or None if it does not exist."""
        candidates = [revision] if revision.startswith("refs/") else [f"refs/heads/{revision}", f"refs/tags/{revision}"]
        for ref in candidates:
            if ".." not in ref.split("/") and (repo_dir / ref).is_file():
                return ref
        return None

    def _resolve(self, repo_dir: Path, revision: str) -> str:
        if _SHA_RE.match(revision) and (repo_dir / "commits" / revision / "commit.json").is_file():
            return revision
        ref = self._ref_name(repo_dir, revision)
        if ref is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return (repo_dir / ref).read_text().strip()

    def _load_commit(self, repo_dir: Path, sha: str) -> _Commit:
        return _Commit(**json.loads((repo_dir / "commits" / sha / "commit.json").read_text()))

    def _walk(self, repo_dir: Path, sha: str | None) -> Iterator[_Commit]:
        while sha is not None:
            commit = self._load_commit(repo_dir, sha)
            yield commit
            sha = commit.parent

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
        self,
        repo_dir: Path,
        revision: str,
        ops: list[tuple[str, str, bytes]],
        *,
        title: str,
        message: str,
        create_pr: bool = False,
        parent_commit: str | None = None,
    ) -> tuple[str, int | None]:
        """Apply ops ("file", "deletedFile", "deletedFolder") on top of ``revision``. Returns (sha, pr_num)."""
        ref = self._ref_name(repo_dir, revision)
        if ref is None:
            if _SHA_RE.match(revision):
                raise HubError(400, f"Cannot commit to a commit id ({revision}); use a branch or a PR ref")
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        if ref.startswith("refs/tags/"):
            raise HubError(400, f"Cannot commit to a tag ({revision})")
        head = (repo_dir / ref).read_text().strip()
        if parent_commit is not None and parent_commit != head:
            raise HubError(412, f"A commit has happened since. Please refresh and try again. ({head})")
        parent = self._load_commit(repo_dir, head)
        parent_files = repo_dir / "commits" / head / "files"
        contents: dict[str, bytes | Path] = {p: parent_files / p for p in parent.files}
        for kind, path, data in ops:
            if kind == "file":
                contents[path] = data
            elif kind == "deletedFile":
                if contents.pop(path, None) is None:
                    raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            elif kind == "deletedFolder":
                prefix = path.rstrip("/") + "/"
                doomed = [p for p in contents if p.startswith(prefix)]
                if not doomed:
                    raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                for p in doomed:
                    del contents[p]
        commit = self._write_commit(repo_dir, parent, contents, title, message)
        if not create_pr:
            self._set_ref(repo_dir, ref, commit.sha)
            return commit.sha, None
        num = self._new_discussion(repo_dir, title=title, description=message, is_pr=True, status="open", base=ref)
        self._set_ref(repo_dir, f"refs/pr/{num}", commit.sha)
        return commit.sha, num

    def _new_discussion(
        self, repo_dir: Path, *, title: str, description: str, is_pr: bool, status: str, base: str
    ) -> int:
        meta = self._meta(repo_dir)
        num = len(meta["discussions"]) + 1
        meta["discussions"][str(num)] = {
            "num": num,
            "title": title,
            "description": description,
            "isPullRequest": is_pr,
            "status": status,
            "createdAt": _now(),
            "base": base,
        }
        self._save_meta(repo_dir, meta)
        return num

    def _is_lfs(self, path: str, size: int) -> bool:
        name = path.rsplit("/", 1)[-1]
        return size >= self.lfs_threshold or any(fnmatch.fnmatch(name, pat) for pat in self.lfs_patterns)

    def _lfs_info(self, path: str, info: dict[str, Any]) -> dict[str, Any] | None:
        if not self._is_lfs(path, info["size"]):
            return None
        pointer = _lfs_pointer(info["sha256"], info["size"])
        return {"sha256": info["sha256"], "size": info["size"], "pointerSize": len(pointer), "blobId": pointer}

    def _file_entry(self, path: str, info: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": info["oid"], "size": info["size"], "path": path}
        lfs = self._lfs_info(path, info)
        if lfs is not None:
            entry["oid"] = _git_blob_sha1(lfs["blobId"])
            entry["lfs"] = {"oid": lfs["sha256"], "size": lfs["size"], "pointerSize": lfs["pointerSize"]}
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
            simple = {
                ("GET", "whoami-v2"): self._whoami,
                ("POST", "validate-yaml"): self._validate_yaml,
                ("POST", "repos/create"): self._create_repo_route,
                ("DELETE", "repos/delete"): self._delete_repo_route,
            }
            handler = simple.get((method, "/".join(rest)))
            if handler is not None:
                return await handler(request)
            if len(rest) >= 3 and rest[0] in ("models", "spaces"):
                repo_type = rest[0][:-1]
                response = await self._model_api(request, f"{rest[1]}/{rest[2]}", rest[3:], committed, repo_type)
                if response is not None:
                    return response
        elif len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
            return self._serve_file(request, f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), cdn=False)
        elif len(parts) >= 5 and parts[0] == "__cdn__" and method in ("GET", "HEAD"):
            return self._serve_file(request, f"{parts[1]}/{parts[2]}", parts[3], "/".join(parts[4:]), cdn=True)
        line = f"{method} {request.url.path}{'?' + request.url.query if request.url.query else ''}"
        logger.warning("LocalHub: unhandled route %s", line)
        self.unhandled.append(line)
        raise HubError(404, f"LocalHub does not implement {method} {request.url.path}")

    async def _model_api(
        self, request: Request, repo_id: str, action: list[str], committed: list[str], repo_type: str = "model"
    ) -> Response | None:
        # Read the body first: the lock must never be held across an `await`.
        body = await request.body() if request.method in ("POST", "DELETE") else b""
        with self._lock:
            return self._model_api_locked(request, repo_id, action, body, committed, repo_type)

    def _model_api_locked(
        self,
        request: Request,
        repo_id: str,
        action: list[str],
        body: bytes,
        committed: list[str],
        repo_type: str = "model",
    ) -> Response | None:
        method, n = request.method, len(action)
        kind = action[0] if action else ""
        repo_dir = self._repo_dir(repo_id, must_exist=True, repo_type=repo_type)
        if method == "GET":
            self._check_read(request, repo_dir)
            if n == 0 or (kind == "revision" and n == 2):
                return self._model_info(request, repo_id, repo_dir, action[1] if n == 2 else "main")
            if kind == "tree" and n >= 2:
                return self._tree(request, repo_dir, action[1], "/".join(action[2:]))
            if kind == "refs" and n == 1:
                return self._list_refs(request, repo_dir)
            if kind == "commits" and n == 2:
                return self._list_commits(repo_dir, action[1])
            if kind == "discussions" and n == 2:
                return self._discussion_details(repo_id, repo_dir, action[1])
            return None
        if method == "POST" and kind == "paths-info" and n == 2:
            self._check_read(request, repo_dir)
            return self._paths_info(repo_dir, action[1], body)
        if method not in ("POST", "DELETE"):
            return None
        self._check_write(request)
        if method == "POST" and kind == "preupload" and n == 2:
            return self._preupload(repo_dir, action[1], json.loads(body or b"{}"))
        if method == "POST" and kind == "commit" and n == 2:
            return self._commit_route(request, repo_id, repo_dir, action[1], body, committed)
        if method == "POST" and kind == "discussions" and n == 1:
            return self._create_discussion(repo_id, repo_dir, json.loads(body or b"{}"))
        if kind == "branch" and n == 2:
            return self._branch(request, repo_dir, action[1], body)
        if method == "POST" and kind == "tag" and n == 2:
            return self._tag(repo_dir, action[1], json.loads(body or b"{}"))
        return None

    # ------------------------------------------------------------------ handlers
    async def _whoami(self, request: Request) -> Response:
        if not request.headers.get("authorization"):
            raise HubError(401, "Invalid credentials in Authorization header")
        return JSONResponse(
            {
                "type": "user",
                "id": "0" * 24,
                "name": self.username,
                "fullname": "LocalHub Test User",
                "email": f"{self.username}@example.com",
                "emailVerified": True,
                "canPay": False,
                "isPro": False,
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "local-hub", "role": "write"}},
            }
        )

    async def _validate_yaml(self, request: Request) -> Response:
        content = (await request.json()).get("content", "")
        match = _FRONT_MATTER_RE.match(content)
        if match:
            try:
                import yaml  # dependency of huggingface_hub

                data = yaml.safe_load(match.group(1))
                if data is not None and not isinstance(data, dict):
                    raise ValueError("metadata must be a YAML mapping")
            except Exception as err:
                return JSONResponse({"errors": [{"message": f"Invalid YAML: {err}"}], "warnings": []}, 400)
        return JSONResponse({"errors": [], "warnings": []})

    async def _create_repo_route(self, request: Request) -> Response:
        self._check_write(request)
        body = await request.json()
        repo_type = body.get("type") or "model"
        if repo_type not in _REPO_TYPES:
            raise HubError(400, f"LocalHub only supports model and space repos, got type={body.get('type')!r}")
        if repo_type == "space" and not body.get("sdk"):
            raise HubError(400, "A Space needs an sdk (gradio, docker or static)")
        repo_id = f"{body.get('organization') or self.username}/{body.get('name')}"
        url = f"{self.endpoint}/{'spaces/' if repo_type == 'space' else ''}{repo_id}"
        private = body.get("visibility") == "private" or bool(body.get("private"))
        extra = {"sdk": body["sdk"]} if repo_type == "space" else {}
        with self._lock:
            try:
                files = {".gitattributes": self._gitattributes()} if self.initial_gitattributes else {}
                self._create_repo(
                    repo_id, private=private, files=files, message="initial commit", repo_type=repo_type, extra=extra
                )
            except HubError as err:
                if err.status == 409:
                    return JSONResponse({"error": err.message, "url": url}, 409, {"X-Error-Message": err.message})
                raise
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    async def _delete_repo_route(self, request: Request) -> Response:
        self._check_write(request)
        body = await request.json()
        repo_id = f"{body.get('organization') or self.username}/{body.get('name')}"
        with self._lock:
            shutil.rmtree(self._repo_dir(repo_id, must_exist=True, repo_type=body.get("type") or "model"))
        return JSONResponse({})

    def _model_info(self, request: Request, repo_id: str, repo_dir: Path, revision: str) -> Response:
        meta = self._meta(repo_dir)
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        blobs = request.query_params.get("blobs", "").lower() in ("1", "true")
        siblings = []
        for path in sorted(commit.files):
            info = commit.files[path]
            sibling: dict[str, Any] = {"rfilename": path}
            if blobs:
                entry = self._file_entry(path, info)
                sibling.update(size=info["size"], blobId=entry["oid"])
                if "lfs" in entry:
                    lfs = entry["lfs"]
                    sibling["lfs"] = {"sha256": lfs["oid"], "size": lfs["size"], "pointerSize": lfs["pointerSize"]}
            siblings.append(sibling)
        card_data = self._card_data(repo_dir, commit)
        tags = [t for t in (card_data or {}).get("tags") or [] if isinstance(t, str)]
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
            "downloads": 0,
            "likes": 0,
            "tags": tags,
            "library_name": (card_data or {}).get("library_name"),
            "pipeline_tag": (card_data or {}).get("pipeline_tag"),
            "siblings": siblings,
            "spaces": [],
            "usedStorage": sum(f["size"] for f in commit.files.values()),
        }
        if card_data is not None:
            data["cardData"] = card_data
        return JSONResponse(json.loads(json.dumps(data, default=str)))

    def _card_data(self, repo_dir: Path, commit: _Commit) -> dict[str, Any] | None:
        if "README.md" not in commit.files:
            return None
        text = (repo_dir / "commits" / commit.sha / "files" / "README.md").read_text(errors="replace")
        match = _FRONT_MATTER_RE.match(text)
        if not match:
            return None
        try:
            import yaml

            data = yaml.safe_load(match.group(1))
        except Exception:
            return None
        return data if isinstance(data, dict) else None

    def _tree(self, request: Request, repo_dir: Path, revision: str, path: str) -> Response:
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
        path = path.strip("/")
        prefix = f"{path}/" if path else ""
        dirs: set[str] = set()
        for p in commit.files:
            parents = p.split("/")[:-1]
            dirs.update("/".join(parents[: i + 1]) for i in range(len(parents)))
        if path and path not in dirs:
            if path in commit.files:
                raise HubError(400, f"{path} is a file, not a folder")
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": commit.sha})
        entries = []
        for d in sorted(dirs):
            if d.startswith(prefix) and (recursive or "/" not in d[len(prefix) :]):
                entries.append(self._dir_entry(commit, d))
        for p in sorted(commit.files):
            if p.startswith(prefix) and (recursive or "/" not in p[len(prefix) :]):
                entries.append(self._file_entry(p, commit.files[p]))
        return JSONResponse(entries)

    def _paths_info(self, repo_dir: Path, revision: str, body: bytes) -> Response:
        commit = self._load_commit(repo_dir, self._resolve(repo_dir, revision))
        form = parse_qs(body.decode(), keep_blank_values=True)
        out = []
        for path in form.get("paths", []):
            path = path.strip("/")
            if path in commit.files:
                out.append(self._file_entry(path, commit.files[path]))
            elif any(p.startswith(path + "/") for p in commit.files):
                out.append(self._dir_entry(commit, path))
        return JSONResponse(out)

    def _list_refs(self, request: Request, repo_dir: Path) -> Response:
        refs_dir = repo_dir / "refs"
        data: dict[str, list] = {"branches": [], "converts": [], "tags": [], "pullRequests": []}
        for p in sorted(refs_dir.rglob("*")):
            if not p.is_file():
                continue
            rel = p.relative_to(refs_dir).as_posix()
            kind, _, name = rel.partition("/")
            name = f"refs/{rel}" if kind == "pr" else name  # PRs are addressed by their full ref
            item = {"name": name, "ref": f"refs/{rel}", "targetCommit": p.read_text().strip()}
            data[{"heads": "branches", "tags": "tags", "pr": "pullRequests"}[kind]].append(item)
        if request.query_params.get("include_prs") != "1":
            del data["pullRequests"]
        return JSONResponse(data)

    def _list_commits(self, repo_dir: Path, revision: str) -> Response:
        return JSONResponse(
            [
                {
                    "id": c.sha,
                    "title": c.title,
                    "message": c.message,
                    "date": c.date,
                    "authors": [{"user": c.author, "avatar": ""}],
                }
                for c in self._walk(repo_dir, self._resolve(repo_dir, revision))
            ]
        )

    def _discussion_details(self, repo_id: str, repo_dir: Path, num: str) -> Response:
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
            "repo": {"name": repo_id, "type": "model"},
            "events": [],
            "filesWithConflicts": [],
            "diff": "",
            "changes": {"base": disc["base"]},
        }
        return JSONResponse(data)

    def _create_discussion(self, repo_id: str, repo_dir: Path, body: dict[str, Any]) -> Response:
        is_pr = bool(body.get("pullRequest"))
        num = self._new_discussion(
            repo_dir,
            title=str(body.get("title") or ""),
            description=str(body.get("description") or ""),
            is_pr=is_pr,
            status="draft" if is_pr else "open",
            base="refs/heads/main",
        )
        if is_pr:
            self._set_ref(repo_dir, f"refs/pr/{num}", self._resolve(repo_dir, "main"))
        return JSONResponse({"num": num, "pullRequest": is_pr, "url": f"{self.endpoint}/{repo_id}/discussions/{num}"})

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
            elif key in ("deletedFile", "deletedFolder"):
                ops.append((key, _check_relpath(value["path"]), b""))
            elif key == "lfsFile":
                raise HubError(400, "LocalHub does not store LFS objects (preupload always answers 'regular')")
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        committed.extend(path for kind, path, _ in ops if kind == "file")
        create_pr = request.query_params.get("create_pr") in ("1", "true")
        sha, num = self._apply_commit(
            repo_dir,
            revision,
            ops,
            title=str(header.get("summary") or "Upload files"),
            message=str(header.get("description") or ""),
            create_pr=create_pr,
            parent_commit=header.get("parentCommit"),
        )
        return JSONResponse(
            {
                "success": True,
                "commitOid": sha,
                "commitUrl": f"{self.endpoint}/{repo_id}/commit/{sha}",
                "hookOutput": "",
                "pullRequestUrl": f"{self.endpoint}/{repo_id}/discussions/{num}" if num is not None else None,
            }
        )

    def _branch(self, request: Request, repo_dir: Path, branch: str, body: bytes) -> Response:
        if not _NAME_RE.match(branch.replace("/", "-")):
            raise HubError(400, f"Invalid branch name {branch!r}")
        ref_file = self._ref_file(repo_dir, f"refs/heads/{branch}")
        if request.method == "DELETE":
            if not ref_file.is_file():
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            ref_file.unlink()
            return JSONResponse({})
        payload = json.loads(body) if body.strip() else {}
        if ref_file.is_file():
            raise HubError(409, f"Reference already exists: refs/heads/{branch}")
        self._set_ref(repo_dir, f"refs/heads/{branch}", self._resolve(repo_dir, payload.get("startingPoint", "main")))
        return JSONResponse({})

    def _tag(self, repo_dir: Path, revision: str, body: dict[str, Any]) -> Response:
        tag = str(body.get("tag") or "")
        if not _NAME_RE.match(tag):
            raise HubError(400, f"Invalid tag name {tag!r}")
        if (repo_dir / "refs" / "tags" / tag).is_file():
            raise HubError(409, f"Tag already exists: {tag}")
        self._set_ref(repo_dir, f"refs/tags/{tag}", self._resolve(repo_dir, revision))
        return JSONResponse({})

    def _serve_file(self, request: Request, repo_id: str, revision: str, path: str, *, cdn: bool) -> Response:
        with self._lock:
            repo_dir = self._repo_dir(repo_id, must_exist=True)
            if not cdn:
                self._check_read(request, repo_dir)
            sha = self._resolve(repo_dir, revision)
            commit = self._load_commit(repo_dir, sha)
            info = commit.files.get(path)
            if info is None:
                raise HubError(404, f"Entry not found: {path}", "EntryNotFound", {"X-Repo-Commit": sha})
            file_path = repo_dir / "commits" / sha / "files" / path
        lfs = self._lfs_info(path, info)
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{lfs["sha256"] if lfs else info["oid"]}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if lfs is not None and not cdn:
            headers.update({"X-Linked-Etag": f'"{lfs["sha256"]}"', "X-Linked-Size": str(info["size"])})
            if self.lfs_redirect:
                location = f"http://{self.cdn_host}:{self.port}/__cdn__/{repo_id}/{sha}/{quote(path)}"
                return Response(status_code=302, headers={**headers, "Location": location, "Content-Length": "0"})
        size = info["size"]
        start, end, status = 0, size - 1, 200
        range_header = request.headers.get("range")
        if range_header:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip())
            if match is None or (not match.group(1) and not match.group(2)):
                raise HubError(416, f"Invalid range {range_header!r}", headers={"Content-Range": f"bytes */{size}"})
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:  # suffix range: last N bytes
                start = max(size - int(match.group(2)), 0)
            if start >= size or start > end:
                raise HubError(
                    416, f"Range not satisfiable {range_header!r}", headers={"Content-Range": f"bytes */{size}"}
                )
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(max(end - start + 1, 0))
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        with open(file_path, "rb") as f:
            f.seek(start)
            data = f.read(max(end - start + 1, 0))
        return Response(content=data, status_code=status, headers=headers)


def local_hub_fixture(name: str = "local_hub", scope: str = "function", **hub_kwargs: Any) -> Any:
    """Build a pytest fixture yielding a running :class:`LocalHub` (root in a fresh tmp dir).

    In conftest.py: ``local_hub = local_hub_fixture()`` (or ``local_hub_fixture("hub", scope="session")``).
    """
    import pytest

    @pytest.fixture(name=name, scope=scope)
    def _local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHub]:
        with LocalHub(tmp_path_factory.mktemp("local_hub"), **hub_kwargs) as hub:
            yield hub

    return _local_hub
