"""Real SIGKILLs at random moments of a training run: the last complete checkpoint always loads, and resuming
finishes with the same weights as an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.training.test_engine import ROOT, TINY, final_weights, run_vae
from train import engine

pytestmark = pytest.mark.slow  # a minute or more of training runs killed and resumed

STEPS = 160  # long enough that a resumed run is still training when the next kill comes, even on a busy machine


def _args(data: Path, out: Path) -> list[str]:
    return [*TINY, "--data-dir", str(data), "--output-dir", str(out), "--max-train-steps", str(STEPS),
            "--checkpointing-steps", "1", "--checkpoints-total-limit", "3", "--no-eval"]  # fmt: skip


def _check_loadable(checkpoint: Path) -> int:
    state = json.loads((checkpoint / engine.STATE_FILE).read_text())
    weights = load_file(str(checkpoint / "model.safetensors"))
    assert weights and all(torch.isfinite(t).all() for t in weights.values())
    assert (checkpoint / "optimizer.bin").stat().st_size > 0
    return int(state["step"])


def test_random_kills_leave_a_loadable_checkpoint_and_resume_matches(tiny_mnist, tmp_path):
    straight = run_vae(_args(tiny_mnist, tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr[-2000:]

    out = tmp_path / "killed"
    rng = random.Random(1234)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    kills, last_step = 0, 0
    for _trial in range(4):
        resume = ["--resume-from-checkpoint", "latest"] if engine.list_checkpoints(out) else []
        process = subprocess.Popen([sys.executable, "-m", "train.vae", *_args(tiny_mnist, out), *resume],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)  # fmt: skip
        # Wait until training is under way, then kill at a random moment (mid-step or mid-checkpoint-write).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            checkpoints = engine.list_checkpoints(out)
            if checkpoints and int(checkpoints[-1].name.split("-")[1]) > last_step:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        if process.poll() is not None:
            break  # finished before we could kill it
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        checkpoints = engine.list_checkpoints(out)
        assert checkpoints, "a killed run left no complete checkpoint"
        step = _check_loadable(checkpoints[-1])
        assert step >= last_step
        last_step = step
    assert kills >= 2
    finished = run_vae([*_args(tiny_mnist, out), "--resume-from-checkpoint", "latest"])
    assert finished.returncode == 0, finished.stderr[-2000:]
    a, b = final_weights(tmp_path / "straight"), final_weights(out)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)
