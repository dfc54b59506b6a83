"""The catalog of published checkpoints: a name maps to its Hub repo, pinned revision, task pipeline and licence.

The data lives in ``catalog.json`` next to this file; this module only reads it (and ``zoo.publish`` updates the
``files``/``metrics``/``revision`` fields when a checkpoint is published).
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.json")

# The seven tasks of the app and docs/CATALOG.md, plus "autoencoder" (the course's plain autoencoders) and "classify"
# (the project-trained classifiers that score generated samples in evaluations).
TASKS = ("denoise", "super-resolution", "colorize", "pix2pix", "cyclegan", "vae", "gan", "autoencoder", "classify")


@dataclass(frozen=True)
class ModelEntry:
    """One catalog entry. ``published`` is true once files (with their sha256) are recorded for it."""

    name: str
    task: str
    repo_id: str
    revision: str
    pipeline: str
    license: str
    datasets: tuple[str, ...]
    description: str
    files: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return bool(self.files)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["datasets"] = list(self.datasets)
        data["published"] = self.published
        return data


def _read(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=4)
def _load_catalog(path: str, mtime: int) -> dict[str, ModelEntry]:
    entries = {}
    for row in _read(Path(path))["models"]:
        if row["task"] not in TASKS:
            raise ValueError(f"catalog entry {row['name']!r} has unknown task {row['task']!r}; tasks are {TASKS}")
        entries[row["name"]] = ModelEntry(**{**row, "datasets": tuple(row["datasets"])})
    return entries


def catalog_path() -> Path:
    """``$ZOO_CATALOG`` (tests, forks) or the catalog.json shipped with the package."""
    return Path(os.environ.get("ZOO_CATALOG") or CATALOG_PATH)


def catalog(path: Path | None = None) -> dict[str, ModelEntry]:
    """All catalog entries by name (re-read when the file changes)."""
    path = path or catalog_path()
    return _load_catalog(str(path), path.stat().st_mtime_ns)


def get_entry(name: str) -> ModelEntry | None:
    """The entry for a catalog name or repo id, or None."""
    entries = catalog()
    if name in entries:
        return entries[name]
    for entry in entries.values():
        if entry.repo_id == name:
            return entry
    return None


def close_names(name: str, n: int = 3) -> list[str]:
    """Catalog names that look like ``name`` (for 'did you mean' messages)."""
    return difflib.get_close_matches(name, list(catalog()), n=n, cutoff=0.5)


def list_models(task: str | None = None, include_unpublished: bool = False) -> list[ModelEntry]:
    """Catalog entries, optionally for one task; by default only those with published weights.

    >>> [m.name for m in list_models("vae")]  # doctest: +SKIP
    ['vae-mnist', 'vae-fashion']
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return [
        entry
        for entry in catalog().values()
        if (task is None or entry.task == task) and (include_unpublished or entry.published)
    ]


def update_entry(name: str, path: Path | None = None, **fields: Any) -> ModelEntry:
    """Rewrite fields of one entry in catalog.json (used by publishing; keeps the file's order and layout)."""
    path = path or catalog_path()
    data = _read(path)
    for row in data["models"]:
        if row["name"] == name:
            row.update(fields)
            break
    else:
        raise KeyError(f"{name!r} is not in the catalog {path}")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return catalog(path)[name]
