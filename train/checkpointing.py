"""Checkpoint I/O and resume: atomic ``checkpoint-N`` folders (accelerate state + the engine's own state), finding the
one to resume from, and --keep-best (the ``best/`` weights of the highest-scoring validated step).

Checkpoints are written by ``accelerator.save_state`` into ``checkpoint-N.tmp`` and renamed to ``checkpoint-N`` only
when complete, so a ``kill -9`` at any moment leaves the previous checkpoint intact. Task state that accelerate does
not hold (an image pool) is saved as safetensors, never as pickles. The file names below are the on-disk format that
runs started by older code resume from: do not rename them.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

from train.task import Task, TrainingError, unwrap

STATE_FILE = "trainer_state.json"
BEST_DIR = "best"  # output_dir/best: the weights with the highest --keep-best metric so far (+ BEST_FILE)
BEST_FILE = "best.json"
TASK_STATE_FILE = "task_state.safetensors"


def list_checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints (``checkpoint-N`` with a state file), oldest first; ``.tmp`` leftovers are ignored."""
    found = []
    for path in output_dir.glob("checkpoint-*"):
        suffix = path.name.split("-", 1)[1]
        if path.is_dir() and suffix.isdigit() and (path / STATE_FILE).is_file():
            found.append(path)
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]))


def resolve_resume(output_dir: Path, value: str | None) -> Path | None:
    if not value:
        return None
    if value == "latest":
        checkpoints = list_checkpoints(output_dir)
        return checkpoints[-1] if checkpoints else None
    path = Path(value)
    if not (path.is_dir() and (path / STATE_FILE).is_file()):
        raise TrainingError(f"--resume-from-checkpoint {value!r} is not a complete checkpoint folder (no {STATE_FILE})")
    return path


def check_output_dir(output_dir: Path, need_bytes: int = 50 * 2**20) -> None:
    """Fail before training when the output folder cannot be written or the disk is (nearly) full."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise TrainingError(f"cannot write to --output-dir {output_dir}: {error.strerror or error}") from error
    free = shutil.disk_usage(output_dir).free
    if free < need_bytes:
        raise TrainingError(f"only {free / 2**20:.0f} MiB free at {output_dir}; need at least {need_bytes / 2**20:.0f}")


def save_checkpoint(accelerator: Any, task: Task, output_dir: Path, step: int, history: list, seconds: float) -> None:
    """accelerate state into ``checkpoint-N.tmp``, then an atomic rename; old checkpoints beyond the limit go.
    A full or read-only disk is a one-line ``TrainingError`` (the previous checkpoint stays intact)."""
    try:
        _save_checkpoint(accelerator, task, output_dir, step, history, seconds)
    except OSError as error:
        shutil.rmtree(output_dir / f"checkpoint-{step}.tmp", ignore_errors=True)
        reason = error.strerror or type(error).__name__
        raise TrainingError(
            f"cannot write checkpoint-{step} in {output_dir}: {reason}; free some space and resume with "
            "--resume-from-checkpoint latest (the previous checkpoint is intact)"
        ) from None


def _save_checkpoint(accelerator: Any, task: Task, output_dir: Path, step: int, history: list, seconds: float) -> None:
    from safetensors.torch import save_file

    final = output_dir / f"checkpoint-{step}"
    tmp = output_dir / f"checkpoint-{step}.tmp"
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp), safe_serialization=True)
    accelerator.wait_for_everyone()  # every process's random_states_<i>.pkl is written before it is hashed
    if accelerator.is_main_process:
        tensors = {k: v.detach().cpu().contiguous() for k, v in task.state_tensors().items()}
        if tensors:
            save_file(tensors, str(tmp / TASK_STATE_FILE))
        state = {"step": step, "history": history, "train_time": seconds, "files": file_hashes(tmp)}
        (tmp / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        _fsync_tree(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in list_checkpoints(output_dir)[: -max(task.args.checkpoints_total_limit, 1)]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of a checkpoint folder but the state file (which records them), by relative path."""
    from zoo.hub import sha256_file

    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != STATE_FILE
    }


def verify_checkpoint(path: Path, recorded: dict[str, str] | None) -> None:
    """Every file a checkpoint recorded at save time, unchanged: a truncated or swapped optimizer, model or
    random-state file is refused before accelerate reads it (accelerate only warns about a bad random state and goes
    on, which silently changes the run). Checkpoints written before hashes were recorded pass with a warning."""
    if recorded is None:
        print(f"warning: {path.name} records no file hashes (written by older code); resuming without checking them")
        return
    present = file_hashes(path)
    for name, digest in recorded.items():
        if name not in present:
            raise TrainingError(f"cannot resume from {path}: {name} is missing; {_RESUME_HINT}")
        if present[name] != digest:
            raise TrainingError(f"cannot resume from {path}: {name} changed since it was saved; {_RESUME_HINT}")
    extra = sorted(set(present) - set(recorded))
    if extra:
        raise TrainingError(f"cannot resume from {path}: {extra[0]} was not part of it; {_RESUME_HINT}")


