"""Where checkpoints come from and where they go: the only module that talks to ``huggingface_hub``.

(Just over 400 lines on purpose: resolving, verifying and publishing stay in this one module so that nothing else in
the zoo imports huggingface_hub or handles its errors and tokens.)

Resolution order for ``resolve(x)``:

1. ``x`` is an existing local folder -> that folder.
2. ``x`` is a catalog name or a Hub repo id (``org/name``):
   a. the local mirror ``$ZOO_MIRROR/<org>/<name>/`` (or ``<checkout>/mirror/...`` in a checkout; an installed
      package has no mirror unless ``$ZOO_MIRROR`` is set) when the requested revision is the pinned one;
   b. the huggingface_hub cache (no network);
   c. a download of the requested (default: pinned) revision, unless ``HF_HUB_OFFLINE=1``. The endpoint is probed
      first, with connect and read timeouts (``probe_revision``): a machine without network fails in about a second
      instead of huggingface_hub's retry loop, and a server that accepts but never answers within ~8 s
      (``HubUnavailableError``) instead of hanging on a metadata request that has no timeout of its own.

Files of catalog checkpoints are checked against the sha256 values recorded in the catalog at publish time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from zoo import registry
from zoo.errors import CheckpointError, HubUnavailableError, ModelNotFoundError, PublishError
from zoo.locations import mirror_root as _mirror_root
from zoo.registry import ModelEntry

# What a published repo may contain. Anything else in an output folder (accelerate states, optimizer files, logs,
# pickles) is never uploaded or mirrored.
PUBLISH_PATTERNS = [
    "README.md",
    "pipeline.json",
    "golden.safetensors",
    "*/config.json",
    "*/*.safetensors",
    "images/*.png",
    "images/*.jpg",
    "images/*.webp",
    "checksums.json",
]
# The manifest: sha256 of the files that decide what a checkpoint computes (not its card or pictures, which the
# mirror tools rewrite). Written by training (``final/``) and by publishing; verified whenever a folder that has one
# is loaded, by path too (catalog models are also checked against the catalog's own record).
MANIFEST_FILE = "checksums.json"
MANIFEST_PATTERNS = ("pipeline.json", "golden.safetensors", "*/config.json", "*/*.safetensors")

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Resolved:
    """A checkpoint folder on disk and how it was found."""

    path: Path
    source: str  # "folder" | "mirror" | "cache" | "hub"
    entry: ModelEntry | None = None
    repo_id: str | None = None
    revision: str | None = None


def mirror_root() -> Path | None:
    """The local mirror of Hub repos: ``$ZOO_MIRROR``, else ``<checkout>/hub``, else None (an installed package)."""
    return _mirror_root()


def mirror_folder(repo_id: str) -> Path | None:
    """``<mirror>/<repo_id>`` when a mirror is configured (the folder may not exist), else None."""
    root = mirror_root()
    return None if root is None else root / repo_id


def require_mirror() -> Path:
    """The mirror root, or a ``PublishError`` saying how to choose one."""
    root = mirror_root()
    if root is None:
        raise PublishError("no local mirror: set ZOO_MIRROR to a folder (or run from a repository checkout)")
    return root


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set (read at call time, not at import time as huggingface_hub does)."""
    from huggingface_hub import constants

    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE or bool(constants.HF_HUB_OFFLINE)


def hub_endpoint() -> str:
    """The Hub endpoint: ``$HF_ENDPOINT`` (read at call time) or huggingface_hub's default."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


# Seconds: a TCP connect (DNS included), then each read of the metadata probe. A server that accepts and never
# answers (a captive portal, a stalled proxy) fails within CONNECT_TIMEOUT + READ_TIMEOUT instead of hanging.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0


def endpoint_reachable(endpoint: str, timeout: float = CONNECT_TIMEOUT) -> bool:
    """A TCP connect to the endpoint's host, bounded in time (DNS included)."""
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(result and result[0])


