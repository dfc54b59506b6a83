"""The one training engine every ``train/<task>.py`` script runs on.

A script defines a ``Task`` (networks, optimisers, data, one training step, samples, the final pipeline and its
evaluation); the engine does the rest: flags and recipes, accelerate (CPU, one GPU, many GPUs, mixed precision),
the loop, atomic checkpoints and resume, logging (tqdm, TensorBoard, a JSON history), sample grids, and at the end
``save_pretrained`` + golden output + evaluation + model card + optional publishing.

Checkpoints are written by ``accelerator.save_state`` into ``checkpoint-N.tmp`` and renamed to ``checkpoint-N`` only
when complete, so a ``kill -9`` at any moment leaves the previous checkpoint intact. Task state that accelerate does
not hold (an image pool) is saved as safetensors, never as pickles.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from zoo.errors import ZooError

REPO_ROOT = Path(__file__).resolve().parent.parent  # the checkout (for the git commit on the card)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
STATE_FILE = "trainer_state.json"
BEST_DIR = "best"  # output_dir/best: the weights with the highest --keep-best metric so far (+ BEST_FILE)
BEST_FILE = "best.json"
TRAINING_FILE = "training.json"
TASK_STATE_FILE = "task_state.safetensors"


class TrainingError(ZooError):
    """A problem with the run's settings or data, reported as one line."""


