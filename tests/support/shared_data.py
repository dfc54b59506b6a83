"""The shared datasets in tests (``../shared/data`` next to the checkout, or ``$ZOO_DATA_DIR``).

Tests that read them are marked ``realdata``. Without the data they are skipped, all with the same reason (one line
of the ``-ra`` summary, plus a count at the end of the run); with ``ZOO_REQUIRE_DATA=1`` (CI, which has the data)
they fail instead, so a missing dataset can never turn the published-model checks into silent skips. A test that
finds one dataset missing while the data root exists calls ``missing(error)``, which follows the same rule.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_DATA = os.environ.get("ZOO_REQUIRE_DATA", "").strip().lower() in ("1", "true", "yes", "on")
SKIP_REASON = "needs the shared datasets (../shared/data or $ZOO_DATA_DIR), which are not on this machine"


def data_problem() -> str | None:
    """Why the data root cannot be used, or None when it exists."""
    from zoo.data import DatasetError, data_root

    try:
        data_root()
    except DatasetError as error:
        return str(error)
    return None


def missing(error: object) -> NoReturn:
    """A dataset a ``realdata`` test needs is absent: skip, or fail under ``ZOO_REQUIRE_DATA=1``."""
    if REQUIRE_DATA:
        pytest.fail(f"ZOO_REQUIRE_DATA=1 but a dataset is missing: {error}", pytrace=False)
    pytest.skip(f"shared data not available: {error}")
