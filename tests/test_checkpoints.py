"""Corrupted or hostile checkpoint folders: a clear CheckpointError, nothing half-loaded, no pickle ever read."""

import json
import pickle
from pathlib import Path

import pytest
import torch

from zoo.errors import CheckpointError
from zoo.pipelines import load_pipeline
from zoo.pipelines.base import WEIGHTS_FILE


def test_truncated_safetensors(tiny_checkpoint):
    weights = tiny_checkpoint / "model" / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="cannot load MLPVAE"):
        load_pipeline(tiny_checkpoint)


def test_config_naming_an_unknown_class(tiny_checkpoint):
    config_path = tiny_checkpoint / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config["_class_name"] = "os.system"
    config_path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"unknown network class 'os\.system'"):
        load_pipeline(tiny_checkpoint)


def test_shape_mismatch(tiny_checkpoint):
    config_path = tiny_checkpoint / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config["hidden_sizes"] = [32]
    config_path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"describes 51,220 parameters but the weights hold 26,004 values"):
        load_pipeline(tiny_checkpoint)


def test_unknown_pipeline_and_missing_files(tiny_checkpoint):
    meta_path = tiny_checkpoint / "pipeline.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps(meta | {"pipeline": "EvilPipeline"}))
    with pytest.raises(CheckpointError, match="unknown pipeline"):
        load_pipeline(tiny_checkpoint)
    meta_path.write_text(json.dumps(meta | {"components": {"model": "../../etc"}}))
    with pytest.raises(CheckpointError, match="outside the checkpoint"):
        load_pipeline(tiny_checkpoint)
    meta_path.unlink()
    with pytest.raises(CheckpointError, match=r"pipeline\.json is missing"):
        load_pipeline(tiny_checkpoint)


def test_planted_pickle_is_never_loaded(tiny_checkpoint, monkeypatch):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle executed')",))

    model = tiny_checkpoint / "model"
    (model / "diffusion_pytorch_model.bin").write_bytes(pickle.dumps(Boom()))
    (model / WEIGHTS_FILE).unlink()
    calls = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(a) or {})
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append(a) or {})
    with pytest.raises(CheckpointError, match="only safetensors"):
        load_pipeline(tiny_checkpoint)
    assert calls == []


def test_golden_output_detects_changed_weights(tiny_checkpoint):
    pipe = load_pipeline(tiny_checkpoint)
    assert pipe.check_golden(tiny_checkpoint) < 1e-5
    with torch.no_grad():
        next(pipe.model.parameters()).add_(0.5)
    with pytest.raises(CheckpointError, match="golden"):
        pipe.check_golden(tiny_checkpoint)


def _set_config(folder, **changes):
    config_path = folder / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config.update(changes)
    config_path.write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_sizes": [10**9]}, r"hidden_sizes = 1000000000 is out of bounds"),
        ({"latent_dim": float("inf")}, r"latent_dim = inf is out of bounds"),
        ({"hidden_sizes": [16] * 65}, r"hidden_sizes has 65 entries"),
        ({"hidden_sizes": [8192] * 8}, r"describes 952,550,164 parameters \(at most 200,000,000\)"),
        ({"hidden_sizes": [4096] * 4}, r"describes [\d,]+ parameters but the weights hold 26,004 values"),
    ],
)
def test_absurd_config_refused_before_any_allocation(tiny_checkpoint, changes, message):
    import time

    _set_config(tiny_checkpoint, **changes)
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match=message):
        load_pipeline(tiny_checkpoint)
    assert time.perf_counter() - started < 1.0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_absurd_config_costs_no_memory(tiny_checkpoint):
    """Built for real, hidden sizes of 8192 x 8 would take about 1.9 GB: the child process stays far below."""
    import subprocess
    import sys

    _set_config(tiny_checkpoint, hidden_sizes=[8192] * 8)
    # VmHWM (the peak RSS of this process image): ru_maxrss would carry the pytest parent's size across fork + exec
    code = (
        "from zoo.errors import CheckpointError\n"
        "from zoo.pipelines import load_pipeline\n"
        "try:\n"
        f"    load_pipeline({str(tiny_checkpoint)!r})\n"
        "except CheckpointError:\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "    print(int(status.split()[0]) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    peak_mib = int(result.stdout.strip())
    assert peak_mib < 1000, f"peak RSS {peak_mib} MiB"


def test_a_folder_with_a_manifest_is_verified_when_loaded_by_path(tiny_checkpoint):
    import zoo
    from zoo.hub import MANIFEST_FILE, write_manifest

    manifest = write_manifest(tiny_checkpoint)
    listed = json.loads(manifest.read_text())
    assert {"pipeline.json", "model/config.json", f"model/{WEIGHTS_FILE}"} <= set(listed)
    assert "README.md" not in listed
    assert zoo.load(tiny_checkpoint).task == "vae"  # intact: loads
    (tiny_checkpoint / "README.md").write_text("a new card")  # cards and pictures are not covered
    assert zoo.load(tiny_checkpoint).task == "vae"
    weights = tiny_checkpoint / "model" / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the last weight
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"checked against its {MANIFEST_FILE}.*model/{WEIGHTS_FILE} has sha256"):
        zoo.load(tiny_checkpoint)
    manifest.write_text(json.dumps({"../../etc/passwd": "0" * 64}))
    with pytest.raises(CheckpointError, match="outside the folder"):
        zoo.load(tiny_checkpoint)


def test_loaded_convolutions_are_channels_last_and_save_back_unchanged(tmp_path):
    from PIL import Image

    from tests.conftest import build_tiny_pipelines

    build_tiny_pipelines()["denoise-color"].save_pretrained(tmp_path / "first")
    loaded = load_pipeline(tmp_path / "first")
    convolutions = [w for w in loaded.model.parameters() if w.dim() == 4]
    assert convolutions and all(w.is_contiguous(memory_format=torch.channels_last) for w in convolutions)
    loaded.save_pretrained(tmp_path / "second")  # the same bytes as from NCHW weights: safetensors stores row-major
    first, second = (tmp_path / run / "model" / WEIGHTS_FILE for run in ("first", "second"))
    assert first.read_bytes() == second.read_bytes()
    again = load_pipeline(tmp_path / "second")
    for a, b in zip(loaded.model.state_dict().values(), again.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    image = Image.new("RGB", (40, 32), (120, 80, 200))
    assert loaded(image, sigma=25).tobytes() == again(image, sigma=25).tobytes()
