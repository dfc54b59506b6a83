"""``python -m tests.training.crash_run N ARGS...``: train/vae.py with ARGS, dying like ``kill -9`` (no cleanup, no
flush) as step N is about to start, i.e. once N steps (and their checkpoints) are complete. The fault is injected
here, by the test, so the training code reads no test-only switches."""

from __future__ import annotations

import os
import sys

from train import engine
from train.vae import VAETask, add_flags


def crashing(crash_at: int) -> type[VAETask]:
    class CrashingVAETask(VAETask):
        def training_step(self, batch, accelerator, step):
            if step == crash_at:  # ``step`` counts the steps already done
                os._exit(137)
            return super().training_step(batch, accelerator, step)

    return CrashingVAETask


if __name__ == "__main__":
    sys.exit(engine.main(crashing(int(sys.argv[1])), "vae", "test", add_flags, sys.argv[2:]))
