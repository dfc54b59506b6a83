"""Protocols for the translation family (EVALUATION.md)."""

from __future__ import annotations

PROTOCOLS: dict = {}