_RESUME_HINT = "delete that checkpoint folder to resume from the one before, or start the run over"


def load_checkpoint(accelerator: Any, task: Task, path: Path) -> tuple[int, list, float]:
    from safetensors.torch import load_file

    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrainingError(f"cannot resume from {path}: {STATE_FILE} is unreadable ({error})") from error
    verify_checkpoint(path, state.get("files"))
    try:
        accelerator.load_state(str(path))
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise TrainingError(f"cannot resume from {path}: {error}") from error
    if (path / TASK_STATE_FILE).is_file():
        task.load_state_tensors(load_file(str(path / TASK_STATE_FILE)))
    return int(state["step"]), list(state.get("history", [])), float(state.get("train_time", 0.0))


def parse_floors(items: list[str] | None, metric: str | None) -> dict[str, float]:
    """--keep-best-floor METRIC=MIN (repeatable) -> {METRIC: MIN}; a clear error for a malformed one."""
    floors: dict[str, float] = {}
    for item in items or []:
        name, sep, value = str(item).partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            floors[name.strip()] = float(value)
        except ValueError:
            raise TrainingError(f"--keep-best-floor {item!r}: expected METRIC=MIN, e.g. val_colour=0.7") from None
    if floors and not metric:
        raise TrainingError("--keep-best-floor needs --keep-best METRIC (the score to maximise among those steps)")
    return floors


def describe_selection(record: dict[str, Any], steps: int) -> str:
    """The card's 'published weights' row for a --keep-best record."""
    floors = record.get("floors") or {}
    among = f" among steps with {', '.join(f'{k} >= {v:g}' for k, v in floors.items())}" if floors else ""
    return f"step {record['step']} of {steps} (highest {record['metric']}{among}: {record['value']:.4g})"


class BestWeights:
    """--keep-best METRIC: keeps ``output_dir/best/`` (every net's weights + best.json) at the step whose validation
    METRIC is highest, and puts those weights back before the final model is saved. ``floors`` (--keep-best-floor)
    bar the steps whose other validation scores fall below a minimum from competing.

    A fresh run clears a stale best/; a resumed run keeps it only if it was recorded at or before the resumed step
    (a later one belongs to steps that are about to be retrained) under the same metric and floors."""

    def __init__(
        self, output_dir: Path, metric: str | None, start_step: int, floors: dict[str, float] | None = None
    ) -> None:
        self.folder, self.metric, self.record = output_dir / BEST_DIR, metric, None
        self.floors = dict(floors or {})
        self.seen: dict[str, float] = {}  # the highest score of each floored metric so far (for the error message)
        if not metric:
            return
        info = self.folder / BEST_FILE
        if start_step and info.is_file():
            record = json.loads(info.read_text(encoding="utf-8"))
            same = record.get("metric") == metric and (record.get("floors") or {}) == self.floors
            if same and record.get("step", math.inf) <= start_step:
                self.record = record
        if self.record is None and self.folder.exists():
            shutil.rmtree(self.folder)

    def offer(self, task: Task, step: int, scores: dict[str, float]) -> None:
        if not self.metric:
            return
        for flag, name in [("--keep-best", self.metric)] + [("--keep-best-floor", m) for m in self.floors]:
            if name not in scores:
                raise TrainingError(f"{flag} {name}: the validation reports {', '.join(sorted(scores)) or 'nothing'}")
        for name in self.floors:
            self.seen[name] = max(self.seen.get(name, -math.inf), scores[name])
        if any(scores[name] < floor for name, floor in self.floors.items()):
            return
        value = scores[self.metric]
        if self.record is not None and not value > self.record["value"]:
            return
        from safetensors.torch import save_file

        tmp = self.folder.with_name(BEST_DIR + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        for name, net in task.nets.items():
            state = {k: v.detach().cpu().contiguous() for k, v in unwrap(net).state_dict().items()}
            save_file(state, str(tmp / f"{name}.safetensors"))
        self.record = {"metric": self.metric, "value": value, "step": step}
        if self.floors:
            self.record["floors"] = self.floors
        (tmp / BEST_FILE).write_text(json.dumps(self.record), encoding="utf-8")
        if self.folder.exists():
            shutil.rmtree(self.folder)
        os.replace(tmp, self.folder)

    def restore(self, task: Task) -> dict[str, Any] | None:
        """Load the best weights into the task's nets; returns the record (metric, value, step) or None."""
        if not self.metric:
            return None
        if self.record is None and self.floors and self.seen:
            seen = [f"{k} reached at most {self.seen[k]:.4g} (floor {v:g})" for k, v in self.floors.items()]
            raise TrainingError(
                f"--keep-best {self.metric}: no validated step met --keep-best-floor: {', '.join(seen)}; lower the "
                "floor or train longer"
            )
        if self.record is None:
            raise TrainingError(f"--keep-best {self.metric}: no validation ran (is its held-out data set?)")
        from safetensors.torch import load_file

        for name, net in task.nets.items():
            unwrap(net).load_state_dict(load_file(str(self.folder / f"{name}.safetensors")))
        return self.record
