"""The one table writer: the model cards' evaluation tables and notes, BENCHMARKS.md (``tools/bench.py``), the float16
card section (``zoo.halving``) and the translation protocols' static HTML pages all render their tables here."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any


def number(value: Any, nan: str = "n/a") -> str:
    """A cell: floats with 2 decimals from 1 up, else 4 (``nan`` for NaN); anything else as ``str``."""
    if isinstance(value, float):
        return nan if math.isnan(value) else f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"
    return str(value)


def table(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    cell: Callable[[Any], str] = number,
    style: str = "markdown",
) -> str:
    """``header`` and ``rows`` as a table: ``style="markdown"`` (cells through ``cell``; strings pass unchanged) or
    ``"html"`` (header names escaped; row cells are HTML already, e.g. ``<img ...>``, and are not escaped)."""
    if style == "html":
        lines = ["<table>", "<tr>" + "".join(f"<th>{html.escape(str(name))}</th>" for name in header) + "</tr>"]
        lines += ["<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>" for row in rows]
        return "\n".join([*lines, "</table>"])
    if style != "markdown":
        raise ValueError(f"unknown table style {style!r}")
    lines = ["| " + " | ".join(cell(name) for name in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)
