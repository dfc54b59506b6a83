"""Snapshot of everything the evaluation package renders, to check a refactor changes no byte (issue #23, item 3).

For every published checkpoint in ``mirror/imagezoo/*`` it runs ``zoo.protocols.evaluate(pipe, limit=LIMIT,
folder=...)`` and renders the model card the way ``train/engine.py``'s ``evaluate_and_card`` does (``render_card``),
with the card's description, licence, datasets, tags and training facts read back from the published card, so the
output is comparable with ``mirror/imagezoo/<name>/README.md`` (``--limit 0``: the full protocol). It also runs the
real-world protocols (no published checkpoint has them) on ``denoise-color`` / ``superres-x4`` under another name,
renders BENCHMARKS.md from ``benchmarks/results.json`` (``tools.bench.markdown``, no timing) and the float16 card
section (``zoo.halving.card_section``) of a fixed result.

Written per model into OUT/<name>/: ``README.md`` (the card), ``records.json``, and the figures and HTML page the
protocol saved. Run it before and after a change and ``diff -r`` the two folders.

Made deterministic and quick: ``time.perf_counter`` is a fake clock (+0.25 s per call), so timings are the same on
every run; BM3D runs in-process (``BM3D_WORKERS = 1``) and, except for the models named by ``--real-bm3d``, as a cheap
deterministic stand-in (a 3x3 box filter); ``ZOO_OUTPUTS`` points at an empty folder (no training-run baselines);
one torch thread.

    PYTHONPATH=. nice -n 5 .venv/bin/python tools/probes/report_snapshot.py /tmp/eval-before
    PYTHONPATH=. .venv/bin/python tools/probes/report_snapshot.py /tmp/full --limit 0 --models superres-mnist
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HUB = REPO / "mirror" / "imagezoo"
TRAINING_FIELDS = (
    "command",
    "recipe",
    "data",
    "seed",
    "steps",
    "weights",
    "train_time",
    "hardware",
    "git_commit",
    "versions",
)  # the card template's training fields
DIGIT_PROTOCOLS = {"autoencoder", "denoise-digits", "superres-digits", "vae", "gan", "gan-toy", "classify"}


def fake_clock() -> None:
    ticks = itertools.count()
    time.perf_counter = lambda: next(ticks) * 0.25


def fake_bm3d() -> None:
    """BM3D / CBM3D replaced by a 3x3 box filter (same shapes and dtypes): the peer's code paths, in milliseconds."""
    import bm3d
    import numpy as np

    def box(image, sigma, *args, **kwargs):
        image = np.asarray(image, dtype=np.float64)
        padded = np.pad(image, [(1, 1), (1, 1)] + [(0, 0)] * (image.ndim - 2), mode="edge")
        out = sum(padded[y : y + image.shape[0], x : x + image.shape[1]] for y in range(3) for x in range(3)) / 9
        return out.astype(np.float32)

    bm3d.bm3d = bm3d.bm3d_rgb = box


def published_card(name: str) -> dict:
    """What the published card says that the evaluation does not produce: metadata, description, training facts,
    the training-time figures and the float16 section."""
    from huggingface_hub import ModelCard

    from train.finish import card_training_facts
    from zoo.halving import _CARD_SECTION

    text = (HUB / name / "README.md").read_text(encoding="utf-8")
    meta = ModelCard(text).data.to_dict()
    description = text.split(f"\n# {name}\n\n", 1)[1].split("\n\nPart of the **image-to-image", 1)[0]
    facts = card_training_facts(text)  # the training table and sample images, read as --eval-only reads them
    training = {**facts["training"], **({"data": facts["card_info"]["data"]} if "data" in facts["card_info"] else {})}
    if versions := re.search(r"^\| library versions \| (.*) \|$", text, re.M):
        training["versions"] = versions.group(1)
    images = facts["images"]
    half = _CARD_SECTION.search(text)
    return {
        "meta": meta,
        "description": description,
        "training": training,
        "images": images,
        "half": half.group(0).strip("\n") if half else None,
    }


def card_text(pipe, name: str, records, notes: str, eval_images: list, full: bool) -> str:
    from zoo.cards import render_card

    card = published_card(name)
    meta = card["meta"]
    tags = [t for t in meta.get("tags", []) if t not in {"image-zoo", pipe.task, "safetensors"}]
    evaluated = {image["path"] for image in eval_images}
    images = [image for image in card["images"] if image["path"] not in evaluated] + eval_images
    training = card["training"] if full else {key: "snapshot" for key in TRAINING_FIELDS}
    rendered = render_card(
        name=name,
        task=pipe.task,
        description=card["description"],
        license=meta["license"],
        datasets=meta["datasets"],
        records=records,
        training=training,
        images=images,
        notes=notes,
        tags=tags,
    )
    with tempfile.TemporaryDirectory() as tmp:  # ModelCard.save: the same bytes engine.py writes
        rendered.save(str(Path(tmp) / "README.md"))
        text = (Path(tmp) / "README.md").read_text(encoding="utf-8")
    if full and card["half"]:
        text = f"{text.rstrip(chr(10))}\n\n{card['half']}\n"
    return text


