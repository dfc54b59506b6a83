"""Tests of the Gradio app (``app.py``).

pytest imports this package as ``app`` (``tests/`` itself is not a package), which shadows the repository's
``app.py``; the tests therefore load ``app.py`` under the module name ``zoo_app`` with ``load_app()``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

APP_PATH = Path(__file__).resolve().parents[2] / "app.py"


def load_app() -> ModuleType:
    """The app module (``app.py``), imported once per test process as ``zoo_app``."""
    if "zoo_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("zoo_app", APP_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules["zoo_app"] = module
        spec.loader.exec_module(module)
    return sys.modules["zoo_app"]
