"""Fixtures of the app tests: a tiny zoo (one small published checkpoint per task, built once per session in a
temporary mirror with its own catalog), the app module pointed at it, and a real ``python app.py`` server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools.app_bench import local_client
from tools.bench import stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
MNIST_LABELS = [str(k) for k in range(10)]
SIGN_LABELS = ["speed limit 30", "speed limit 100", "stop", "no trucks"]  # zoo.data.SIGN_CLASSES (not imported here)


def _networks() -> dict[str, tuple[str, dict, dict]]:
    """catalog name -> (pipeline class, {component: net}, options): small enough to build and run in milliseconds."""
    import torch

    from zoo.nets import (
        MLPVAE,
        ColorizationUNet,
        ConvVAE,
        DCGANGenerator,
        DRUNet,
        FFDNet,
        ResnetGenerator,
        StrengthEstimator,
        SuperResNet,
        ToyGenerator,
        UNetGenerator,
    )

    conv_vae = ConvVAE(latent_dim=8, base_channels=4)
    torch.nn.init.normal_(conv_vae.decoder[-1].weight, std=1.0)  # visible structure, so a blank output would show
    return {
        "denoise-gray": ("DenoisePipeline", {"model": FFDNet(features=8, num_layers=3)},
                         {"channels": 1, "noise_aware": True, "max_sigma": 75.0}),
        "denoise-real": ("DenoisePipeline", {"model": DRUNet(in_channels=3, widths=(4, 8, 16)),
                                             "estimator": StrengthEstimator(features=4)},
                         {"channels": 3, "noise_aware": True, "max_sigma": 75.0}),
        "superres-x2": ("SuperResolutionPipeline", {"model": SuperResNet(scale=2, features=8, num_blocks=1)},
                        {"scale": 2, "channels": 3, "tile": 64}),
        "colorize": ("ColorizePipeline", {"model": ColorizationUNet(ngf=8, num_downs=3)}, {"working_size": 32}),
        "pix2pix-facades": ("Pix2PixPipeline", {"model": UNetGenerator(num_downs=5, ngf=8)}, {"working_size": 64}),
        "cyclegan-shapes": ("CycleGANPipeline",
                            {"AtoB": ResnetGenerator(ngf=8, n_blocks=1), "BtoA": ResnetGenerator(ngf=8, n_blocks=1)},
                            {"working_size": 64, "domains": ["circles", "squares"]}),
        "vae-mnist": ("VAEPipeline", {"model": MLPVAE(latent_dim=2, hidden_sizes=[16])}, {"dataset": "mnist"}),
        "vae-fashion": ("VAEPipeline", {"model": conv_vae}, {"dataset": "fashion-mnist"}),
        "gan-mnist": ("GANPipeline", {"model": DCGANGenerator(latent_dim=8, ngf=8)}, {}),
        "cgan-mnist": ("GANPipeline", {"model": DCGANGenerator(latent_dim=8, ngf=8, num_classes=10, embed_dim=4)},
                       {"labels": MNIST_LABELS}),
        "gan-toy": ("ToyGANPipeline", {"model": ToyGenerator(hidden=8)}, {}),
        # last, so the random weights of the others stay those drawn before it existed
        "colorize-hints": ("ColorizePipeline", {"model": hint_colorizer()}, {"working_size": 32}),
        "gan-signs": ("GANPipeline", {"model": DCGANGenerator(latent_dim=8, ngf=8, num_classes=4, embed_dim=4,
                                                              image_size=32, out_channels=3)},
                      {"labels": SIGN_LABELS, "dataset": "gtsrb4"}),
    }  # fmt: skip


def hint_colorizer():
    """A tiny hint-taking colouriser (``ColorizationUNet(in_channels=4, head="classification")``) whose weights are set
    by hand so that a hint paints its colour around its point: a random network's output moves with hints, but not
    toward them. The outermost encoder conv averages the hint mask and the positive and negative parts of the hint's
    a and b over its window; every deeper level is silenced (zero weights); the outermost decoder turns the averages
    into bin logits ``s * (2 c_q . ab - |c_q|^2 * mask)`` (c_q the bin centres, ab / 110), which peak at the bin
    nearest the hint's colour. Without hints all logits are 0: one flat colour, the mean of the bins."""
    import torch

    from zoo.colorbins import AB_RANGE, ab_bins
    from zoo.nets import ColorizationUNet

    centres = torch.from_numpy(ab_bins() / AB_RANGE)
    net = ColorizationUNet(in_channels=4, out_channels=len(centres), ngf=8, num_downs=3, head="classification")
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.zero_()
        encoder = net.unet.down[0][0]  # Conv2d(4 -> 8, 4x4, stride 2); inputs: L, mask, a, b
        for channel, (source, sign) in enumerate([(1, 1), (2, 1), (2, -1), (3, 1), (3, -1)]):
            encoder.weight[channel, source] = sign / 16
        decoder = net.unet.up[0][1][0]  # ReLU, then ConvTranspose2d(16 -> Q bins); inputs 0-7 are the encoder's
        scale = 2000.0
        decoder.weight[0] = -scale * (centres**2).sum(1)[:, None, None]
        for channel, (axis, sign) in enumerate([(0, 1), (0, -1), (1, 1), (1, -1)], start=1):
            decoder.weight[channel] = sign * 2 * scale * centres[:, axis][:, None, None]
    return net.eval()


