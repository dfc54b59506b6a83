"""The training engine: smoke run, resume equivalence after a hard kill, two-process data parallel, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from train import engine
from train.vae import VAETask, add_flags

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--name", "vae-mnist", "--dataset", "mnist", "--hidden-sizes", "32", "--train-batch-size", "32",
        "--logger", "none", "--eval-limit", "32", "--sample-steps", "1000"]  # fmt: skip


def run_vae(
    args: list[str], env: dict | None = None, timeout: int = 240, crash_at: int = 0
) -> subprocess.CompletedProcess:
    """``python -m train.vae ARGS``; ``crash_at``: die like kill -9 after that many steps (see crash_run.py)."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    module = ["tests.training.crash_run", str(crash_at)] if crash_at else ["train.vae"]
    return subprocess.run([sys.executable, "-m", *module, *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT)  # fmt: skip


def final_weights(output_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(output_dir / "final" / "model" / "diffusion_pytorch_model.safetensors"))


def test_smoke_run_writes_loadable_checkpoint_card_and_curves(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    code = engine.main(VAETask, "vae", "test", add_flags,
                       [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "6",
                        "--checkpointing-steps", "3", "--logging-steps", "2"])  # fmt: skip
    assert code == 0
    import zoo
    from zoo.publish import validate

    pipe = zoo.load(out / "final")
    assert pipe.task == "vae" and len(pipe.sample(2)) == 2
    checked = validate(out / "final", task="vae")
    assert "mnist test ELBO" in checked.metrics
    card = (out / "final" / "README.md").read_text()
    assert "python -m train.vae" in card and "| **this model** |" in card
    assert (out / "final" / "images" / "losses.png").is_file()
    assert [p.name for p in engine.list_checkpoints(out)] == ["checkpoint-3", "checkpoint-6"]


def test_checkpoints_total_limit_keeps_the_newest(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "8",
            "--checkpointing-steps", "2", "--checkpoints-total-limit", "2", "--no-eval"]  # fmt: skip
    assert engine.main(VAETask, "vae", "test", add_flags, args) == 0
    assert [p.name for p in engine.list_checkpoints(out)] == ["checkpoint-6", "checkpoint-8"]


@pytest.mark.slow
def test_resume_after_hard_kill_matches_uninterrupted_run(tiny_mnist, tmp_path):
    """12 steps straight vs 6 steps + os._exit (like kill -9) + resume: identical weights. 8 batches per epoch, so
    the resumed run starts mid-epoch and must skip the batches it already saw."""
    common = [*TINY, "--data-dir", str(tiny_mnist), "--max-train-steps", "12", "--checkpointing-steps", "3",
              "--no-eval", "--lr-scheduler", "cosine"]  # fmt: skip
    straight = run_vae([*common, "--output-dir", str(tmp_path / "straight")])
    assert straight.returncode == 0, straight.stderr[-2000:]
    killed = run_vae([*common, "--output-dir", str(tmp_path / "resumed")], crash_at=7)
    assert killed.returncode == 137
    assert [p.name for p in engine.list_checkpoints(tmp_path / "resumed")] == ["checkpoint-3", "checkpoint-6"]
    resumed = run_vae([*common, "--output-dir", str(tmp_path / "resumed"), "--resume-from-checkpoint", "latest"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout + resumed.stderr and "at step 6" in resumed.stdout + resumed.stderr
    a, b = final_weights(tmp_path / "straight"), final_weights(tmp_path / "resumed")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)


@pytest.mark.slow
def test_two_cpu_processes_data_parallel(tiny_mnist, tmp_path):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--module", "train.vae", *TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out),
               "--max-train-steps", "4", "--checkpointing-steps", "4", "--no-eval"]  # fmt: skip
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "MASTER_PORT": "29517"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es)" in done.stdout + done.stderr
    assert [p.name for p in engine.list_checkpoints(out)] == ["checkpoint-4"]
    # Each process saved its own RNG state into the one checkpoint; only the main process wrote the rest.
    assert sorted(p.name for p in (out / "checkpoint-4").glob("random_states_*")) == [
        "random_states_0.pkl", "random_states_1.pkl"]  # fmt: skip
    assert (out / "final" / "README.md").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--config", "no-such-recipe"], "unknown --config 'no-such-recipe'; recipes:"),
        pytest.param(
            ["--resume-from-checkpoint", "/nonexistent/checkpoint-5"],
            "is not a complete checkpoint folder",
            marks=pytest.mark.slow,
        ),  # these two measured 12-13 s on a loaded 2-core machine (the first case: 6 s)
        pytest.param(["--dataset", "absent-dataset"], "absent-dataset", marks=pytest.mark.slow),
    ],
)
def test_user_mistakes_are_one_line_errors(tiny_mnist, tmp_path, extra, message):
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(tmp_path / "o"), "--max-train-steps", "2"]
    done = run_vae([*args, *extra])
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_unwritable_output_dir_fails_before_training(tiny_mnist, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = run_vae([*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(blocker / "out")])
    assert done.returncode == 2 and "cannot write to --output-dir" in done.stderr
    assert "training vae-mnist" not in done.stdout


def test_recipe_for_another_script_is_refused():
    parser = engine.base_parser("t")
    add_flags(parser)
    with pytest.raises(engine.TrainingError, match="recipe 'vae-mnist' is for"):
        engine.parse_args(parser, ["--config", "vae-mnist"], script="gan")


def test_every_recipe_parses_with_its_script():
    import importlib

    for name in engine.recipe_names():
        recipe = engine.load_recipe(name)
        module = importlib.import_module(f"train.{recipe['script']}")
        parser = engine.base_parser("t")
        if hasattr(module, "add_flags"):
            module.add_flags(parser)
        args = engine.parse_args(parser, ["--config", name], script=recipe["script"])
        assert args.name == name or args.name, name


@pytest.mark.parametrize("name", engine.recipe_names())
def test_every_recipe_schedule_gives_the_engine_learning_rate_at_every_step(name):
    """make_scheduler (diffusers' schedule where it matches) gives each recipe exactly the LR it was trained with."""
    from types import SimpleNamespace

    recipe = {"lr_scheduler": "constant", "lr_warmup_steps": 0, "decay_start": 0.5, **engine.load_recipe(name)}
    args = SimpleNamespace(**{k: recipe[k] for k in ("lr_scheduler", "lr_warmup_steps", "decay_start")})
    total = 1000
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2e-4)
    scheduler = engine.make_scheduler(args, optimizer, total)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR)  # the class old checkpoints hold the state of
    factor = engine.lr_lambda(args, total)
    for step in range(total + 2):
        assert scheduler.get_last_lr()[0] == 2e-4 * factor(step), step
        if args.lr_warmup_steps and step < args.lr_warmup_steps:
            assert factor(step) == (step + 1) / args.lr_warmup_steps
        optimizer.step()
        scheduler.step()


