"""Reliability tests (issue 9): load on the launched app, and faults (full disk, token hygiene).

``python -m tools.reliability`` runs these with the input fuzz, checkpoint and SIGKILL tests and writes RELIABILITY.md.
"""
