"""The one training engine every ``train/<task>.py`` script runs on, and the public face of train/.

A script defines a ``Task`` (train/task.py: networks, optimisers, data, one training step, samples, the final
pipeline and its evaluation); the engine does the rest: flags and recipes (train/flags.py), accelerate (CPU, one GPU,
many GPUs, mixed precision), the loop (here), atomic checkpoints and resume (train/checkpointing.py), logging (tqdm,
TensorBoard, a JSON history), sample grids, and at the end ``save_pretrained`` + golden output + evaluation + model
card + optional publishing (train/finish.py). Scripts and tests use all of it as ``engine.<name>``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from train.checkpointing import (
    BEST_DIR,
    BEST_FILE,
    STATE_FILE,
    TASK_STATE_FILE,
    BestWeights,
    check_output_dir,
    describe_selection,
    list_checkpoints,
    load_checkpoint,
    parse_floors,
    resolve_resume,
    save_checkpoint,
)
from train.finish import (
    REPO_ROOT,
    TRAINING_FILE,
    evaluate_and_card,
    evaluate_only,
    finish,
    git_commit,
    hardware,
    reproducible_argv,
)
from train.flags import CONFIG_DIR, base_parser, load_recipe, parse_args, recipe_names
from train.task import Task, TrainingError, first_items, initialize_from, unwrap
from zoo.errors import ZooError

__all__ = [
    "BEST_DIR",
    "BEST_FILE",
    "CONFIG_DIR",
    "REPO_ROOT",
    "STATE_FILE",
    "TASK_STATE_FILE",
    "TRAINING_FILE",
    "BestWeights",
    "Loop",
    "Task",
    "TrainingError",
    "base_parser",
    "check_output_dir",
    "describe_selection",
    "evaluate_and_card",
    "evaluate_only",
    "finish",
    "first_items",
    "git_commit",
    "hardware",
    "infinite_batches",
    "initialize_from",
    "list_checkpoints",
    "load_checkpoint",
    "load_recipe",
    "lr_lambda",
    "main",
    "make_accelerator",
    "make_scheduler",
    "parse_args",
    "parse_floors",
    "prepare",
    "recipe_names",
    "reproducible_argv",
    "resolve_resume",
    "resume",
    "run",
    "run_validation",
    "save_checkpoint",
    "save_samples",
    "unwrap",
]


def make_scheduler(args: argparse.Namespace, optimizer: torch.optim.Optimizer, total: int) -> Any:
    """The --lr-scheduler of one optimiser over ``total`` steps, always a ``LambdaLR`` (the class whose state every
    checkpoint holds, so that runs started by older code resume).

    diffusers' standard schedule is used where it gives the same learning rate at every step: "constant" without
    warm-up. The others keep the engine's own multipliers (``lr_lambda``), which the recipes were trained with and
    diffusers' differ from: warm-up here is ``(step + 1) / warmup`` (diffusers': ``step / warmup``, a first step at
    LR 0), "linear" differs in the last bits, "cosine" stays at 0 past the end where diffusers' rises again (which
    multi-process runs reach: accelerate steps a prepared schedule once per process each step), and
    "constant_then_linear" and "step" have no diffusers equivalent."""
    if args.lr_scheduler == "constant" and max(args.lr_warmup_steps, 0) == 0:
        from diffusers.optimization import get_scheduler

        return get_scheduler("constant", optimizer)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(args, total))


def lr_lambda(args: argparse.Namespace, total: int):
    """Multiplier of the base learning rate at a step, for every --lr-scheduler (see ``make_scheduler``)."""
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


def reset_accelerate_state() -> None:
    """Forget the previous run's accelerate state, so that several runs can share one Python process (tests,
    notebooks); the process group is kept. accelerate has no public API for this: ``_reset_state`` is private (its
    own test utilities call it the same way), so it is used here and only here."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state()


def make_accelerator(args: argparse.Namespace, output_dir: Path) -> tuple[Any, str | None]:
    """The run's ``Accelerator`` and its tracker ("tensorboard", or None when off or not installed)."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration

    log_with = "tensorboard" if args.logger == "tensorboard" else None
    if log_with:
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            print("warning: tensorboard is not installed; logging to history.jsonl only", file=sys.stderr)
            log_with = None
    reset_accelerate_state()
    accelerator = Accelerator(
        mixed_precision=args.mixed_precision,
        log_with=log_with,
        project_config=ProjectConfiguration(project_dir=str(output_dir), logging_dir=str(output_dir / "logs")),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=args.seed),
    )
    return accelerator, log_with


def prepare(task: Task, accelerator: Any) -> tuple[Any, int]:
    """Data loader, step count (into ``args.max_train_steps``) and LR schedules (``task.schedulers``); the task's nets,
    optimisers, schedules and loader wrapped by ``accelerator.prepare``. Returns (loader, number of training items)."""
    args = task.args
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
    schedulers = {k: make_scheduler(args, o, total) for k, o in task.optimizers.items()}
    prepared = accelerator.prepare(*task.nets.values(), *task.optimizers.values(), *schedulers.values(), loader)
    n_nets, n_opts = len(task.nets), len(task.optimizers)
    task.nets = dict(zip(names, prepared[:n_nets], strict=True))
    task.optimizers = dict(zip(task.optimizers, prepared[n_nets : n_nets + n_opts], strict=True))
    task.schedulers = dict(zip(schedulers, prepared[n_nets + n_opts : -1], strict=True))
    return prepared[-1], len(dataset)


def resume(task: Task, accelerator: Any, output_dir: Path) -> tuple[int, list, float]:
    """--resume-from-checkpoint: (step, history, training seconds) of the checkpoint loaded, or a fresh start's."""
    args = task.args
    path = resolve_resume(output_dir, args.resume_from_checkpoint)
    if args.resume_from_checkpoint and path is None:
        accelerator.print(f"no checkpoint in {output_dir} to resume from; starting from step 0")
    if path is None:
        return 0, [], 0.0
    start_step, history, elapsed = load_checkpoint(accelerator, task, path)
    accelerator.print(f"resumed from {path} at step {start_step}")
    return start_step, history, elapsed