def test_lr_schedules():
    from types import SimpleNamespace

    args = SimpleNamespace(lr_warmup_steps=0, lr_scheduler="constant_then_linear", decay_start=0.5)
    factor = engine.lr_lambda(args, 100)
    assert factor(0) == 1.0 and factor(49) == 1.0 and factor(75) == pytest.approx(0.5) and factor(100) == 0.0
    args.lr_scheduler = "cosine"
    assert engine.lr_lambda(args, 100)(50) == pytest.approx(0.5)


def test_card_command_omits_resume_flags():
    argv = ["--config", "vae-mnist", "--resume-from-checkpoint", "latest", "--seed", "1"]
    assert engine.reproducible_argv(argv) == ["--config", "vae-mnist", "--seed", "1"]
    assert engine.reproducible_argv(["--resume-from-checkpoint=latest"]) == []
    driven = ["--no-eval", "--config", "x", "--publish", "mirror", "--publish=none", "--eval-limit", "2"]
    assert engine.reproducible_argv(driven) == ["--config", "x", "--eval-limit", "2"]


def test_tensorboard_logging_and_publish_from_a_run(tiny_mnist, tmp_path, isolated_zoo, monkeypatch):
    import zoo

    out = tmp_path / "run"
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "4",
            "--logging-steps", "2", "--logger", "tensorboard", "--publish", "mirror"]  # fmt: skip
    assert engine.main(VAETask, "vae", "test", add_flags, args) == 0
    assert list((out / "logs").rglob("events.out.tfevents.*"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pipe = zoo.load("vae-mnist")
    assert pipe.source == "mirror" and zoo.list_models("vae")[0].metrics["mnist test ELBO"] < 0


def test_bf16_mixed_precision_runs_on_cpu(tiny_mnist, tmp_path):
    out = tmp_path / "bf16"
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "2",
            "--mixed-precision", "bf16", "--no-eval"]  # fmt: skip
    assert engine.main(VAETask, "vae", "test", add_flags, args) == 0
    assert all(torch.isfinite(t).all() for t in final_weights(out).values())


def test_eval_only_rebuilds_the_card_of_a_finished_run(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    base = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "2"]
    assert engine.main(VAETask, "vae", "test", add_flags, [*base, "--no-eval"]) == 0
    assert "Evaluation skipped" in (out / "final" / "README.md").read_text()
    weights = (out / "final" / "model" / "diffusion_pytorch_model.safetensors").read_bytes()
    assert engine.main(VAETask, "vae", "test", add_flags, [*base, "--eval-only"]) == 0
    card = (out / "final" / "README.md").read_text()
    assert "| **this model** |" in card and "--max-train-steps 2" in card and "--eval-only" not in card
    assert (out / "final" / "model" / "diffusion_pytorch_model.safetensors").read_bytes() == weights


def test_eval_only_without_a_finished_run_is_a_clear_error(tiny_mnist, tmp_path):
    done = run_vae([*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(tmp_path / "none"), "--eval-only"])
    assert done.returncode == 2 and "--eval-only needs a finished run" in done.stderr


def test_eval_only_from_published_rebuilds_the_run_from_the_mirror(tiny_mnist, tmp_path, isolated_zoo):
    """outputs/ is not kept between machines: --eval-only --from-published starts from the published folder, and
    the rebuilt card keeps the training facts, the sample images and a later tool's section (float16 weights)."""
    from zoo.halving import CARD_BEGIN, CARD_END

    out = tmp_path / "run"
    base = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "2"]
    assert engine.main(VAETask, "vae", "test", add_flags, [*base, "--publish", "mirror"]) == 0
    published = isolated_zoo.mirror / "imagezoo" / "vae-mnist"
    card = published / "README.md"
    section = (
        f"{CARD_BEGIN}\n## Weights in float16\n\nThe evaluation tables above are the float32 measurements.\n{CARD_END}"
    )
    card.write_text(card.read_text() + "\n" + section + "\n")
    before = card.read_text()
    shutil.rmtree(out)
    again = [*base, "--eval-only", "--publish", "mirror"]
    assert engine.main(VAETask, "vae", "test", add_flags, again) == 2  # no run and no --from-published: refused
    assert engine.main(VAETask, "vae", "test", add_flags, [*again, "--from-published"]) == 0
    after = card.read_text()
    for row in ("| command |", "| steps | 2 |", "| training time |", "| git commit |", "| data |"):
        assert [line for line in after.splitlines() if line.startswith(row)] == [
            line for line in before.splitlines() if line.startswith(row)
        ], row
    assert after.count("![") == before.count("![") and "| **this model** |" in after
    assert after.count(CARD_BEGIN) == 1 and "measured again with the float16 weights" in after
    assert "float32 measurements" not in after and "--from-published" not in after