def _add_hint_colorizer(data: dict) -> None:
    """A catalog row for ``colorize-hints`` (the hint-taking colouriser of issue #21) unless the catalog has one."""
    if not any(row["name"] == "colorize-hints" for row in data["models"]):
        row = dict(next(row for row in data["models"] if row["name"] == "colorize"))
        row.update(
            name="colorize-hints",
            repo_id="imagezoo/colorize-hints",
            description="U-Net predicting Lab colour (ab bins) from lightness and user colour hints.",
        )
        data["models"].append(row)


WITH_TRAINING_CURVES = ("cgan-mnist",)  # checkpoints trained with the GAN diagnostics; the other GANs predate them


def training_curves():
    """The diagnostics figure train/gan.py draws, from a made-up history of 20 logging steps."""
    from train.gan import CURVE_PANELS
    from zoo.plots import curves_plot

    keys = [key for _, keys, _ in CURVE_PANELS for key in keys]
    history = [{"step": 10 * (k + 1), **{key: 0.5 + 0.02 * k * (-1) ** n for n, key in enumerate(keys)}}
               for k in range(20)]  # fmt: skip
    return curves_plot(history, CURVE_PANELS)


def build_tiny_zoo(root: Path) -> SimpleNamespace:
    """Publish one tiny checkpoint per app task into ``root/mirror`` and record them in ``root/catalog.json``."""
    import torch

    from zoo import hub, registry
    from zoo.pipelines import pipeline_classes
    from zoo.pipelines.generative import TRAINING_CURVES

    catalog = root / "catalog.json"
    data = json.loads(registry.CATALOG_PATH.read_text(encoding="utf-8"))
    for row in data["models"]:
        row.update(files={}, metrics={}, revision="main")
    _add_hint_colorizer(data)
    catalog.write_text(json.dumps(data), encoding="utf-8")
    mirror = root / "mirror"
    previous = os.environ.get("ZOO_MIRROR")
    os.environ["ZOO_MIRROR"] = str(mirror)  # publish_to_mirror writes under $ZOO_MIRROR
    try:
        torch.manual_seed(0)
        for name, (pipeline_name, nets, options) in _networks().items():
            pipe = pipeline_classes()[pipeline_name](nets, options=options)
            folder = pipe.save_pretrained(root / "build" / name)
            if name in WITH_TRAINING_CURVES:
                (folder / TRAINING_CURVES).parent.mkdir(exist_ok=True)
                training_curves().save(folder / TRAINING_CURVES)
            entry = registry.catalog(catalog)[name]
            hub.publish_to_mirror(folder, entry.repo_id)
            registry.update_entry(name, path=catalog, files=hub.file_hashes(folder), metrics={"test score": 1.5})
    finally:
        if previous is None:
            os.environ.pop("ZOO_MIRROR", None)
        else:
            os.environ["ZOO_MIRROR"] = previous
    return SimpleNamespace(root=root, catalog=catalog, mirror=mirror, names=list(_networks()))


@pytest.fixture(scope="session")
def tiny_zoo_files(tmp_path_factory) -> SimpleNamespace:
    return build_tiny_zoo(tmp_path_factory.mktemp("tiny-zoo"))


@pytest.fixture
def tiny_zoo(tiny_zoo_files, monkeypatch) -> SimpleNamespace:
    """The tiny zoo in force for this test (catalog, mirror, offline Hub) and an empty model cache."""
    from . import load_app

    app = load_app()
    monkeypatch.setenv("ZOO_CATALOG", str(tiny_zoo_files.catalog))
    monkeypatch.setenv("ZOO_MIRROR", str(tiny_zoo_files.mirror))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app.MODELS.clear()
    app.ENCODINGS.clear()
    yield tiny_zoo_files
    app.MODELS.clear()
    app.ENCODINGS.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def launch_app(env_changes: dict[str, str], log: Path):
    """``python app.py`` on a free port of 127.0.0.1 with ``env_changes``; yields once the page is served (the
    seconds from process start to that moment in ``served_after``), stops the process afterwards."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", **env_changes}
    env.pop("GRADIO_SERVER_PORT", None)
    started = time.perf_counter()
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py"), "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    served_after = None
    try:
        while time.perf_counter() - started < 90:
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        served_after = time.perf_counter() - started
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"app.py served nothing within 90 s:\n{log.read_text(errors='replace')[-3000:]}")
        yield SimpleNamespace(url=url, port=port, process=process, log=log, served_after=served_after)
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def server(tiny_zoo_files, tmp_path_factory) -> SimpleNamespace:
    """``python app.py`` on 127.0.0.1 with the tiny zoo; the seconds from process start to the first served page."""
    env = {
        "ZOO_CATALOG": str(tiny_zoo_files.catalog),
        "ZOO_MIRROR": str(tiny_zoo_files.mirror),
        "HF_HUB_OFFLINE": "1",
        "ZOO_APP_MAX_PIXELS": "250000",  # small, so the downscaling path is exercised with small files
    }
    with launch_app(env, tmp_path_factory.mktemp("server") / "app.log") as launched:
        yield launched


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    """A gradio_client on the launched app (one per test module)."""
    return local_client(server.url, tmp_path_factory.mktemp("downloads"))
