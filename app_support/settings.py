"""The app's knobs, read from environment variables (each has a safe default; a bad value is a clear error)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import ZooError

# name: (default, smallest allowed, what it bounds)
LIMITS = {
    "ZOO_APP_MAX_MODELS": (
        0,
        0,
        "pipelines kept in memory (least recently used dropped first); 0: every published model that fits "
        "in half the available memory (app_support.models.auto_max_models)",
    ),
    "ZOO_APP_MAX_PIXELS": (4_000_000, 4096, "input pixels; larger inputs are downscaled, with a notice"),
    "ZOO_APP_MAX_UPSCALE_PIXELS": (1_000_000, 4096, "super-resolution input pixels (the output has scale^2 more)"),
    "ZOO_APP_CONCURRENCY": (1, 1, "preview events of one tab that run at the same time (the queue holds the rest)"),
    "ZOO_APP_PREVIEW_PIXELS": (1_000_000, 4096, "pixels of a preview's result (the default button of a photo tab)"),
    "ZOO_APP_FULL_CONCURRENCY": (1, 1, "full-resolution events, of all tabs together, that run at the same time"),
    "ZOO_APP_MAX_FULL_JOBS": (1, 1, "full-resolution jobs one visitor may have queued or running"),
    "ZOO_APP_MAX_QUEUED_JOBS": (3, 1, "previews and other jobs one visitor may have queued or running (all tabs)"),
    "ZOO_APP_MAX_UPLOAD_MB": (25, 1, "size of one uploaded file in MB (a 50-megapixel phone JPEG is ~20 MB)"),
    "ZOO_APP_PRELOAD": (
        0,
        0,
        "1: load each tab's default model in the background right after start; 0: on first use "
        "(unset: 1 on a Hugging Face Space, where the first visitor would otherwise wait for the load, 0 elsewhere)",
    ),
    "ZOO_APP_CACHE_HOURS": (1, 1, "hours an upload or a result stays in gradio's cache folder before it is deleted"),
}


class SettingsError(ZooError, ValueError):
    """An environment variable of the app holds a value it cannot use."""


def env_int(name: str) -> int:
    """The integer value of one of the ``LIMITS`` variables (its default when unset or empty)."""
    default, minimum, what = LIMITS[name]
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise SettingsError(f"{name}={raw!r} is not a whole number; it sets the {what} (default {default})") from error
    if value < minimum:
        raise SettingsError(f"{name}={value} is too small (at least {minimum}); it sets the {what}")
    return value


@dataclass(frozen=True)
class Settings:
    """A snapshot of the app's settings. ``Settings.from_env()`` re-reads the environment."""

    max_models: int
    max_pixels: int
    max_upscale_pixels: int
    concurrency: int
    preview_pixels: int
    full_concurrency: int
    max_full_jobs: int
    max_queued_jobs: int
    max_upload_mb: int
    cache_hours: int
    preload: bool

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_models=env_int("ZOO_APP_MAX_MODELS"),
            max_pixels=env_int("ZOO_APP_MAX_PIXELS"),
            max_upscale_pixels=env_int("ZOO_APP_MAX_UPSCALE_PIXELS"),
            concurrency=env_int("ZOO_APP_CONCURRENCY"),
            preview_pixels=env_int("ZOO_APP_PREVIEW_PIXELS"),
            full_concurrency=env_int("ZOO_APP_FULL_CONCURRENCY"),
            max_full_jobs=env_int("ZOO_APP_MAX_FULL_JOBS"),
            max_queued_jobs=env_int("ZOO_APP_MAX_QUEUED_JOBS"),
            max_upload_mb=env_int("ZOO_APP_MAX_UPLOAD_MB"),
            cache_hours=env_int("ZOO_APP_CACHE_HOURS"),
            preload=env_int("ZOO_APP_PRELOAD") > 0 if os.environ.get("ZOO_APP_PRELOAD", "").strip() else on_a_space(),
        )


def on_a_space() -> bool:
    """True on a Hugging Face Space (``SPACE_ID`` is set there)."""
    return bool(os.environ.get("SPACE_ID"))


def default_host() -> str:
    """127.0.0.1 locally; 0.0.0.0 on a Hugging Face Space, where the proxy must reach us."""
    return "0.0.0.0" if on_a_space() else "127.0.0.1"


def default_port() -> int:
    """``GRADIO_SERVER_PORT`` (what Spaces and gradio use) or 7860."""
    raw = os.environ.get("GRADIO_SERVER_PORT", "").strip()
    try:
        return int(raw) if raw else 7860
    except ValueError as error:
        raise SettingsError(f"GRADIO_SERVER_PORT={raw!r} is not a port number") from error


def seconds_since_process_start() -> float | None:
    """Seconds since this process started (Linux ``/proc``; None elsewhere), for the start-up log line."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat(5): start time after boot
        return float(Path("/proc/uptime").read_text().split()[0]) - started
    except (OSError, ValueError, IndexError):
        return None
