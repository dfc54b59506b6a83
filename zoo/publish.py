"""Publish a trained checkpoint folder: validate it, then write it into the local mirror and/or upload it to the Hub.

    python -m zoo.publish outputs/vae-mnist/final --name vae-mnist --to mirror
    python -m zoo.publish outputs/vae-mnist/final --name vae-mnist --to hub --create-pr

Validation: ``pipeline.json`` + every network's ``config.json`` and safetensors load strictly; the model card's
metadata is complete (licence, library, tags, datasets, pipeline tag, model-index); the reloaded checkpoint reproduces
its stored golden output. Only the files in ``zoo.hub.PUBLISH_PATTERNS`` are ever copied or uploaded (never
``checkpoint-*`` training states, optimizer files or pickles), from a staging copy whose card images are compacted to
the mirror's budget (``zoo.mirror``: large PNGs become WebP, the card's links follow; the training folder is left as
it is). The catalog entry's file hashes and metrics are updated; ``--to hub`` pins the commit the Hub returned as the
entry's revision (``zoo.load`` downloads exactly that commit), and a mirror-only publish that changes the files of a
pinned entry unpins it (revision "main") until it is uploaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from zoo import registry
from zoo.cards import card_metrics, check_card
from zoo.errors import CheckpointError, PublishError, ZooError
from zoo.hub import file_hashes, publish_to_hub, publish_to_mirror, write_manifest
from zoo.mirror import budget_problems, stage_for_publish


@dataclass
class Validated:
    folder: Path
    task: str
    metrics: dict[str, float]
    golden_diff: float


def validate(folder: str | Path, task: str | None = None) -> Validated:
    """Check a checkpoint folder is complete and reproduces its golden output; raises ``PublishError``."""
    from zoo.pipelines import load_pipeline

    folder = Path(folder)
    if not folder.is_dir():
        raise PublishError(f"{folder} is not a folder")
    try:
        pipe = load_pipeline(folder)
        diff = pipe.check_golden(folder)
    except CheckpointError as error:
        raise PublishError(f"validation failed: {error}") from error
    if task is not None and pipe.task != task:
        raise PublishError(f"{folder} holds a {pipe.task!r} checkpoint, but the catalog entry is for {task!r}")
    meta = check_card(folder / "README.md")
    return Validated(folder=folder, task=pipe.task, metrics=card_metrics(meta), golden_diff=diff)


def publish(
    folder: str | Path,
    name: str,
    *,
    to: tuple[str, ...] = ("mirror",),
    create_pr: bool = False,
    endpoint: str | None = None,
    token: str | None = None,
    repo_id: str | None = None,
) -> dict[str, str]:
    """Validate ``folder`` and publish it as catalog entry ``name`` (or an explicit ``repo_id``)."""
    entry = registry.get_entry(name)
    if entry is None and repo_id is None:
        raise PublishError(f"{name!r} is not in the catalog; add it to zoo/catalog.json or pass repo_id")
    checked = validate(folder, entry.task if entry else None)
    repo_id = repo_id or entry.repo_id
    done: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="zoo-publish-") as tmp:
        staged, _ = stage_for_publish(checked.folder, Path(tmp) / "repo")
        for problem in budget_problems(staged):
            print(f"warning: {name} is over the mirror's per-checkpoint budget: {problem}", file=sys.stderr)
        write_manifest(staged)  # checksums.json travels with the weights: loading the folder by path checks it
        hashes = file_hashes(staged)
        pinned = False
        if "hub" in to:
            commit, pr_url = publish_to_hub(staged, repo_id, endpoint=endpoint, token=token, create_pr=create_pr)
            done["hub"] = pr_url or commit
            if entry is not None and not create_pr:
                registry.update_entry(entry.name, revision=commit, files=hashes, metrics=checked.metrics)
                pinned = True
        if "mirror" in to:
            done["mirror"] = str(publish_to_mirror(staged, repo_id))
            if entry is not None and not pinned:
                current = registry.get_entry(entry.name)
                fields = {"files": hashes, "metrics": checked.metrics}
                if current.revision != "main" and current.files != hashes:
                    fields["revision"] = "main"  # the pinned Hub commit does not hold these files
                registry.update_entry(entry.name, **fields)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.publish", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the trained checkpoint folder (a training run's output-dir/final)")
    parser.add_argument("--name", required=True, help="catalog name, e.g. vae-mnist")
    parser.add_argument("--to", default="mirror", help="comma-separated targets: mirror, hub (default: mirror)")
    parser.add_argument("--create-pr", action="store_true", help="open a pull request on the Hub instead of pushing")
    parser.add_argument("--repo-id", help="publish under another Hub repo id than the catalog's")
    parser.add_argument("--endpoint", help="Hub endpoint (default: $HF_ENDPOINT or huggingface.co)")
    args = parser.parse_args(argv)
    targets = tuple(t.strip() for t in args.to.split(",") if t.strip())
    if not targets or set(targets) - {"mirror", "hub"}:
        parser.error(f"--to takes mirror and/or hub, got {args.to!r}")
    try:
        done = publish(
            args.folder, args.name, to=targets, create_pr=args.create_pr, endpoint=args.endpoint, repo_id=args.repo_id
        )
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for target, where in done.items():
        print(f"published {args.name} to {target}: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
