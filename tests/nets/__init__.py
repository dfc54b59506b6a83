"""Tests of zoo.nets (mirrors the package layout)."""
