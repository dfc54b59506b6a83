"""Shared fixtures: an isolated zoo (private catalog copy, empty mirror and Hub cache, no reachable Hub), tiny
checkpoints built in seconds, and a local Hub endpoint on 127.0.0.1 (tests/support/hub_server.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import shared_data
from tests.support.hub_server import local_hub_fixture

local_hub = local_hub_fixture()

REPO_ROOT = Path(__file__).resolve().parent.parent
_SKIPPED_WITHOUT_DATA: list[str] = []


def pytest_runtest_setup(item):
    """``realdata`` tests: skipped (one shared reason) without the datasets, failed under ``ZOO_REQUIRE_DATA=1``."""
    if item.get_closest_marker("realdata") is None:
        return
    problem = shared_data.data_problem()
    if problem is None:
        return
    if shared_data.REQUIRE_DATA:
        pytest.fail(f"ZOO_REQUIRE_DATA=1 but the shared datasets are missing: {problem}", pytrace=False)
    _SKIPPED_WITHOUT_DATA.append(item.nodeid)
    pytest.skip(shared_data.SKIP_REASON)


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED_WITHOUT_DATA:
        terminalreporter.write_line(
            f"realdata: {len(_SKIPPED_WITHOUT_DATA)} tests skipped because each {shared_data.SKIP_REASON} "
            "(set ZOO_DATA_DIR to run them; CI sets ZOO_REQUIRE_DATA=1, which fails them instead)"
        )


@pytest.fixture(autouse=True)
def no_training_outputs(tmp_path_factory, monkeypatch):
    """Protocols that show other training runs (baselines, loss variants) look only in an empty folder, so a test
    never depends on what this machine happens to have trained in outputs/. Tests that want runs set ZOO_OUTPUTS."""
    monkeypatch.setenv("ZOO_OUTPUTS", str(tmp_path_factory.mktemp("no-outputs")))


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
        name=name,
        task="vae",
        description="tiny test VAE",
        license="mit",
        datasets=["mnist"],
        records=[EvalRecord("mnist test", "ELBO", -500.0)],
        training={"command": "pytest"},
    )
    card.save(str(folder / "README.md"))
    return folder


@pytest.fixture
def tiny_checkpoint(tmp_path) -> Path:
    return build_tiny_checkpoint(tmp_path / "tiny-vae")


def build_tiny_pipelines() -> dict[str, object]:
    """One tiny, untrained pipeline per task (seeded), for contract and robustness tests. Seconds to build."""
    import torch

    from zoo import nets
    from zoo import pipelines as p

    torch.manual_seed(0)
    return {
        "denoise-gray": p.DenoisePipeline({"model": nets.FFDNet(in_channels=1, features=8, num_layers=3)},
                                          options={"channels": 1, "noise_aware": True}),
        "denoise-color": p.DenoisePipeline({"model": nets.FFDNet(in_channels=3, features=8, num_layers=3)},
                                           options={"channels": 3, "noise_aware": True}),
        "denoise-mnist": p.DenoisePipeline({"model": nets.ConvAutoencoder(base_channels=4)},
                                           options={"channels": 1, "image_size": 28}),
        "superres": p.SuperResolutionPipeline({"model": nets.SuperResNet(scale=2, features=8, num_blocks=1)},
                                              options={"scale": 2, "channels": 3}),
        "colorize": p.ColorizePipeline({"model": nets.ColorizationUNet(ngf=8, num_downs=3)},
                                       options={"working_size": 64}),
        "pix2pix": p.Pix2PixPipeline({"model": nets.UNetGenerator(num_downs=5, ngf=8)}, options={"working_size": 64}),
        "cyclegan": p.CycleGANPipeline({"AtoB": nets.ResnetGenerator(ngf=8, n_blocks=1),
                                        "BtoA": nets.ResnetGenerator(ngf=8, n_blocks=1)}, options={"working_size": 64}),
        "vae": p.VAEPipeline({"model": nets.MLPVAE(latent_dim=2, hidden_sizes=[16])}),
        "gan": p.GANPipeline({"model": nets.DCGANGenerator(latent_dim=8, num_classes=10, ngf=8)},
                             options={"labels": [str(i) for i in range(10)]}),
        "autoencoder": p.AutoencoderPipeline({"model": nets.DenseAutoencoder(code_size=4)}),
    }  # fmt: skip


@pytest.fixture(scope="session")
def tiny_pipelines() -> dict[str, object]:
    return build_tiny_pipelines()
