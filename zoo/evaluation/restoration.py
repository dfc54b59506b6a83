"""Protocols for the restoration family (EVALUATION.md)."""

from __future__ import annotations

PROTOCOLS: dict = {}
