"""Corrupted or hostile checkpoint folders: a clear CheckpointError, nothing half-loaded, no pickle ever read."""

import json
import pickle

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
    with pytest.raises(CheckpointError, match="size mismatch"):
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
