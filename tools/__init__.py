"""Maintainer tools that need the whole repository (published mirror, tests, app.py, outputs/): run them from the
repository root, e.g. ``python -m tools.bench`` and ``python -m tools.reliability``. Not part of the ``zoo`` package
(the library and the Space never import them)."""
