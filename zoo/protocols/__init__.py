"""The fixed evaluation protocols of docs/EVALUATION.md, one package per family; ``python -m zoo.eval`` is their
command line (``zoo/eval.py``).

A pipeline picks its protocol by ``pipe.options["protocol"]`` (e.g. ``"denoise-digits"``), else by its task.

Each family (``digits``, ``restoration``, ``realworld``, ``translation``) is a package: its ``__init__`` holds the
protocols (``PROTOCOLS``), the settings they read at call time (test sets, strides, peers on or off; tests and
``zoo.halving`` change them there) and re-exports the names callers import; ``measure`` computes numbers, ``peers``
runs the baselines, peers and judges, ``report`` writes the prose and figures. Every table goes through
``zoo.tables``.
"""

from __future__ import annotations

from typing import Any


def all_protocols() -> dict[str, Any]:
    """Protocol name -> function, over every family."""
    from zoo.protocols import digits, realworld, restoration, translation

    return {**digits.PROTOCOLS, **restoration.PROTOCOLS, **realworld.PROTOCOLS, **translation.PROTOCOLS}


def evaluate(pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Any = None):
    """Run the pipeline's protocol: (records, notes, images)."""
    key = pipe.options.get("protocol") or pipe.task
    protocol = all_protocols().get(key)
    if protocol is None:
        raise NotImplementedError(f"no evaluation protocol {key!r}; known: {sorted(all_protocols())}")
    return protocol(pipe, data_dir=data_dir, limit=limit, folder=folder)