def probe_revision(
    endpoint: str, repo_id: str, revision: str | None, token: str | bool | None, label: str, how: str = ""
) -> None:
    """Ask the Hub for the repo's revision with connect and read timeouts, before ``snapshot_download`` (whose
    metadata request has no timeout of its own). Raises ``HubUnavailableError`` when the endpoint does not answer in
    time or answers with a server error (``how``: what else the caller can do, added to its message),
    ``ModelNotFoundError`` for a repo or revision that does not exist."""
    import httpx2  # huggingface_hub's HTTP library: its exceptions
    from huggingface_hub.utils import build_hf_headers, get_session

    offline_hint = "set HF_HUB_OFFLINE=1 to use only the local mirror and cache" + (f", or {how}" if how else "")
    if not endpoint_reachable(endpoint):
        raise HubUnavailableError(f"{label}: {endpoint} is unreachable; {offline_hint}.")
    quoted = urllib.parse.quote(revision or "main", safe="")
    url = f"{endpoint}/api/models/{repo_id}/revision/{quoted}"
    timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    try:
        headers = build_hf_headers(token=token)
    except Exception:  # a token huggingface_hub refuses: let the download report it
        headers = {}
    try:
        response = get_session().get(url, headers=headers, timeout=timeout)
    except httpx2.TimeoutException as error:
        raise HubUnavailableError(
            f"{label}: {endpoint} accepted the connection but did not answer within {READ_TIMEOUT:g} s "
            f"(a captive portal or a stalled proxy?); {offline_hint}."
        ) from error
    except (httpx2.HTTPError, OSError) as error:
        raise HubUnavailableError(f"{label}: {endpoint} failed ({type(error).__name__}); {offline_hint}.") from error
    if response.status_code in (401, 403, 404):
        what = f"revision {revision!r} of {repo_id!r}" if revision else f"repo {repo_id!r}"
        raise ModelNotFoundError(f"{label}: no {what} on {endpoint} (or it is private).")
    if response.status_code >= 500:
        status = response.status_code
        raise HubUnavailableError(f"{label}: {endpoint} answered HTTP {status}; try later or {offline_hint}.")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def repo_files(folder: Path) -> list[str]:
    """Relative paths (posix) of the publishable files in ``folder``, sorted."""
    import fnmatch

    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder).as_posix()
            if any(fnmatch.fnmatchcase(rel, pattern) for pattern in PUBLISH_PATTERNS):
                found.append(rel)
    return found


def file_hashes(folder: Path) -> dict[str, str]:
    return {rel: sha256_file(folder / rel) for rel in repo_files(folder)}


def write_manifest(folder: Path) -> Path:
    """Write ``folder/checksums.json``: {relative path: sha256} of the files matching ``MANIFEST_PATTERNS``."""
    import fnmatch

    hashes = {
        rel: sha256_file(folder / rel)
        for rel in repo_files(folder)
        if any(fnmatch.fnmatchcase(rel, pattern) for pattern in MANIFEST_PATTERNS)
    }
    path = folder / MANIFEST_FILE
    path.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def verify_manifest(folder: Path) -> bool:
    """Check ``folder`` against its ``checksums.json`` when it has one (``CheckpointError`` on any difference);
    returns whether there was one."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return False
    try:
        expected = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
            raise ValueError("not a {path: sha256} object")
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{folder}: {MANIFEST_FILE} is unreadable ({error})") from None
    for rel in expected:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise CheckpointError(f"{folder}: {MANIFEST_FILE} names a file outside the folder ({rel!r})")
    verify_files(folder, expected, f"{folder} (checked against its {MANIFEST_FILE})")
    return True


def verify_files(folder: Path, expected: dict[str, str], what: str) -> None:
    """Refuse a checkpoint whose files differ from the sha256 list recorded when it was published."""
    problems = []
    for rel, digest in expected.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel} has sha256 {sha256_file(path)[:12]}..., expected {digest[:12]}...")
    if problems:
        raise CheckpointError(
            f"{what}: files differ from the published checkpoint ({'; '.join(problems)}). "
            "Delete the folder (or the Hub cache entry) and load again, or republish it."
        )


def _split_name(name_or_repo: str, revision: str | None) -> tuple[ModelEntry | None, str, str | None]:
    entry = registry.get_entry(name_or_repo)
    if entry is not None:
        return entry, entry.repo_id, revision or entry.revision
    if name_or_repo.count("/") == 1 and all(name_or_repo.split("/")):
        return None, name_or_repo, revision
    hint = registry.close_names(name_or_repo)
    suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    raise ModelNotFoundError(
        f"unknown model {name_or_repo!r}: not a catalog name, a Hub repo id (org/name) or an existing folder."
        f"{suggestion} See zoo.list_models() for the catalog."
    )


def resolve(
    name_or_path: str | os.PathLike,
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    endpoint: str | None = None,
    token: str | bool | None = None,
) -> Resolved:
    """Find (and if needed download) a checkpoint folder. See the module docstring for the order."""
    path = Path(name_or_path)
    if path.is_dir():
        verify_manifest(path)
        return Resolved(path=path, source="folder")
    name = str(name_or_path)
    entry, repo_id, revision = _split_name(name, revision)
    pinned = entry is not None and revision == entry.revision
    label = entry.name if entry else repo_id

    mirrored = mirror_folder(repo_id)
    if entry is not None and not entry.published and not (mirrored is not None and mirrored.is_dir()):
        raise ModelNotFoundError(
            f"{entry.name!r} is in the catalog but has no published weights yet; "
            f"published {entry.task} models: {[m.name for m in registry.list_models(entry.task)] or 'none'}."
        )

    if mirrored is not None and mirrored.is_dir() and (entry is None or pinned or revision in (None, "main")):
        if pinned and entry.files:
            verify_files(mirrored, entry.files, f"{label} (local mirror {mirrored})")
        return Resolved(path=mirrored, source="mirror", entry=entry, repo_id=repo_id, revision=revision)

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    endpoint = (endpoint or hub_endpoint()).rstrip("/")
    common = {"repo_id": repo_id, "revision": revision, "cache_dir": cache_dir, "allow_patterns": PUBLISH_PATTERNS}
    try:
        folder = Path(snapshot_download(**common, local_files_only=True))
        source = "cache"
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        folder = None
    if folder is None:
        how = (
            f"run once with network (python -c \"import zoo; zoo.load('{label}')\"), "
            f"copy the repo into {mirrored or '$ZOO_MIRROR/' + repo_id}, or pass a local folder to zoo.load()"
        )
        if is_offline():
            raise ModelNotFoundError(
                f"{label}: not in the local mirror or the Hub cache, and HF_HUB_OFFLINE is set; {how}."
            )
        probe_revision(endpoint, repo_id, revision, token, label, how)
        folder = Path(_download(common, endpoint, token, label))
        source = "hub"
    if pinned and entry.files:
        verify_files(folder, entry.files, f"{label} (Hub cache {folder})")
    return Resolved(path=folder, source=source, entry=entry, repo_id=repo_id, revision=revision)


def local_file(entry: ModelEntry, filename: str) -> Path | None:
    """One file of a catalog checkpoint from the local mirror or the huggingface_hub cache, or None when neither has
    it: never the network (the app reads a model's ``pipeline.json`` this way to label its controls before loading)."""
    mirrored = mirror_folder(entry.repo_id)
    if mirrored is not None and (mirrored / filename).is_file():
        return mirrored / filename
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(entry.repo_id, filename, revision=entry.revision)
    except (ValueError, OSError):  # a malformed repo id or revision, an unreadable cache
        return None
    return Path(cached) if isinstance(cached, str) else None


def _download(common: dict, endpoint: str, token: str | bool | None, label: str) -> str:
    import httpx2
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        return snapshot_download(**common, endpoint=endpoint, token=token, etag_timeout=5)
    except RevisionNotFoundError as error:
        raise ModelNotFoundError(f"{label}: revision {common['revision']!r} does not exist on {endpoint}.") from error
    except RepositoryNotFoundError as error:
        raise ModelNotFoundError(f"{label}: no repo {common['repo_id']!r} on {endpoint} (or it is private).") from error
    except HfHubHTTPError as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        raise HubUnavailableError(
            f"{label}: download from {endpoint} failed" + (f" (HTTP {status})" if status else "") + "; try later or "
            "set HF_HUB_OFFLINE=1 to use only the local mirror and cache."
        ) from error
    except (httpx2.HTTPError, OSError) as error:  # connection reset, a read timeout during the download
        raise HubUnavailableError(f"{label}: download from {endpoint} failed ({type(error).__name__}).") from error


# --------------------------------------------------------------------------------------------------------------------
# Publishing (the maintainer path). Validation lives in zoo.publish; these move validated folders.


def publish_to_mirror(folder: Path, repo_id: str) -> Path:
    """Replace ``<mirror>/<repo_id>`` by the publishable files of ``folder`` (atomically, via a temp folder)."""
    target = require_mirror() / repo_id
    staging = target.with_name(target.name + ".staging")
    if staging.exists():
        shutil.rmtree(staging)
    for rel in repo_files(folder):
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, staging / rel)
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    return target


