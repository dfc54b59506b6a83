"""Figures a test measured, for RELIABILITY.md: ``tools.reliability`` runs the tests with ``$ZOO_RELIABILITY_OUT``
set and reads what they wrote there."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_figures(name: str, figures: dict) -> Path | None:
    """Write ``figures`` as ``$ZOO_RELIABILITY_OUT/<name>.json`` when that folder is given (for RELIABILITY.md)."""
    folder = os.environ.get("ZOO_RELIABILITY_OUT")
    if not folder:
        return None
    path = Path(folder) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    return path