# ------------------------------------------------------------------------------------------------------------ flags
def base_parser(description: str) -> argparse.ArgumentParser:
    """The flags every training script shares (the style of the ecosystem's training examples)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--config", help="named recipe in train/configs/ (reproduces a catalog checkpoint); flags override")
    p.add_argument("--name", help="catalog name of the checkpoint this run produces (for the card and publishing)")
    p.add_argument("--dataset", help="dataset folder name under --data-dir, or a synthetic set")
    p.add_argument("--data-dir", help="data root (default: $ZOO_DATA_DIR or ../shared/data)")
    p.add_argument("--output-dir", default="outputs/run", help="where checkpoints, logs and the final model go")
    p.add_argument("--resolution", type=int, default=None, help="training image/patch size")
    p.add_argument("--train-batch-size", type=int, default=16, help="batch size per process")
    p.add_argument("--max-train-steps", type=int, default=None, help="total optimisation steps (overrides epochs)")
    p.add_argument("--num-epochs", type=int, default=1)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--adam-beta1", type=float, default=0.9)
    p.add_argument("--adam-beta2", type=float, default=0.999)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument(
        "--lr-scheduler",
        default="constant",
        choices=["constant", "linear", "cosine", "constant_then_linear", "step"],
        help="constant_then_linear: constant for --decay-start of the run, then linear to 0 (pix2pix/CycleGAN)",
    )
    p.add_argument("--lr-warmup-steps", type=int, default=0)
    p.add_argument("--decay-start", type=float, default=0.5, help="fraction of the run before linear decay starts")
    p.add_argument("--mixed-precision", default="no", choices=["no", "fp16", "bf16"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpointing-steps", type=int, default=500, help="save a resumable state every N steps")
    p.add_argument("--checkpoints-total-limit", type=int, default=2, help="keep at most this many checkpoints")
    p.add_argument(
        "--keep-best",
        default=None,
        metavar="METRIC",
        help="publish the weights of the checkpoint step with the highest validation METRIC (one the task's "
        "validation reports, e.g. val_psnr; validation runs every --checkpointing-steps) instead of the last step's",
    )
    p.add_argument(
        "--keep-best-floor",
        action="append",
        default=None,
        metavar="METRIC=MIN",
        help="with --keep-best: only steps whose validation METRIC is at least MIN compete (repeatable), e.g. "
        "val_colour=0.7 so the most-PSNR step cannot be a near-gray one",
    )
    p.add_argument("--resume-from-checkpoint", help="'latest' or a checkpoint folder")
    p.add_argument("--logger", default="tensorboard", choices=["tensorboard", "none"])
    p.add_argument("--logging-steps", type=int, default=10)
    p.add_argument("--sample-steps", type=int, default=500, help="write a sample grid every N steps")
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader workers per process")
    p.add_argument("--eval-limit", type=int, default=None, help="evaluate on at most N test items (smoke runs)")
    p.add_argument("--no-eval", action="store_true", help="skip the final evaluation")
    p.add_argument("--eval-only", action="store_true", help="only re-evaluate final/ and rebuild its card")
    p.add_argument("--save-dtype", default="fp32", choices=["fp32", "fp16"], help="dtype of the published weights")
    p.add_argument("--publish", default="none", choices=["none", "mirror", "hub"], help="publish the final model")
    p.add_argument("--push-to-hub", action="store_true", help="same as --publish hub")
    p.add_argument("--hub-model-id", help="Hub repo id to push to (default: the catalog's)")
    p.add_argument("--hardware", default=None, help="what the run ran on, for the card (default: detected)")
    return p


def recipe_names() -> list[str]:
    return sorted(path.stem for path in CONFIG_DIR.glob("*.json"))


def load_recipe(name: str) -> dict[str, Any]:
    path = CONFIG_DIR / f"{name}.json"
    if not path.is_file():
        raise TrainingError(f"unknown --config {name!r}; recipes: {', '.join(recipe_names()) or 'none'}")
    recipe = json.loads(path.read_text(encoding="utf-8"))
    recipe.pop("_comment", None)
    return recipe


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None, script: str = "") -> argparse.Namespace:
    """Parse flags; a ``--config`` recipe supplies defaults that explicit flags override."""
    first, _ = parser.parse_known_args(argv)
    if first.config:
        recipe = load_recipe(first.config)
        if recipe.get("script") not in (None, script):
            raise TrainingError(f"recipe {first.config!r} is for train/{recipe['script']}.py, not train/{script}.py")
        recipe.pop("script", None)
        known = {action.dest for action in parser._actions}
        unknown = sorted(set(recipe) - known)
        if unknown:
            raise TrainingError(f"recipe {first.config!r} sets unknown flags: {', '.join(unknown)}")
        parser.set_defaults(**recipe)
    args = parser.parse_args(argv)
    if args.push_to_hub:
        args.publish = "hub"
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.script = script
    return args


# --------------------------------------------------------------------------------------------------------- the task
@dataclass
class Task:
    """What a training script defines. The engine calls these; see train/vae.py for a short example."""

    args: argparse.Namespace
    nets: dict[str, torch.nn.Module] = field(default_factory=dict)
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)

    def build(self) -> None:
        """Create ``self.nets`` and ``self.optimizers`` (use ``self.adam(...)`` for the flags' Adam)."""
        raise NotImplementedError

    def dataset(self) -> torch.utils.data.Dataset:
        raise NotImplementedError

    def training_step(self, batch: Any, accelerator: Any, step: int) -> dict[str, float]:
        """One optimisation step (backward + optimizer steps); returns scalars to log."""
        raise NotImplementedError

    def samples(self, nets: dict[str, torch.nn.Module]) -> Any:
        """A PIL image grid showing the current model (saved every --sample-steps and at the end), or None."""
        return None

    def pipeline(self, nets: dict[str, torch.nn.Module]) -> Any:
        """The task pipeline (zoo.pipelines) wrapping the trained networks."""
        raise NotImplementedError

    def evaluate(self, pipe: Any) -> tuple[list[Any], str]:
        """(EvalRecords, notes) on the task's test split, by the pipeline's fixed protocol (zoo.evaluation)."""
        from zoo.evaluation import evaluate

        final = Path(self.args.output_dir) / "final"
        records, notes, images = evaluate(pipe, self.args.data_dir, self.args.eval_limit, folder=final)
        self.extra_images = images
        return records, notes

    def validate(self, nets: dict[str, torch.nn.Module]) -> dict[str, float]:
        """Scores on held-out training-distribution data (never a test set), keys starting with ``val_``; called
        every --checkpointing-steps with the nets in eval mode; ``{}`` (the default): no validation.
        Must not draw from the global random generators (a resumed run must stay identical)."""
        return {}

    def card_info(self) -> dict[str, Any]:
        """Overrides for the card: description, datasets, licence, tags."""
        return {}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Extra state to checkpoint (e.g. an image pool); saved as safetensors."""
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        pass

    def adam(self, net: torch.nn.Module, lr: float | None = None) -> torch.optim.Optimizer:
        a = self.args
        return torch.optim.Adam(
            net.parameters(), lr=lr or a.learning_rate, betas=(a.adam_beta1, a.adam_beta2), weight_decay=a.weight_decay
        )


def lr_lambda(args: argparse.Namespace, total: int):
    """Multiplier of the base learning rate at a step, for every --lr-scheduler."""
    warmup = max(args.lr_warmup_steps, 0)

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        progress = min(max(step - warmup, 0) / max(total - warmup, 1), 1.0)
        if args.lr_scheduler == "linear":
            return 1.0 - progress
        if args.lr_scheduler == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        if args.lr_scheduler == "constant_then_linear":
            start = args.decay_start
            return 1.0 if progress < start else max(0.0, (1.0 - progress) / max(1.0 - start, 1e-8))
        if args.lr_scheduler == "step":
            return 0.1 ** int(progress * 3)  # x0.1 at 1/3 and 2/3 of the run
        return 1.0

    return factor


# ------------------------------------------------------------------------------------------------------ checkpoints
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


# -------------------------------------------------------------------------------------------------------------- run
def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip()[:12] + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def hardware(accelerator: Any) -> str:

    if torch.cuda.is_available() and accelerator.device.type == "cuda":
        what = torch.cuda.get_device_name(0)
    else:
        from zoo.machine import cpu_name

        what = f"CPU {cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    return f"{what} x {accelerator.num_processes} process(es)"


def infinite_batches(loader: Any, accelerator: Any, start_step: int) -> Iterator[tuple[int, Any]]:
    """(epoch, batch) from ``start_step`` on: the epochs' orders are seeded, so a resumed run sees the same batches."""
    steps_per_epoch = len(loader)
    if steps_per_epoch == 0:
        raise TrainingError("the training set is smaller than one batch; lower --train-batch-size")
    epoch, skip = divmod(start_step, steps_per_epoch)
    while True:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        dataset = getattr(loader, "dataset", None)
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        batches = accelerator.skip_first_batches(loader, skip) if skip else loader
        for batch in batches:
            yield epoch, batch
        epoch, skip = epoch + 1, 0


def run(task: Task) -> Path:
    """Train, checkpoint, evaluate, write the card; returns the final checkpoint folder."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration, set_seed

    args = task.args
    output_dir = Path(args.output_dir)
    check_output_dir(output_dir)
    log_with = "tensorboard" if args.logger == "tensorboard" else None
    if log_with:
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            print("warning: tensorboard is not installed; logging to history.jsonl only", file=sys.stderr)
            log_with = None
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state()  # several runs in one Python process (tests, notebooks); keeps the process group
    accelerator = Accelerator(
        mixed_precision=args.mixed_precision,
        log_with=log_with,
        project_config=ProjectConfiguration(project_dir=str(output_dir), logging_dir=str(output_dir / "logs")),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=args.seed),
    )
    floors = parse_floors(args.keep_best_floor, args.keep_best)  # a malformed floor fails before any training
    if args.keep_best and type(task).validate is Task.validate:
        raise TrainingError(f"--keep-best {args.keep_best}: train/{args.script}.py has no validation to pick from")
    set_seed(args.seed)
    task.build()
    dataset = task.dataset()
    if len(dataset) == 0:
        raise TrainingError(f"the training set is empty (--dataset {args.dataset!r})")
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=args.train_batch_size,
        shuffle=getattr(task, "shuffle", True),
        drop_last=True,
        num_workers=args.num_workers,
        # Its own generator: creating an epoch's iterator must not draw from the global RNG, or a resumed run
        # (whose global RNG state is restored from the checkpoint) would diverge from an uninterrupted one.
        generator=torch.Generator().manual_seed(args.seed),
    )
    steps_per_epoch = max(len(loader) // accelerator.num_processes, 1)
    total = args.max_train_steps or args.num_epochs * steps_per_epoch
    args.max_train_steps = total
    names = list(task.nets)
    schedulers = {k: torch.optim.lr_scheduler.LambdaLR(o, lr_lambda(args, total)) for k, o in task.optimizers.items()}
    prepared = accelerator.prepare(*task.nets.values(), *task.optimizers.values(), *schedulers.values(), loader)
    n_nets, n_opts = len(task.nets), len(task.optimizers)
    task.nets = dict(zip(names, prepared[:n_nets], strict=True))
    task.optimizers = dict(zip(task.optimizers, prepared[n_nets : n_nets + n_opts], strict=True))
    schedulers = dict(zip(schedulers, prepared[n_nets + n_opts : -1], strict=True))
    loader = prepared[-1]
    task.schedulers = schedulers

    start_step, history, elapsed = 0, [], 0.0
    resume = resolve_resume(output_dir, args.resume_from_checkpoint)
    if args.resume_from_checkpoint and resume is None:
        accelerator.print(f"no checkpoint in {output_dir} to resume from; starting from step 0")
    if resume is not None:
        start_step, history, elapsed = load_checkpoint(accelerator, task, resume)
        accelerator.print(f"resumed from {resume} at step {start_step}")
    best = BestWeights(output_dir, args.keep_best, start_step, floors) if accelerator.is_main_process else None
    if accelerator.is_main_process and log_with:
        accelerator.init_trackers("train", config={k: v for k, v in vars(args).items() if _scalar(v)})

    from tqdm.auto import tqdm

    crash_at = int(os.environ.get("ZOO_TRAIN_EXIT_AFTER_STEP", "0") or 0)
    accelerator.print(
        f"training {args.name or args.script}: {total} steps, {accelerator.num_processes} process(es) on "
        f"{accelerator.device}, batch {args.train_batch_size} per process, {len(dataset)} training items"
    )
    bar = tqdm(
        total=total, initial=start_step, disable=not accelerator.is_local_main_process, desc=args.name or "train"
    )
    step, started = start_step, time.time()
    running: dict[str, list[float]] = {}
    for module in task.nets.values():
        module.train()
    batches = infinite_batches(loader, accelerator, start_step)
    while step < total:
        epoch, batch = next(batches)
        logs = task.training_step(batch, accelerator, step)
        for scheduler in schedulers.values():
            scheduler.step()
        step += 1
        bar.update(1)
        for key, value in logs.items():
            running.setdefault(key, []).append(float(value))
        if step % args.logging_steps == 0 or step == total:
            means = {k: sum(v) / len(v) for k, v in running.items()}
            means["lr"] = next(iter(schedulers.values())).get_last_lr()[0] if schedulers else 0.0
            running = {}
            history.append({"step": step, "epoch": epoch, **means})
            bar.set_postfix({k: f"{v:.3g}" for k, v in means.items() if k != "lr"})
            if log_with:
                accelerator.log(means, step=step)
        if step % args.sample_steps == 0 and accelerator.is_main_process:
            save_samples(task, output_dir / "samples" / f"step-{step:07d}.png")
        if step % args.checkpointing_steps == 0 or step == total:
            if accelerator.is_main_process:
                scores = run_validation(task)
                if args.keep_best and not scores:
                    raise TrainingError(f"--keep-best {args.keep_best}: the validation returned no scores")
                if scores:
                    history.append({"step": step, "epoch": epoch, **scores})
                    bar.write(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
                    best.offer(task, step, scores)
            save_checkpoint(accelerator, task, output_dir, step, history, elapsed + time.time() - started)
        if step == crash_at:  # fault injection for tests: die like kill -9 (no cleanup, no flush)
            os._exit(137)
    bar.close()
    train_time = elapsed + time.time() - started
    accelerator.wait_for_everyone()
    final = output_dir / "final"
    if accelerator.is_main_process:
        selected = best.restore(task)
        finish(task, accelerator, final, history, train_time, total, selected)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return final


def run_validation(task: Task) -> dict[str, float]:
    """``task.validate`` with the nets in eval mode (and back to train mode after)."""
    nets = {k: unwrap(v) for k, v in task.nets.items()}
    for net in nets.values():
        net.eval()
    try:
        with torch.no_grad():
            return {k: float(v) for k, v in task.validate(nets).items()}
    finally:
        for net in nets.values():
            net.train()


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


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool)


def save_samples(task: Task, path: Path) -> None:
    nets = {k: unwrap(v) for k, v in task.nets.items()}
    modes = {k: v.training for k, v in nets.items()}
    for net in nets.values():
        net.eval()
    try:
        grid = task.samples(nets)
    finally:
        for k, net in nets.items():
            net.train(modes[k])
    if grid is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        grid.save(path)


def first_items(data: Any, keys: tuple[str, ...], count: int = 4) -> dict[str, torch.Tensor]:
    """The first ``count`` items of a dataset of dicts, stacked per key: a fixed batch for sample grids."""
    items = [data[i] for i in range(min(count, len(data)))]
    return {key: torch.stack([item[key] for item in items]) for key in keys}


def initialize_from(
    net: torch.nn.Module, source: str, component: str = "model", skip: tuple[str, ...] = (), hint: str = ""
) -> list[str]:
    """Copy into ``net`` every tensor of a trained network (``source``: a checkpoint folder or catalog name; its
    ``component``) whose name and shape match, except names starting with one of ``skip``; returns the copied names.
    For recipes that start from another model (x4 from x2 as EDSR does; a GAN fine-tune from its L1 model)."""
    import zoo

    try:
        donor = zoo.load(source).models[component].state_dict()
    except (zoo.ZooError, KeyError) as error:
        raise TrainingError(
            f"--init-from {source!r}: {error}; {hint or 'train that model first'}, or pass --init-from '' to start "
            "from scratch"
        ) from error
    own = net.state_dict()
    copied = [k for k, v in donor.items() if k in own and own[k].shape == v.shape and not k.startswith(skip)]
    if not copied:
        raise TrainingError(f"--init-from {source!r}: no tensor matches this network's names and shapes")
    net.load_state_dict({**own, **{k: donor[k] for k in copied}})
    return copied


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return getattr(module, "module", module)


def save_checkpoint(accelerator: Any, task: Task, output_dir: Path, step: int, history: list, seconds: float) -> None:
    """accelerate state into ``checkpoint-N.tmp``, then an atomic rename; old checkpoints beyond the limit go."""
    from safetensors.torch import save_file

    final = output_dir / f"checkpoint-{step}"
    tmp = output_dir / f"checkpoint-{step}.tmp"
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp), safe_serialization=True)
    if accelerator.is_main_process:
        tensors = {k: v.detach().cpu().contiguous() for k, v in task.state_tensors().items()}
        if tensors:
            save_file(tensors, str(tmp / TASK_STATE_FILE))
        state = {"step": step, "history": history, "train_time": seconds}
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


def load_checkpoint(accelerator: Any, task: Task, path: Path) -> tuple[int, list, float]:
    from safetensors.torch import load_file

    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        accelerator.load_state(str(path))
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise TrainingError(f"cannot resume from {path}: {error}") from error
    if (path / TASK_STATE_FILE).is_file():
        task.load_state_tensors(load_file(str(path / TASK_STATE_FILE)))
    return int(state["step"]), list(state.get("history", [])), float(state.get("train_time", 0.0))


def reproducible_argv(argv: list[str]) -> list[str]:
    """The command line minus flags that only say how this run was driven (resuming), for the card."""
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        if token == "--resume-from-checkpoint":
            skip = True
            continue
        if token.startswith("--resume-from-checkpoint="):
            continue
        kept.append(token)
    return kept


def finish(
    task: Task,
    accelerator: Any,
    final: Path,
    history: list,
    train_time: float,
    steps: int,
    selected: dict[str, Any] | None = None,
) -> None:
    """save_pretrained + golden output + samples + loss plot + evaluation + model card (+ publishing).

    ``selected``: the --keep-best record when the nets hold the best validation step's weights."""
    from zoo.cards import write_json
    from zoo.plots import loss_plot
    from zoo.registry import get_entry

    args = task.args
    nets = {k: unwrap(v).eval() for k, v in task.nets.items()}
    pipe = task.pipeline(nets)
    if final.exists():
        shutil.rmtree(final)
    dtype = torch.float16 if args.save_dtype == "fp16" else None
    pipe.save_pretrained(final, dtype=dtype)
    # Evaluate and write the golden output with the weights exactly as published (reloaded, fp16 included).
    from zoo.pipelines import load_pipeline

    pipe = load_pipeline(final, name=args.name)
    pipe.write_golden(final)
    images = []
    (final / "images").mkdir(exist_ok=True)
    grid = task.samples(nets)
    if grid is not None:
        grid.save(final / "images" / "samples.png")
        images.append({"alt": "samples", "path": "images/samples.png"})
    if history:
        loss_plot(history).save(final / "images" / "losses.png")
        images.append({"alt": "training curves", "path": "images/losses.png"})
    write_json(final.parent / "history.json", history)
    entry = get_entry(args.name) if args.name else None
    command = "python -m train." + args.script + " " + " ".join(reproducible_argv(args.argv))
    training = {
        "command": command.strip(),
        "recipe": f"train/configs/{args.config}.json" if args.config else "none (flags only)",
        "seed": args.seed,
        "steps": steps,
        "train_time": f"{train_time / 60:.1f} min",
        **({"weights": describe_selection(selected, steps)} if selected else {}),
        "hardware": args.hardware or hardware(accelerator),
        "git_commit": git_commit(),
        "data": ", ".join(entry.datasets) if entry else str(args.dataset),
    }
    # What the card needs from training, kept beside the model so --eval-only can rebuild the card later.
    # card_info describes the training run (it may read what build() set up), so it is taken now and kept too.
    card_info = task.card_info()
    write_json(final.parent / TRAINING_FILE, {"training": training, "images": images, "card_info": card_info})
    evaluate_and_card(task, pipe, final, training, images, accelerator.print, card_info)


def evaluate_and_card(
    task: Task,
    pipe: Any,
    final: Path,
    training: dict,
    images: list,
    say=print,
    card_info: dict[str, Any] | None = None,
) -> None:
    """Evaluate by the task's protocol, write eval_results.json and the model card, publish if asked.

    ``card_info``: what ``task.card_info()`` said when the run finished (else it is asked now)."""
    from zoo.cards import records_to_json, render_card, write_json
    from zoo.registry import get_entry

    args = task.args
    records, notes = ([], "Evaluation skipped (--no-eval).") if args.no_eval else task.evaluate(pipe)
    images = [*images, *getattr(task, "extra_images", [])]
    write_json(final.parent / "eval_results.json", records_to_json(records))
    entry = get_entry(args.name) if args.name else None
    info = {
        "description": entry.description if entry else "",
        "license": entry.license if entry else "apache-2.0",
        "datasets": list(entry.datasets) if entry else [str(args.dataset)],
        "tags": [],
    }
    info.update(task.card_info() if card_info is None else card_info)
    if "data" in info:
        training = {**training, "data": info.pop("data")}
    card = render_card(
        name=args.name or final.parent.name,
        task=pipe.task,
        records=records,
        training=training,
        images=images,
        notes=notes,
        **info,
    )
    card.save(str(final / "README.md"))
    say(f"final model: {final}")
    if args.publish != "none":
        from zoo.publish import publish

        where = publish(final, args.name, to=(args.publish,), repo_id=args.hub_model_id)
        say(f"published: {where}")


def evaluate_only(task: Task) -> Path:
    """--eval-only: re-run the protocol and rebuild the card of an existing ``final/`` (e.g. once a baseline the
    card compares with has been trained), keeping the training facts recorded when the run finished."""
    from zoo.pipelines import load_pipeline

    args = task.args
    output_dir = Path(args.output_dir)
    final, recorded = output_dir / "final", output_dir / TRAINING_FILE
    if not (final / "pipeline.json").is_file() or not recorded.is_file():
        raise TrainingError(f"--eval-only needs a finished run in {output_dir} (final/ and {TRAINING_FILE})")
    state = json.loads(recorded.read_text(encoding="utf-8"))
    pipe = load_pipeline(final, name=args.name)
    # Runs recorded before card_info was kept fall back to asking the task, which then must not need build().
    evaluate_and_card(task, pipe, final, state["training"], state["images"], card_info=state.get("card_info"))
    return final


def main(task_class: type[Task], script: str, description: str, add_flags=None, argv: list[str] | None = None) -> int:
    """Entry point of a training script: parse flags, run, turn user mistakes into one-line errors."""
    parser = base_parser(description)
    if add_flags is not None:
        add_flags(parser)
    try:
        args = parse_args(parser, argv, script)
        evaluate_only(task_class(args)) if args.eval_only else run(task_class(args))
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; resume with --resume-from-checkpoint latest", file=sys.stderr)
        return 130
    return 0