def write_result(out: Path, name: str, pipe, result, full: bool) -> None:
    from zoo.cards import records_to_json

    records, notes, images = result
    (out / name / "README.md").write_text(card_text(pipe, name, records, notes, images, full), encoding="utf-8")
    (out / name / "records.json").write_text(json.dumps(records_to_json(records), indent=1) + "\n", encoding="utf-8")


def snapshot_model(out: Path, name: str, limit: int | None) -> None:
    import zoo
    from zoo.protocols import evaluate

    (out / name).mkdir(parents=True, exist_ok=True)
    pipe = zoo.load(name)
    if limit is not None and (pipe.options.get("protocol") or pipe.task) in DIGIT_PROTOCOLS:
        limit = max(limit, 8)  # the 28x28 figures show 8 items
    write_result(out, name, pipe, evaluate(pipe, limit=limit, folder=out / name), full=limit is None)


def snapshot_realworld(out: Path, limit: int | None) -> None:
    """denoise-real / superres-real on published models renamed (so the synthetic peers are shown beside them)."""
    import zoo
    import zoo.protocols.realworld as realworld
    from zoo.cards import eval_table, records_to_json

    realworld.REAL_SETS = ("kodak24", "cbsd68")  # sun_hays80's 1024x768 photos cost minutes here
    for label, model, protocol in (
        ("realworld-denoise", "denoise-color", realworld.evaluate_denoise_real),
        ("realworld-superres", "superres-x4", realworld.evaluate_superres_real),
    ):
        (out / label).mkdir(parents=True, exist_ok=True)
        pipe = zoo.load(model)
        pipe.name = label
        records, notes, images = protocol(pipe, limit=limit, folder=out / label)
        text = f"{eval_table(records)}\n\n{notes}\n\n{json.dumps(images)}\n"
        (out / label / "report.md").write_text(text, encoding="utf-8")
        (out / label / "records.json").write_text(json.dumps(records_to_json(records), indent=1) + "\n")


def snapshot_tables(out: Path) -> None:
    """BENCHMARKS.md from the stored results, and the float16 card section of a fixed result."""
    from tools.bench import markdown
    from zoo.halving import Halving, card_section

    results = json.loads((REPO / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    (out / "BENCHMARKS.md").write_text(markdown(results, "python -m tools.bench"), encoding="utf-8")
    result = Halving(
        folder=Path("x"),
        name="x",
        status="halved",
        changes={"PSNR": 0.00036, "SSIM": 8e-07, "classifier-FID": 0.5},
        tolerances={"PSNR": 0.05, "SSIM": 0.002, "classifier-FID": 1.0},
        ignored=["seconds per image"],
        compared=3,
        bytes_before=77_100,
        bytes_after=38_900,
        golden_change=0.00032,
    )
    (out / "halving_section.md").write_text(card_section(result, "python -m zoo.mirror half x") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--limit", type=int, default=2, help="test items per set, at least 8 for 28x28 models (0: the full protocol)"
    )
    parser.add_argument("--models", help="comma-separated published names (default: all, plus the extras)")
    parser.add_argument("--real-bm3d", default="denoise-gray", help="models whose BM3D peer really runs")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    os.environ["ZOO_OUTPUTS"] = tempfile.mkdtemp(prefix="no-outputs-")
    fake_clock()
    import zoo.protocols.realworld as realworld
    import zoo.protocols.restoration as restoration

    restoration.BM3D_WORKERS = realworld.BM3D_WORKERS = 1
    limit = args.limit or None
    names = args.models.split(",") if args.models else sorted(p.name for p in HUB.iterdir() if p.is_dir())
    real = set(args.real_bm3d.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    import bm3d

    real_functions = bm3d.bm3d, bm3d.bm3d_rgb
    for name in names:
        started = time.monotonic()
        bm3d.bm3d, bm3d.bm3d_rgb = real_functions
        if name not in real:
            fake_bm3d()
        snapshot_model(args.out, name, limit)
        print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    if not args.models:
        started = time.monotonic()
        fake_bm3d()
        snapshot_realworld(args.out, 1 if limit else None)
        snapshot_tables(args.out)
        print(f"realworld + tables: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