def test_keep_best_tracks_the_highest_score_and_survives_a_resume(tmp_path):
    task = engine.Task(args=None, nets={"net": torch.nn.Linear(2, 1)})
    best = engine.BestWeights(tmp_path, "val_psnr", start_step=0)
    weights = {}
    for step, score in [(1, 20.0), (2, 22.0), (3, 21.0)]:
        with torch.no_grad():
            task.nets["net"].weight.fill_(step)
        weights[step] = task.nets["net"].weight.clone()
        best.offer(task, step, {"val_psnr": score, "val_gain": 0.0})
    assert best.record == {"metric": "val_psnr", "value": 22.0, "step": 2}
    with pytest.raises(engine.TrainingError, match="reports val_gain"):
        best.offer(task, 4, {"val_gain": 1.0})
    # Resuming at step 3 keeps the step-2 record; resuming at step 1 (before it) or a fresh run drops it.
    assert engine.BestWeights(tmp_path, "val_psnr", start_step=3).record["step"] == 2
    assert engine.BestWeights(tmp_path, "val_psnr", start_step=1).record is None
    assert not (tmp_path / "best").exists()
    best.offer(task, 3, {"val_psnr": 21.0})
    assert engine.BestWeights(tmp_path, "val_psnr", start_step=0).record is None
    best = engine.BestWeights(tmp_path, "val_psnr", start_step=0)
    best.offer(task, 3, {"val_psnr": 21.0})
    with torch.no_grad():
        task.nets["net"].weight.zero_()
    assert best.restore(task)["step"] == 3
    torch.testing.assert_close(task.nets["net"].weight, weights[3])


def test_keep_best_floor_bars_steps_below_it_and_names_itself(tmp_path):
    task = engine.Task(args=None, nets={"net": torch.nn.Linear(2, 1)})
    floors = engine.parse_floors(["val_colour=0.7"], "val_psnr")
    assert floors == {"val_colour": 0.7}
    best = engine.BestWeights(tmp_path, "val_psnr", 0, floors)
    # The highest PSNR (step 1) is a near-gray step: the floor keeps it out; step 3 beats step 2 among the rest.
    for step, psnr, colour in [(1, 23.0, 0.5), (2, 21.0, 0.8), (3, 22.0, 0.7), (4, 22.5, 0.69)]:
        best.offer(task, step, {"val_psnr": psnr, "val_colour": colour})
    assert best.record == {"metric": "val_psnr", "value": 22.0, "step": 3, "floors": {"val_colour": 0.7}}
    assert engine.describe_selection(best.record, 10) == (
        "step 3 of 10 (highest val_psnr among steps with val_colour >= 0.7: 22)"
    )
    # A resumed run keeps the record only under the same floors.
    assert engine.BestWeights(tmp_path, "val_psnr", 4, floors).record["step"] == 3
    assert engine.BestWeights(tmp_path, "val_psnr", 4, {"val_colour": 0.9}).record is None
    with pytest.raises(engine.TrainingError, match="--keep-best-floor val_colour: the validation reports val_psnr"):
        engine.BestWeights(tmp_path, "val_psnr", 0, floors).offer(task, 1, {"val_psnr": 20.0})


