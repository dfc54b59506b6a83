"""Finishing a run: ``save_pretrained`` + golden output + samples + loss plot + evaluation + model card (+ publishing),
and --eval-only, which redoes the evaluation and card of a finished run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import torch

from train.checkpointing import describe_selection
from train.task import Task, TrainingError, unwrap

REPO_ROOT = Path(__file__).resolve().parent.parent  # the checkout (for the git commit on the card)
TRAINING_FILE = "training.json"


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


# flag -> number of values
DRIVING_FLAGS = {"--resume-from-checkpoint": 1, "--publish": 1, "--no-eval": 0, "--from-published": 0}


def reproducible_argv(argv: list[str]) -> list[str]:
    """The command line minus flags that only say how this run was driven (resuming, skipping the evaluation,
    publishing), for the card."""
    kept, skip = [], 0
    for token in argv:
        if skip:
            skip -= 1
            continue
        if token in DRIVING_FLAGS:
            skip = DRIVING_FLAGS[token]
            continue
        if token.split("=", 1)[0] in DRIVING_FLAGS:
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
    from zoo.hub import write_manifest
    from zoo.pipelines import load_pipeline

    pipe = load_pipeline(final, name=args.name)
    pipe.write_golden(final)
    write_manifest(final)  # checksums.json: zoo.load(final) refuses the folder if a weight or config changes
    images = []
    (final / "images").mkdir(exist_ok=True)
    grid = task.samples(nets)
    if grid is not None:
        grid.save(final / "images" / "samples.png")
        images.append({"alt": "samples", "path": "images/samples.png"})
    if history:
        loss_plot(history).save(final / "images" / "losses.png")
        images.append({"alt": "training curves", "path": "images/losses.png"})
    for filename, caption, figure in task.figures(history):
        figure.save(final / "images" / filename)
        images.append({"alt": caption, "path": f"images/{filename}"})
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
    # Each image once, in its first place (a card rebuilt from a published one lists the evaluation's images already).
    images = list({image["path"]: image for image in [*images, *getattr(task, "extra_images", [])]}.values())
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
    old_card = (final / "README.md").read_text(encoding="utf-8") if (final / "README.md").is_file() else ""
    card.save(str(final / "README.md"))
    carry_card_sections(old_card, final / "README.md")
    say(f"final model: {final}")
    if args.publish != "none":
        from zoo.publish import publish

        where = publish(final, args.name, to=(args.publish,), repo_id=args.hub_model_id)
        say(f"published: {where}")


def apply_decoding(final: Path, options: dict[str, Any]) -> None:
    """Set decoding ``options`` in ``final``'s pipeline.json, then rewrite its golden output and checksums."""
    from zoo.hub import write_manifest
    from zoo.pipelines import load_pipeline
    from zoo.pipelines.base import PIPELINE_FILE

    config_path = final / PIPELINE_FILE
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["options"] = {**config.get("options", {}), **options}
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (final / "checksums.json").unlink(missing_ok=True)  # the old manifest would refuse the edited config
    load_pipeline(final).write_golden(final)
    write_manifest(final)


def evaluate_only(task: Task) -> Path:
    """--eval-only: re-run the protocol and rebuild the card of an existing ``final/`` (e.g. once a baseline the
    card compares with has been trained), keeping the training facts recorded when the run finished."""
    from zoo.pipelines import load_pipeline

    args = task.args
    output_dir = Path(args.output_dir)
    final, recorded = output_dir / "final", output_dir / TRAINING_FILE
    if not (final / "pipeline.json").is_file() or not recorded.is_file():
        asked = getattr(args, "from_published", False)
        published = published_folder(args.name) if asked else None
        if published is None:
            also = "" if asked else "; --from-published starts from the mirror's copy"
            raise TrainingError(f"--eval-only needs a finished run in {output_dir} (final/ and {TRAINING_FILE}){also}")
        run_from_published(published, output_dir)
        print(f"{output_dir}: rebuilt from the published {published} (weights, card facts)")
    state = json.loads(recorded.read_text(encoding="utf-8"))
    pipe = load_pipeline(final, name=args.name)
    changed = {key: value for key, value in task.decoding().items() if pipe.options.get(key) != value}
    if changed:
        apply_decoding(final, changed)
        pipe = load_pipeline(final, name=args.name)
        print(f"decoding options now {changed} (pipeline.json, golden output and checksums rewritten)")
    # Runs recorded before card_info was kept fall back to asking the task, which then must not need build().
    evaluate_and_card(task, pipe, final, state["training"], state["images"], card_info=state.get("card_info"))
    return final


