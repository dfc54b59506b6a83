"""The fixed evaluation protocols of EVALUATION.md, one module per family; ``zoo.eval`` is the command line.

A pipeline picks its protocol by ``pipe.options["protocol"]`` (e.g. ``"denoise-digits"``), else by its task.
"""

from __future__ import annotations

from typing import Any


def protocols() -> dict[str, Any]:
    from zoo.evaluation import digits, realworld, restoration, translation

    return {**digits.PROTOCOLS, **restoration.PROTOCOLS, **realworld.PROTOCOLS, **translation.PROTOCOLS}


def evaluate(pipe: Any, data_dir: str | None = None, limit: int | None = None, folder: Any = None):
    """Run the pipeline's protocol: (records, notes, images)."""
    key = pipe.options.get("protocol") or pipe.task
    protocol = protocols().get(key)
    if protocol is None:
        raise NotImplementedError(f"no evaluation protocol {key!r}; known: {sorted(protocols())}")
    return protocol(pipe, data_dir=data_dir, limit=limit, folder=folder)