def test_keep_best_floor_that_no_step_meets_is_a_clear_error(tmp_path):
    task = engine.Task(args=None, nets={"net": torch.nn.Linear(2, 1)})
    best = engine.BestWeights(tmp_path, "val_psnr", 0, {"val_colour": 0.7})
    best.offer(task, 1, {"val_psnr": 23.0, "val_colour": 0.4})
    best.offer(task, 2, {"val_psnr": 22.0, "val_colour": 0.55})
    with pytest.raises(engine.TrainingError, match=r"val_colour reached at most 0\.55 \(floor 0\.7\)"):
        best.restore(task)


@pytest.mark.parametrize(
    "items, metric, message",
    [
        (["val_colour"], "val_psnr", "expected METRIC=MIN"),
        (["val_colour=high"], "val_psnr", "expected METRIC=MIN"),
        (["=0.5"], "val_psnr", "expected METRIC=MIN"),
        (["val_colour=0.7"], None, "needs --keep-best"),
    ],
)
def test_malformed_keep_best_floor_is_a_clear_error(items, metric, message):
    with pytest.raises(engine.TrainingError, match=message):
        engine.parse_floors(items, metric)


@pytest.mark.parametrize(
    ("victim", "damage"),
    [
        ("random_states_0.pkl", "truncate"),
        ("random_states_0.pkl", "flip"),
        ("model.safetensors", "flip"),
        ("optimizer.bin", "delete"),
        ("planted.pkl", "add"),
    ],
)
def test_resume_refuses_a_tampered_checkpoint_with_one_line(tiny_mnist, tmp_path, capsys, victim, damage):
    out = tmp_path / "run"
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "3",
            "--checkpointing-steps", "3", "--no-eval"]  # fmt: skip
    assert engine.main(VAETask, "vae", "test", add_flags, args) == 0
    checkpoint = out / "checkpoint-3"
    target = checkpoint / victim
    if damage == "add":
        target.write_bytes(b"not part of the checkpoint")
    else:
        assert target.is_file(), sorted(p.name for p in checkpoint.iterdir())
        data = bytearray(target.read_bytes())
        if damage == "truncate":
            target.write_bytes(bytes(data[: len(data) // 2]))
        elif damage == "flip":
            data[len(data) // 2] ^= 0xFF
            target.write_bytes(bytes(data))
        else:
            target.unlink()
    capsys.readouterr()
    resumed = [*args[:-1], "--max-train-steps", "6", "--no-eval", "--resume-from-checkpoint", "latest"]
    assert engine.main(VAETask, "vae", "test", add_flags, resumed) != 0
    err = capsys.readouterr().err.strip()
    assert f"cannot resume from {checkpoint}" in err and victim in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert not (out / "checkpoint-6").exists()


def test_a_full_disk_during_a_checkpoint_is_one_line(tiny_mnist, tmp_path, capsys, monkeypatch):
    import errno

    import train.checkpointing as checkpointing

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "run"
    args = [*TINY, "--data-dir", str(tiny_mnist), "--output-dir", str(out), "--max-train-steps", "4",
            "--checkpointing-steps", "2", "--no-eval"]  # fmt: skip
    real = checkpointing.file_hashes
    calls = []

    def hashes_then_full(folder):  # the first checkpoint is written, the second hits a full disk
        calls.append(folder)
        if len(calls) > 1:
            full_disk()
        return real(folder)

    monkeypatch.setattr(checkpointing, "file_hashes", hashes_then_full)
    assert engine.main(VAETask, "vae", "test", add_flags, args) == 2
    err = capsys.readouterr().err
    errors = [line[line.index("error:") :] for line in err.splitlines() if "error:" in line]  # after tqdm's \r
    assert len(errors) == 1 and "Traceback" not in err, err
    assert "cannot write checkpoint-4" in errors[0] and "No space left on device" in errors[0]
    assert [p.name for p in engine.list_checkpoints(out)] == ["checkpoint-2"]
    assert not (out / "checkpoint-4.tmp").exists()
