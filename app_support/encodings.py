"""Stored test-set encodings for the VAE tab's scatter plot, so that it draws on a Space that has no datasets.

    PYTHONPATH=. python -m app_support.encodings [NAME ...]   # every published VAE (or NAME), from the local test sets

Each ``app_support/encodings/<model>.npz`` (about 12 KB) holds the posterior means (the first two latent dimensions,
float16) of the first ``SCATTER_POINTS`` test images of the model's dataset, their labels and class names, and the
model's cache key (name, revision, digest of its published files' sha256): a file written for other weights (the
model was republished) is ignored. The tab encodes the test set itself when the server has it, and uses the stored
file only when it does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from app_support.models import entry_key
from zoo import registry
from zoo.registry import ModelEntry

FOLDER = Path(__file__).resolve().parent / "encodings"
SCATTER_POINTS = 2000


def key_of(entry: ModelEntry) -> str:
    return "|".join(entry_key(entry))


def path_of(entry: ModelEntry) -> Path:
    return FOLDER / f"{entry.name}.npz"


def save(entry: ModelEntry, z: np.ndarray, labels: np.ndarray, names: list[str]) -> Path:
    """Write the stored encodings of ``entry`` (``z``: ``[n, d]`` posterior means; the first two dimensions kept)."""
    second = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z), np.float32)
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = path_of(entry)
    np.savez_compressed(
        path, z=np.stack([z[:, 0], second], axis=1).astype(np.float16), labels=labels.astype(np.uint8),
        names=np.array(names), key=np.array(key_of(entry)),
    )  # fmt: skip
    return path


def load(entry: ModelEntry) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """(z ``[n, 2]`` float32, labels ``[n]``, class names) stored for exactly these weights of ``entry``, else None
    (no file, another version's file, or an unreadable one)."""
    try:
        with np.load(path_of(entry), allow_pickle=False) as data:
            if str(data["key"]) != key_of(entry):
                return None
            return data["z"].astype(np.float32), data["labels"].astype(np.int64), [str(n) for n in data["names"]]
    except (OSError, KeyError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app_support.encodings", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="VAE names (default: every published VAE)")
    args = parser.parse_args(argv)
    import zoo

    for entry in registry.list_models("vae"):
        if args.names and entry.name not in args.names:
            continue
        pipe = zoo.load(entry.name)
        z, labels, names = pipe.encode_test_set(SCATTER_POINTS)
        path = save(entry, z, labels, names)
        print(f"{entry.name}: {len(z)} {pipe.dataset} test images -> {path} ({path.stat().st_size / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
