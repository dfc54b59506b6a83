"""Where the zoo finds things outside its own package, in one place.

The library never assumes it runs from a repository checkout: an installed wheel has only its package data
(``catalog.json``, the card templates). When ``zoo`` *is* imported from a source checkout (``pip install -e .``,
``python -m ...`` from the repository root, the app), the checkout's ``mirror/`` folder and ``../shared/data`` are used
as defaults; ``$ZOO_MIRROR`` / ``$ZOO_DATA_DIR`` override them everywhere.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_NAME = "image-zoo"


@lru_cache(maxsize=1)
def checkout_root() -> Path | None:
    """The repository checkout that holds this ``zoo`` package, or None for an installed package (or a Space).

    A checkout is recognised by its ``pyproject.toml`` naming this project next to the package folder.
    """
    root = PACKAGE_DIR.parent
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{PROJECT_NAME}"' in text else None


def mirror_root() -> Path | None:
    """The local mirror of the Hub repos: ``$ZOO_MIRROR``, else the checkout's ``mirror/``, else None (no mirror)."""
    if os.environ.get("ZOO_MIRROR"):
        return Path(os.environ["ZOO_MIRROR"]).expanduser()
    root = checkout_root()
    return None if root is None else root / "mirror"


def default_data_root() -> Path | None:
    """``<checkout>/../shared/data`` for a checkout, else None (then ``--data-dir`` / ``$ZOO_DATA_DIR`` are needed)."""
    root = checkout_root()
    return None if root is None else root.parent / "shared" / "data"
