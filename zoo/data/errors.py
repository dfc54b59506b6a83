"""Errors and warnings of the dataset readers.

``DatasetError`` lives here because ``zoo/errors.py`` has no dataset error yet; it derives from ``zoo.errors.ZooError``
(and ``ValueError``), so ``except ZooError`` catches it too. Move it to ``zoo/errors.py`` when that module wants it.
"""

from __future__ import annotations

from zoo.errors import ZooError

__all__ = ["DatasetError", "DatasetWarning"]


class DatasetError(ZooError, ValueError):
    """A dataset folder or file that is missing, empty or malformed."""


class DatasetWarning(UserWarning):
    """Files skipped while a dataset was built (unreadable, or too small to use)."""
