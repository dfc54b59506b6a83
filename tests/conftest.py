"""Shared fixtures: an isolated zoo (private catalog copy, empty mirror and Hub cache, no reachable Hub), tiny
checkpoints built in seconds, and a local Hub endpoint on 127.0.0.1 (tests/hub_server.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.hub_server import local_hub_fixture

local_hub = local_hub_fixture()

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def isolated_zoo(tmp_path, monkeypatch):
    """Catalog, mirror and Hub cache in tmp_path; HF_ENDPOINT points at a closed local port (nothing reachable)."""
    from huggingface_hub import constants

    from zoo import registry

    catalog = tmp_path / "catalog.json"
    data = json.loads(registry.CATALOG_PATH.read_text(encoding="utf-8"))
    for row in data["models"]:  # start unpublished, whatever the shipped catalog holds
        row.update(files={}, metrics={}, revision="main")
    catalog.write_text(json.dumps(data), encoding="utf-8")
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("ZOO_CATALOG", str(catalog))
    monkeypatch.setenv("ZOO_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused at once
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return SimpleNamespace(catalog=catalog, mirror=tmp_path / "mirror", cache=cache, root=tmp_path)


def build_tiny_checkpoint(folder: Path, name: str = "vae-mnist", seed: int = 0) -> Path:
    """A complete, publishable VAE checkpoint (tiny MLP) with golden output and a card, in well under a second."""
    import torch

    from zoo.cards import EvalRecord, render_card
    from zoo.nets import MLPVAE
    from zoo.pipelines import VAEPipeline

    torch.manual_seed(seed)
    pipe = VAEPipeline({"model": MLPVAE(latent_dim=2, hidden_sizes=[16])}, options={"dataset": "mnist"})
    pipe.save_pretrained(folder)
    pipe.write_golden(folder)
    card = render_card(
        name=name, task="vae", description="tiny test VAE", license="mit", datasets=["mnist"],
        records=[EvalRecord("mnist test", "ELBO", -500.0)], training={"command": "pytest"},
    )
    card.save(str(folder / "README.md"))
    return folder


@pytest.fixture
def tiny_checkpoint(tmp_path) -> Path:
    return build_tiny_checkpoint(tmp_path / "tiny-vae")