def run(task: Task) -> Path:
    """Train, checkpoint, evaluate, write the card; returns the final checkpoint folder."""
    from accelerate.utils import set_seed

    args = task.args
    output_dir = Path(args.output_dir)
    check_output_dir(output_dir)
    accelerator, log_with = make_accelerator(args, output_dir)
    floors = parse_floors(args.keep_best_floor, args.keep_best)  # a malformed floor fails before any training
    if args.keep_best and type(task).validate is Task.validate:
        raise TrainingError(f"--keep-best {args.keep_best}: train/{args.script}.py has no validation to pick from")
    set_seed(args.seed)
    task.build()
    loader, items = prepare(task, accelerator)
    start_step, history, elapsed = resume(task, accelerator, output_dir)
    best = BestWeights(output_dir, args.keep_best, start_step, floors) if accelerator.is_main_process else None
    if accelerator.is_main_process and log_with:
        accelerator.init_trackers("train", config={k: v for k, v in vars(args).items() if _scalar(v)})
    accelerator.print(
        f"training {args.name or args.script}: {args.max_train_steps} steps, {accelerator.num_processes} process(es) "
        f"on {accelerator.device}, batch {args.train_batch_size} per process, {items} training items"
    )
    loop = Loop(task, accelerator, output_dir, best, log_with, history, elapsed)
    train_time = loop.train(loader, start_step)
    accelerator.wait_for_everyone()
    final = output_dir / "final"
    if accelerator.is_main_process:
        selected = best.restore(task)
        finish(task, accelerator, final, history, train_time, args.max_train_steps, selected)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return final


class Loop:
    """The steps of one run, from its start (or resumed) step to --max-train-steps: the task's training step, the LR
    schedules, running means logged every --logging-steps (into ``history``), sample grids every --sample-steps, and
    every --checkpointing-steps (and at the end) a validation, a --keep-best offer and a checkpoint."""

    def __init__(
        self,
        task: Task,
        accelerator: Any,
        output_dir: Path,
        best: BestWeights | None,
        log_with: str | None,
        history: list,
        elapsed: float,
    ) -> None:
        self.task, self.accelerator, self.output_dir = task, accelerator, output_dir
        self.best, self.log_with = best, log_with
        self.args = task.args
        self.history, self.elapsed = history, elapsed  # elapsed: training seconds before this process started
        self.running: dict[str, list[float]] = {}
        self.started = time.time()
        self.bar: Any = None

    def train(self, loader: Any, start_step: int) -> float:
        """Run the remaining steps; returns the run's training seconds (those before a resume included)."""
        from tqdm.auto import tqdm

        args, accelerator, task = self.args, self.accelerator, self.task
        total = args.max_train_steps
        self.bar = tqdm(
            total=total, initial=start_step, disable=not accelerator.is_local_main_process, desc=args.name or "train"
        )
        step, self.started = start_step, time.time()
        for module in task.nets.values():
            module.train()
        batches = infinite_batches(loader, accelerator, start_step)
        while step < total:
            epoch, batch = next(batches)
            logs = task.training_step(batch, accelerator, step)
            for scheduler in task.schedulers.values():
                scheduler.step()
            step += 1
            self.bar.update(1)
            self.record(step, epoch, logs)
            if step % args.sample_steps == 0 and accelerator.is_main_process:
                save_samples(task, self.output_dir / "samples" / f"step-{step:07d}.png")
            if step % args.checkpointing_steps == 0 or step == total:
                self.checkpoint(step, epoch)
        self.bar.close()
        return self.seconds()

    def seconds(self) -> float:
        return self.elapsed + time.time() - self.started

    def record(self, step: int, epoch: int, logs: dict[str, float]) -> None:
        """Add a step's scalars to the running means; every --logging-steps (and at the end) log and reset them."""
        for key, value in logs.items():
            self.running.setdefault(key, []).append(float(value))
        if step % self.args.logging_steps and step != self.args.max_train_steps:
            return
        schedulers = self.task.schedulers
        means = {k: sum(v) / len(v) for k, v in self.running.items()}
        means["lr"] = next(iter(schedulers.values())).get_last_lr()[0] if schedulers else 0.0
        self.running = {}
        self.history.append({"step": step, "epoch": epoch, **means})
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in means.items() if k != "lr"})
        if self.log_with:
            self.accelerator.log(means, step=step)

    def checkpoint(self, step: int, epoch: int) -> None:
        """Validate (main process), offer the scores to --keep-best, then save a checkpoint (every process)."""
        args, accelerator = self.args, self.accelerator
        if accelerator.is_main_process:
            scores = run_validation(self.task)
            if args.keep_best and not scores:
                raise TrainingError(f"--keep-best {args.keep_best}: the validation returned no scores")
            if scores:
                self.history.append({"step": step, "epoch": epoch, **scores})
                self.bar.write(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
                self.best.offer(self.task, step, scores)
        save_checkpoint(accelerator, self.task, self.output_dir, step, self.history, self.seconds())


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
