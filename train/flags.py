"""The flags every training script shares and the named recipes (train/configs/*.json) that set them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from train.task import TrainingError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


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
    p.add_argument(
        "--from-published",
        action="store_true",
        help="with --eval-only: when the run folder is gone (outputs/ is not kept), rebuild it from the catalog "
        "entry's mirror folder (its weights and its card's training facts) first",
    )
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
        known = set(vars(first))  # every flag's destination (parse_known_args fills in each default)
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