# ------------------------------------------------------------------ --eval-only of a published model (no outputs/)
# The training table's labels on the card (model_cards/template.md) -> the training facts' keys.
CARD_TRAINING_ROWS = {
    "command": "command",
    "recipe": "recipe",
    "data": "data",
    "seed": "seed",
    "steps": "steps",
    "published weights": "weights",
    "training time": "train_time",
    "hardware": "hardware",
    "git commit": "git_commit",
}
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)\)\s*$")


def published_folder(name: str | None) -> Path | None:
    """The mirror folder of catalog entry ``name`` when it is published there, else None."""
    from zoo.hub import mirror_folder
    from zoo.registry import get_entry

    entry = get_entry(name) if name else None
    folder = mirror_folder(entry.repo_id) if entry else None
    return folder if folder is not None and (folder / "pipeline.json").is_file() else None


def card_training_facts(card_text: str) -> dict[str, Any]:
    """What a published card says about its training: ``{"training", "images", "card_info"}`` as ``training.json``
    holds them (the training table, the sample images, the card's data line and tags), so --eval-only can rebuild
    the card of a model whose run folder is gone (runs live in outputs/, which a fresh checkout lacks)."""
    from huggingface_hub import ModelCard

    training: dict[str, Any] = {}
    images: list[dict[str, str]] = []
    section = ""
    for line in card_text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if section == "Samples" and (image := _IMAGE.match(line.strip())):
            images.append({"alt": image["alt"], "path": image["path"]})
        elif section == "Training" and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|", 1)]
            key = CARD_TRAINING_ROWS.get(cells[0]) if len(cells) == 2 else None
            if key:
                value: Any = cells[1].strip("`")
                training[key] = int(value) if key in ("seed", "steps") and value.isdigit() else value
    if "command" not in training:
        raise TrainingError("the published card has no training table to rebuild the run from")
    card_info: dict[str, Any] = {"tags": list(ModelCard(card_text).data.tags or [])}
    if "data" in training:
        card_info["data"] = training.pop("data")
    return {"training": training, "images": images, "card_info": card_info}


def run_from_published(published: Path, output_dir: Path) -> None:
    """Rebuild a finished run folder (``final/`` and ``training.json``) from a published checkpoint folder."""
    from zoo.cards import write_json

    facts = card_training_facts((published / "README.md").read_text(encoding="utf-8"))
    final = output_dir / "final"
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(published, final)
    write_json(output_dir / TRAINING_FILE, facts)


def carry_card_sections(old_card: str, new_card: Path) -> None:
    """Keep the sections a later tool added to the card (``zoo.mirror half``'s "Weights in float16") when the card
    is rebuilt: the weights they describe did not change. The tables above them are now measured with the weights
    as stored, so the section's sentence about float32 measurements is updated."""
    from zoo.halving import _CARD_SECTION, put_card_section

    found = _CARD_SECTION.search(old_card)
    if found:
        section = (
            found.group(0)
            .strip("\n")
            .replace(
                "The evaluation tables above are the float32 measurements.",
                "The evaluation tables above were measured again with the float16 weights (--eval-only).",
            )
        )
        put_card_section(new_card, section)
