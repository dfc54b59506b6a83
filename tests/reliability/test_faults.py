"""Faults: a full disk stops training before it starts with a one-line error; an HF token is never printed or
written (publishing to the local Hub test server through ``python -m zoo.publish`` in a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections import namedtuple
from pathlib import Path

import pytest

from tests.conftest import build_tiny_checkpoint
from tests.support.figures import write_figures
from tests.training.conftest import write_tiny_mnist
from tests.training.test_engine import TINY
from train import engine
from train.engine import TrainingError
from train.vae import VAETask, add_flags

ROOT = Path(__file__).resolve().parents[2]
Usage = namedtuple("Usage", "total used free")


def _full_disk(monkeypatch) -> None:
    """shutil.disk_usage reports 1 MiB free (of 100 GiB) everywhere."""
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100 * 2**30, 100 * 2**30 - 2**20, 2**20))


def test_full_disk_is_a_clear_error_before_training(tmp_path, monkeypatch, capsys):
    _full_disk(monkeypatch)
    out = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"only 1 MiB free at .*; need at least 50") as raised:
        engine.check_output_dir(out)
    assert not any(p.name == ".write-test" for p in out.iterdir()), "the write probe is cleaned up"

    data = write_tiny_mnist(tmp_path / "data")
    args = [*TINY, "--data-dir", str(data), "--output-dir", str(out), "--max-train-steps", "2"]
    code = engine.main(VAETask, "vae", "test", add_flags, args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("error: only 1 MiB free at"), captured.err
    assert "Traceback" not in captured.err and "training vae-mnist" not in captured.out
    assert sorted(p.name for p in out.iterdir()) == [], "nothing written before the check failed"
    write_figures("fault-full-disk", {"exit_code": code, "message": lines[0], "direct_error": str(raised.value)})


def _files_holding(secret: bytes, *folders: Path) -> tuple[int, list[str]]:
    scanned, holding = 0, []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                scanned += 1
                if secret in path.read_bytes():
                    holding.append(str(path))
    return scanned, holding


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_token_is_never_printed_or_written(isolated_zoo, local_hub, tmp_path):
    secret = f"hf_reliability_{uuid.uuid4().hex}"
    folder = build_tiny_checkpoint(tmp_path / "tiny-vae")
    hf_home = tmp_path / "hf-home"
    env = {
        **os.environ,  # isolated_zoo's ZOO_CATALOG and ZOO_MIRROR
        "HF_ENDPOINT": local_hub.endpoint,
        "HF_TOKEN": secret,
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(isolated_zoo.cache),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_VERBOSITY": "debug",  # the most talkative the Hub client gets
    }
    env.pop("HF_HUB_OFFLINE", None)
    before = len(local_hub.requests)
    done = subprocess.run(
        [sys.executable, "-m", "zoo.publish", str(folder), "--name", "vae-mnist", "--to", "hub,mirror"],
        capture_output=True, env=env, cwd=ROOT, timeout=150,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output.decode(errors="replace")[-3000:]
    assert b"published vae-mnist to hub" in done.stdout and b"published vae-mnist to mirror" in done.stdout

    writes = [r for r in local_hub.requests[before:] if r.method in ("POST", "PUT")]
    assert writes and all(r.authorized for r in writes), "the Hub received the token on every write"
    catalog = isolated_zoo.catalog.read_text(encoding="utf-8")
    assert json.loads(catalog)  # the catalog copy was rewritten by the publish, and is still valid
    card = (isolated_zoo.mirror / "imagezoo" / "vae-mnist" / "README.md").read_bytes()
    token = secret.encode()
    printed = output.count(token)
    assert not printed, "token printed"
    assert token not in card and secret not in catalog
    folders = [isolated_zoo.root, local_hub.root, hf_home]  # checkpoint, mirror, catalog, caches, the Hub's storage
    scanned, holding = _files_holding(token, *[f for f in folders if f.exists()])
    assert not holding, f"token written to {holding}"
    figures = {
        "files_scanned": scanned,
        "files_with_token": len(holding),
        "output_bytes_scanned": len(output),
        "output_token_occurrences": printed,
        "hub_write_requests": len(writes),
        "hub_write_requests_authorized": sum(r.authorized for r in writes),
    }
    write_figures("fault-token", figures)