def publish_to_hub(
    folder: Path,
    repo_id: str,
    *,
    endpoint: str | None = None,
    token: str | None = None,
    create_pr: bool = False,
    private: bool = False,
    commit_message: str | None = None,
) -> tuple[str, str | None]:
    """Upload the publishable files of ``folder``; returns (commit sha, pull-request url or None).

    The token comes from the argument or huggingface_hub's standard places (``HF_TOKEN``, ``hf auth login``); it is
    never printed or written anywhere by the zoo.
    """
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(endpoint=(endpoint or hub_endpoint()), token=token)
    try:
        api.create_repo(repo_id, exist_ok=True, private=private)
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            allow_patterns=PUBLISH_PATTERNS,
            create_pr=create_pr,
            commit_message=commit_message or f"Publish {repo_id}",
        )
    except HfHubHTTPError as error:
        detail = redact(" ".join(str(error).split()), token)[:300]
        raise PublishError(f"upload of {folder} to {repo_id} failed: {detail}") from None
    except (httpx2.HTTPError, OSError) as error:  # a closed port, a reset connection, a timeout
        detail = redact(" ".join(str(error).split()), token)[:300] or type(error).__name__
        raise PublishError(f"upload of {folder} to {repo_id}: {api.endpoint} failed ({detail})") from None
    return info.oid, getattr(info, "pr_url", None)


_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{8,}")


def redact(text: str, token: str | bool | None = None) -> str:
    """``text`` with any Hugging Face token in it replaced by ``hf_***``: the one passed, the one huggingface_hub
    would use (``HF_TOKEN``, the login file), and anything shaped like one (a server may echo a header back)."""
    from huggingface_hub import get_token

    secrets = {value for value in (token, get_token()) if isinstance(value, str) and len(value) >= 8}
    for secret in secrets:
        text = text.replace(secret, "hf_***")
    return _TOKEN_PATTERN.sub("hf_***", text)
