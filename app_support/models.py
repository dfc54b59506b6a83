"""Which models a tab can offer, and a bounded in-memory cache that loads each model once.

The cache is an LRU of at most ``ZOO_APP_MAX_MODELS`` pipelines (default 4). Loading takes a lock per model: when
several requests for the same model arrive together, one loads it and the others wait for that load instead of
loading it again; different models load in parallel. A model republished while the app runs (new files in the
catalog) gets a new cache key, so the next request loads the new weights and the old ones age out.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from zoo import registry
from zoo.errors import ModelNotFoundError
from zoo.registry import ModelEntry

TASK_TITLES = {
    "denoise": "denoising",
    "super-resolution": "super-resolution",
    "colorize": "colourisation",
    "pix2pix": "pix2pix",
    "cyclegan": "CycleGAN",
    "vae": "VAE",
    "gan": "GAN",
}


MODEL_MEMORY_MB = 200  # generous per loaded pipeline: the zoo's largest holds ~20 MB of float32 weights


def auto_max_models(published: int | None = None, available_bytes: int | None = None) -> int:
    """The model cache's size when ``ZOO_APP_MAX_MODELS`` is 0: every published model, unless half the available
    memory holds fewer at ``MODEL_MEMORY_MB`` each (a fixed small cache made mixed traffic reload models endlessly)."""
    if published is None:
        published = len(registry.list_models())
    if available_bytes is None:
        try:
            available_bytes = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available_bytes = 4 * 2**30
    fits = int(available_bytes * 0.5 // (MODEL_MEMORY_MB * 2**20))
    return max(1, min(published, fits))


class ModelCache:
    """A thread-safe LRU of loaded models with one lock per key.

    >>> cache = ModelCache(max_models=2)
    >>> cache.get("a", lambda: "model a")
    'model a'
    """

    def __init__(self, max_models: int):
        if max_models < 1:
            raise ValueError(f"max_models must be at least 1, got {max_models}")
        self.max_models = max_models
        self._models: OrderedDict[Hashable, Any] = OrderedDict()
        self._guard = threading.Lock()  # protects _models and _locks; never held while a model loads
        self._locks: dict[Hashable, threading.Lock] = {}
        self.loads: Counter[Hashable] = Counter()  # how often each key was loaded (tests, logs)

    def _lookup(self, key: Hashable) -> Any | None:
        with self._guard:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        return None

    def get(self, key: Hashable, load: Callable[[], Any], on_load: Callable[[], None] | None = None) -> Any:
        """The cached model for ``key``, else ``load()`` it (once, whoever else asks meanwhile) and cache it.

        ``on_load`` runs just before an actual load (to show a progress message). A failed load caches nothing, so the
        next request tries again.
        """
        model = self._lookup(key)
        if model is not None:
            return model
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            model = self._lookup(key)  # loaded by the request we waited for
            if model is not None:
                return model
            if on_load is not None:
                on_load()
            model = load()
            with self._guard:
                self.loads[key] += 1
                self._models[key] = model
                while len(self._models) > self.max_models:
                    evicted, _ = self._models.popitem(last=False)
                    self._locks.pop(evicted, None)
            return model

    def peek(self, key: Hashable) -> Any | None:
        """The cached model for ``key``, or None when it is not loaded (never loads anything)."""
        return self._lookup(key)

    def keys(self) -> list[Hashable]:
        """Cached keys, least recently used first."""
        with self._guard:
            return list(self._models)

    def __contains__(self, key: Hashable) -> bool:
        with self._guard:
            return key in self._models

    def __len__(self) -> int:
        with self._guard:
            return len(self._models)

    def clear(self) -> None:
        with self._guard:
            self._models.clear()
            self._locks.clear()


# What a tab opens on for a photo: the first published name of its list (digit models stay choosable, labelled).
PHOTO_DEFAULTS = {
    "denoise": ("denoise-real", "denoise-color", "denoise-gray"),
    "super-resolution": ("superres-x4-real", "superres-x2", "superres-x4", "superres-x4-gan"),
    "colorize": ("colorize", "colorize-hints"),  # colorize-hints is vivid but blotchy on faces: offered, not default
}
DIGIT_DATASETS = {"mnist", "fashion-mnist"}


def published_names(task: str) -> list[str]:
    """Names of the published models of ``task``, in catalog order (the dropdown's choices)."""
    return [entry.name for entry in registry.list_models(task)]


def is_digit_model(name: str | None) -> bool:
    """True for the 28x28 digit / clothing models (trained on MNIST or Fashion-MNIST)."""
    entry = registry.get_entry(name) if name else None
    return bool(entry and DIGIT_DATASETS & set(entry.datasets))


def model_choices(task: str) -> list[tuple[str, str]]:
    """The dropdown's (label, name) pairs: digit models say so in their label, so no one sends them a photo."""
    return [(f"{name} (28x28 digits)" if is_digit_model(name) else name, name) for name in published_names(task)]


def default_model(task: str, names: list[str] | None = None) -> str | None:
    """The model a tab opens on: the first published photo model of ``PHOTO_DEFAULTS``, else the first published."""
    names = published_names(task) if names is None else names
    for name in PHOTO_DEFAULTS.get(task, ()):
        if name in names:
            return name
    return names[0] if names else None


def entry_key(entry: ModelEntry) -> tuple[str, str, str]:
    """Cache key of a catalog entry: its name, revision and a digest of its published files' sha256 values."""
    digest = hashlib.sha256("".join(f"{k}={v};" for k, v in sorted(entry.files.items())).encode()).hexdigest()
    return entry.name, entry.revision, digest[:16]


def _waiting_names(task: str) -> list[str]:
    return [entry.name for entry in registry.list_models(task, include_unpublished=True) if not entry.published]


def nothing_published_message(task: str) -> str:
    title = TASK_TITLES.get(task, task)
    waiting = _waiting_names(task)
    training = f" ({', '.join(waiting)} {'is' if len(waiting) == 1 else 'are'} still being trained)" if waiting else ""
    return (
        f"No {title} model is published yet{training}. This tab works as soon as one is published: "
        "reload the page then."
    )


def require_published(task: str, name: str | None) -> ModelEntry:
    """The catalog entry of the published ``task`` model ``name``, or a ``ModelNotFoundError`` that says why not."""
    published = published_names(task)
    if not name:
        if not published:
            raise ModelNotFoundError(nothing_published_message(task))
        raise ModelNotFoundError(f"Choose a model first: {', '.join(published)}.")
    entry = registry.get_entry(str(name))
    choices = f"published {TASK_TITLES.get(task, task)} models: {', '.join(published) or 'none yet'}"
    if entry is None:
        raise ModelNotFoundError(f"Unknown model {name!r}; {choices}.")
    if entry.task != task:
        raise ModelNotFoundError(f"{entry.name!r} is a {entry.task} model, not a {task} model; {choices}.")
    if not entry.published:
        raise ModelNotFoundError(f"{entry.name!r} is not published yet (it is still being trained); {choices}.")
    return entry


def tab_notice(task: str, name: str | None = None) -> str:
    """Markdown for the top of a tab: the chosen model's description, or why the tab has nothing to run yet."""
    if not published_names(task):
        return f"**{nothing_published_message(task)}**"
    entry = registry.get_entry(name) if name else None
    if entry is None or entry.task != task:
        return "Choose a model."
    shown = [(key, value) for key, value in entry.metrics.items() if isinstance(value, int | float)][:3]
    metrics = ", ".join(f"{key} {value:.4g}" for key, value in shown)
    licence = f" Licence: {entry.license}."
    return f"**{entry.name}** — {entry.description}{licence}" + (f" Measured: {metrics}." if metrics else "")
