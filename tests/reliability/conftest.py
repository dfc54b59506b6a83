"""Fixtures of the reliability tests. The launched app and its tiny zoo are the app tests' own fixtures, imported
(not copied) from tests/app/conftest.py; defined again here, they give this folder its own fresh server, so first-use
model loads are counted from a clean start."""

from __future__ import annotations

import os

import pytest

from tests.app.conftest import server, tiny_zoo_files  # noqa: F401  (fixtures, re-registered for this folder)

# The load test needs every tiny model resident at once (10 models; the app keeps 4 by default, and an evicted model
# is loaded again on its next use) and several events per tab at once, so concurrent first uses really race.
LOAD_APP_ENV = {"ZOO_APP_MAX_MODELS": "16", "ZOO_APP_CONCURRENCY": "4"}


@pytest.fixture(scope="session")
def load_app_env():
    """The app settings of the load test, in the environment while ``server`` launches ``python app.py``."""
    saved = {key: os.environ.get(key) for key in LOAD_APP_ENV}
    os.environ.update(LOAD_APP_ENV)
    yield dict(LOAD_APP_ENV)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def load_server(load_app_env, server):  # noqa: F811  (argument order: the environment is set before the launch)
    return server
