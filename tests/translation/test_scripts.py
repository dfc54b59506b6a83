"""Smoke runs of train/pix2pix.py and train/cyclegan.py on tiny generated data: a loadable checkpoint, a card with the
protocol's records, figures and the HTML page; the recipes parse; the image pool survives a resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image
from safetensors.torch import load_file

import zoo
from train import engine
from train import pix2pix as p2p
from train.cyclegan import CycleGANTask
from train.cyclegan import add_flags as cyclegan_flags
from zoo.publish import validate

RECIPES = {
    "pix2pix": ["pix2pix-facades", "pix2pix-facades-l1", "pix2pix-maps", "pix2pix-maps-l1-upsampling",
                "pix2pix-maps-l1-transpose", "pix2pix-maps-l1-unet", "pix2pix-shapes"],
    "cyclegan": ["cyclegan-shapes", "cyclegan-facades"],
}  # fmt: skip
TINY_P2P = ["--resolution", "32", "--ngf", "4", "--ndf", "4", "--num-downs", "5", "--logger", "none",
            "--train-batch-size", "2", "--max-train-steps", "2", "--checkpointing-steps", "2"]  # fmt: skip
TINY_CYCLE = ["--resolution", "32", "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--logger", "none",
              "--train-batch-size", "2", "--pool-size", "3"]  # fmt: skip


def records(output_dir: Path) -> list[dict]:
    return json.loads((output_dir / "eval_results.json").read_text())


def keys(rows: list[dict]) -> set[tuple[str, str | None, str]]:
    return {(row["method"], row["config"], row["metric"]) for row in rows}


@pytest.mark.parametrize(("script", "name"), [(s, n) for s, names in RECIPES.items() for n in names])
def test_recipes_parse_and_fit_the_checkpoint_budget(script, name):
    add_flags = p2p.add_flags if script == "pix2pix" else cyclegan_flags
    parser = engine.base_parser("test")
    add_flags(parser)
    args = engine.parse_args(parser, ["--config", name], script)
    assert args.name == name and args.output_dir == f"outputs/{name}" and args.save_dtype == "fp16"
    assert (args.learning_rate, args.adam_beta1, args.lr_scheduler) == (2e-4, 0.5, "constant_then_linear")
    task = (p2p.Pix2PixTask if script == "pix2pix" else CycleGANTask)(args)
    task.build()
    published = ["G"] if script == "pix2pix" else ["G_AB", "G_BA"]
    params = sum(p.numel() for key in published for p in task.nets[key].parameters())
    assert params * 2 < 30e6  # fp16 bytes: every published checkpoint stays under ~30 MB


def test_pix2pix_shapes_smoke_run(tmp_path):
    out = tmp_path / "p2p-shapes"
    argv = ["--config", "pix2pix-shapes", *TINY_P2P, "--synthetic-count", "8", "--eval-limit", "6",
            "--output-dir", str(out)]  # fmt: skip
    assert engine.main(p2p.Pix2PixTask, "pix2pix", "test", p2p.add_flags, argv) == 0
    pipe = zoo.load(out / "final")
    assert pipe.task == "pix2pix" and pipe.options["protocol"] == "pix2pix-shapes"
    assert pipe(Image.new("RGB", (50, 70), "white")).size == (50, 70)
    checked = validate(out / "final", task="pix2pix")
    assert {"shapes test mask IoU", "shapes test shape colour accuracy", "shapes test PSNR"} <= set(checked.metrics)
    assert {(m, metric) for m, _, metric in keys(records(out))} >= {
        ("this model", "mask IoU"), ("identity (input)", "mask IoU"), ("input shape, recoloured", "mask IoU"),
        ("this model", "background accuracy"),
    }  # fmt: skip
    card = (out / "final" / "README.md").read_text()
    assert "| **this model** |" in card and "python -m train.pix2pix" in card and "pix2pix-shapes.json" in card
    for figure in ("losses.png", "samples.png", "test_grid.png"):
        assert (out / "final" / "images" / figure).is_file()
    history = json.loads((out / "history.json").read_text())
    assert {"d_acc_real", "d_acc_fake", "g_gan", "g_l1"} <= set(history[-1])
    page = (out / "final" / "web" / "index.html").read_text()
    assert page.count("<tr>") == 1 + 6 and "<th>target</th>" in page


def test_pix2pix_folder_run_is_compared_with_its_l1_baseline(tiny_pairs, tmp_path):
    baseline = tmp_path / "l1"
    argv = ["--dataset", str(tiny_pairs), "--direction", "BtoA", *TINY_P2P, "--output-dir", str(baseline)]
    assert engine.main(p2p.Pix2PixTask, "pix2pix", "test", p2p.add_flags, [*argv, "--gan-weight", "0"]) == 0
    assert "D" not in json.loads((baseline / "final" / "pipeline.json").read_text())["components"]
    out = tmp_path / "gan"
    argv = ["--dataset", str(tiny_pairs), "--direction", "BtoA", *TINY_P2P, "--output-dir", str(out),
            "--baseline-dir", str(baseline / "final")]  # fmt: skip
    assert engine.main(p2p.Pix2PixTask, "pix2pix", "test", p2p.add_flags, argv) == 0
    rows = records(out)
    assert {row["dataset"] for row in rows} == {"tinypairs test"}
    for method in ("this model", "L1-only U-Net", "identity (input)"):
        assert {(method, None, metric) for metric in ("L1", "PSNR", "SSIM")} <= keys(rows)
    assert {("this model", None, "sharpness ratio"), ("L1-only U-Net", None, "sharpness ratio")} <= keys(rows)
    assert (out / "final" / "images" / "comparison_grid.png").is_file()
    page = (out / "final" / "web" / "index.html").read_text()
    assert page.count("<tr>") == 1 + 3 and "<th>L1-only U-Net</th>" in page
    assert len(list((out / "final" / "web" / "images").glob("*.jpg"))) == 3 * 4
    pipe = zoo.load(out / "final")
    assert pipe.options["direction"] == "BtoA" and pipe(Image.new("RGB", (33, 17))).size == (33, 17)
    # --eval-only rebuilds the card without build(): from the recorded card facts, and (a run recorded before they
    # were kept) from the flags alone.
    card = (out / "final" / "README.md").read_text()
    assert engine.main(p2p.Pix2PixTask, "pix2pix", "test", p2p.add_flags, [*argv, "--eval-only"]) == 0
    assert (out / "final" / "README.md").read_text() == card
    recorded = json.loads((out / "training.json").read_text())
    del recorded["card_info"]
    (out / "training.json").write_text(json.dumps(recorded))
    assert engine.main(p2p.Pix2PixTask, "pix2pix", "test", p2p.add_flags, [*argv, "--eval-only"]) == 0
    assert "PatchGAN (ndf 4)" in (out / "final" / "README.md").read_text()


class PoolRecordingTask(CycleGANTask):
    restored: ClassVar[dict[str, int]] = {}

    def load_state_tensors(self, tensors):
        super().load_state_tensors(tensors)
        PoolRecordingTask.restored = {domain: len(pool) for domain, pool in self.pools.items()}


@pytest.mark.slow
def test_cyclegan_shapes_smoke_run_and_resume_with_the_pool(tmp_path):
    out = tmp_path / "cg-shapes"
    argv = ["--config", "cyclegan-shapes", *TINY_CYCLE, "--synthetic-count", "8", "--max-train-steps", "4",
            "--checkpointing-steps", "2", "--eval-limit", "4", "--output-dir", str(out)]  # fmt: skip
    assert engine.main(PoolRecordingTask, "cyclegan", "test", cyclegan_flags, argv) == 0
    state = load_file(str(out / "checkpoint-4" / engine.TASK_STATE_FILE))
    assert state["pool_A.images"].shape == state["pool_B.images"].shape == (3, 3, 32, 32)
    pipe = zoo.load(out / "final")
    assert set(pipe.models) == {"AtoB", "BtoA"} and pipe.domains == ("violet circles", "green squares")
    checked = validate(out / "final", task="cyclegan")
    assert "shapes test circles->squares translation success" in checked.metrics
    rows = records(out)
    for config in ("circles->squares", "squares->circles"):
        for metric in ("cycle PSNR", "translation success", "shape IoU"):
            assert ("this model", config, metric) in keys(rows)
        assert ("identity (input)", config, "translation success") in keys(rows)
        assert ("input shape, recoloured", config, "shape IoU") in keys(rows)
    assert ("domain classifier", None, "classifier accuracy (real images)") in keys(rows)
    for figure in ("grid_AtoB.png", "grid_BtoA.png", "losses.png"):
        assert (out / "final" / "images" / figure).is_file()
    resumed = [*argv[:-4], "--max-train-steps", "6", "--no-eval", "--output-dir", str(out),
               "--resume-from-checkpoint", "latest"]  # fmt: skip
    assert engine.main(PoolRecordingTask, "cyclegan", "test", cyclegan_flags, resumed) == 0
    assert PoolRecordingTask.restored == {"A": 3, "B": 3}


def test_cyclegan_on_split_pairs_smoke_run(tiny_pairs, tmp_path):
    out = tmp_path / "cg-pairs"
    argv = ["--dataset", str(tiny_pairs), "--direction", "BtoA", *TINY_CYCLE, "--max-train-steps", "2",
            "--checkpointing-steps", "2", "--eval-limit", "3", "--output-dir", str(out)]  # fmt: skip
    assert engine.main(CycleGANTask, "cyclegan", "test", cyclegan_flags, argv) == 0
    rows = records(out)
    for config in ("A->B", "B->A"):
        for metric in ("cycle PSNR", "translation success", "PSNR vs true partner"):
            assert ("this model", config, metric) in keys(rows)
        assert ("identity (input)", config, "PSNR vs true partner") in keys(rows)
    assert {row["dataset"] for row in rows} == {"tinypairs test"}
    assert (out / "final" / "web" / "index.html").is_file()
    assert zoo.load(out / "final")(Image.new("RGB", (30, 20)), direction="BtoA").size == (30, 20)
