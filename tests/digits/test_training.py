"""Training scripts of the 28x28 families: smoke runs on tiny idx data (a loadable checkpoint and a card each), one
GAN step that moves both networks, and the recipes."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

import zoo
from train import autoencoder, classifier, engine, gan
from zoo.cards import check_card
from zoo.plots import COLOURS

from .conftest import DIGITS

TINY = ["--train-batch-size", "8", "--max-train-steps", "3", "--logger", "none", "--checkpointing-steps", "3",
        "--sample-steps", "2", "--logging-steps", "1"]  # fmt: skip

# name -> (script module, flags, pipeline class, options the pipeline must carry, a metric the card must report)
RUNS = {
    "ae-mnist": (autoencoder, ["--code-size", "8", "--hidden-sizes", "16"], "AutoencoderPipeline", {}, "kNN accuracy"),
    "ae-mnist-conv": (autoencoder, ["--architecture", "conv", "--base-channels", "4"], "AutoencoderPipeline", {},
                      "PSNR"),
    "denoise-mnist": (autoencoder, ["--objective", "denoise", "--base-channels", "4"], "DenoisePipeline",
                      {"channels": 1, "image_size": 28, "protocol": "denoise-digits"}, "sigma=0.5 PSNR"),
    "superres-mnist": (autoencoder, ["--objective", "superres", "--base-channels", "4"], "SuperResolutionPipeline",
                       {"scale": 2, "channels": 1, "protocol": "superres-digits"}, "x2 SSIM"),
    "superres-fashion": (autoencoder, ["--objective", "superres", "--base-channels", "4"], "SuperResolutionPipeline",
                         {"scale": 2, "channels": 1, "protocol": "superres-digits", "dataset": "fashion-mnist"},
                         "x2 PSNR"),
    "cgan-mnist": (gan, ["--conditional", "--ngf", "4", "--ndf", "4", "--latent-dim", "8", "--g-label-injection",
                         "map", "--d-conditioning", "projection", "--aux-class-weight", "1"], "GANPipeline",
                   {"labels": DIGITS}, "label accuracy"),
    "gan-mnist": (gan, ["--ngf", "4", "--ndf", "4", "--latent-dim", "8"], "GANPipeline", {"labels": []},
                  "classes covered"),
    "gan-toy": (gan, ["--model", "toy", "--hidden", "8", "--toy-points", "64"], "ToyGANPipeline",
                {"protocol": "gan-toy"}, "error"),
    "classifier-mnist": (classifier, ["--width", "4"], "ClassifierPipeline", {"labels": DIGITS}, "accuracy"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(RUNS))
def test_smoke_run_writes_a_loadable_checkpoint_and_a_card(name, data_dir, classifier_folder, tmp_path):
    script, flags, pipeline_class, options, metric = RUNS[name]
    out = tmp_path / name
    dataset = {"gan-toy": "synthetic", "superres-fashion": "fashion-mnist"}.get(name, "mnist")
    evaluator = ["--evaluator", str(classifier_folder)] if script is gan and name != "gan-toy" else []
    argv = [*TINY, *flags, *evaluator, "--name", name, "--dataset", dataset, "--data-dir", str(data_dir)]
    assert script.main([*argv, "--output-dir", str(out)]) == 0
    pipe = zoo.load(out / "final")
    assert type(pipe).__name__ == pipeline_class
    assert options.items() <= pipe.options.items()
    pipe.check_golden(out / "final")
    meta = check_card(out / "final" / "README.md")  # complete metadata, model-index included
    labels = {f"{r['dataset'].get('config') or ''} {m['name']}".strip() for r in meta["model-index"][0]["results"]
              for m in r["metrics"]}  # fmt: skip
    assert metric in labels, labels
    card = (out / "final" / "README.md").read_text()
    assert f"python -m train.{script.__name__.split('.')[-1]}" in card
    assert (out / "final" / "images" / "losses.png").is_file()
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 3 and all(torch.isfinite(torch.tensor(list(row.values()))).all() for row in history)


def test_sign_judge_and_sign_gan_train_on_gtsrb4_crops(data_dir, tmp_path):
    """classifier-signs then gan-signs, as the lead runs them: the judge's checkpoint scores the GAN's card."""
    from zoo.data import SIGN_CLASSES

    common = [*TINY, "--dataset", "gtsrb4", "--data-dir", str(data_dir)]
    judge = tmp_path / "classifier-signs"
    argv = [*common, "--width", "4", "--name", "classifier-signs", "--output-dir", str(judge)]
    assert classifier.main(argv) == 0
    pipe = zoo.load(judge / "final")
    assert pipe.labels == SIGN_CLASSES and pipe.channels == 3 and pipe.image_size == 32
    assert "accuracy" in (judge / "final" / "README.md").read_text()

    out = tmp_path / "gan-signs"
    argv = [*common, *AC_GAN, "--latent-dim", "8", "--d-augment-shift", "2", "--name", "gan-signs",
            "--evaluator", str(judge / "final")]  # fmt: skip
    assert gan.main([*argv, "--output-dir", str(out)]) == 0
    pipe = zoo.load(out / "final")
    assert pipe.labels == SIGN_CLASSES and pipe.options["dataset"] == "gtsrb4"
    assert {(im.mode, im.size) for im in pipe.sample(2, seed=0, label="stop")} == {("RGB", (32, 32))}
    assert pipe.training_curves == out / "final" / "images" / "training_curves.png"
    labels = {m["name"] for r in check_card(out / "final" / "README.md")["model-index"][0]["results"]
              for m in r["metrics"]}  # fmt: skip
    assert {"label accuracy", "classifier-FID"} <= labels, labels
    assert (out / "final" / "images" / "samples_by_label.png").is_file()


def test_gan_without_evaluator_says_so_on_its_card(isolated_zoo, data_dir, tmp_path):
    out = tmp_path / "gan-fashion"
    argv = [*TINY, "--conditional", "--ngf", "4", "--ndf", "4", "--name", "gan-fashion", "--dataset", "fashion-mnist"]
    assert gan.main([*argv, "--data-dir", str(data_dir), "--output-dir", str(out)]) == 0
    pipe = zoo.load(out / "final")
    assert pipe.labels[7] == "Sneaker" and pipe.options["dataset"] == "fashion-mnist"
    card = (out / "final" / "README.md").read_text()
    assert "Classifier metrics skipped" in card and "classifier-fashion" in card
    assert json.loads((out / "eval_results.json").read_text()) == []


def test_autoencoder_rejects_contradictory_flags(data_dir, tmp_path, capsys):
    argv = ["--objective", "superres", "--architecture", "dense", "--data-dir", str(data_dir)]
    assert autoencoder.main([*argv, "--output-dir", str(tmp_path)]) == 2
    assert "SuperResAutoencoder" in capsys.readouterr().err
    argv = ["--objective", "denoise", "--noise-sigma-min", "0.6", "--noise-sigma-max", "0.5"]
    assert autoencoder.main([*argv, "--data-dir", str(data_dir), "--output-dir", str(tmp_path)]) == 2


def _task(task_class, add_flags, script, argv):
    parser = engine.base_parser("test")
    add_flags(parser)
    task = task_class(engine.parse_args(parser, argv, script))
    task.build()
    return task


AC_GAN = ["--conditional", "--ngf", "4", "--ndf", "4", "--g-label-injection", "map", "--d-conditioning", "projection",
          "--aux-class-weight", "1"]  # fmt: skip


@pytest.mark.parametrize(
    "flags",
    [["--conditional", "--ngf", "4", "--ndf", "4"], AC_GAN, ["--ngf", "4", "--ndf", "4"],
     ["--model", "toy", "--hidden", "8"]],
    ids=["conditional", "ac-gan", "unconditional", "toy"],
)  # fmt: skip
def test_one_gan_step_moves_both_networks_and_keeps_losses_finite(flags, data_dir):
    from accelerate import Accelerator

    torch.manual_seed(0)
    task = _task(gan.GANTask, gan.add_flags, "gan", [*flags, "--data-dir", str(data_dir), "--toy-points", "64"])
    # 20 items of 10 classes: every label occurs twice, so the spreads are measured
    batch = next(iter(torch.utils.data.DataLoader(task.dataset(), batch_size=20)))
    before = {k: [p.detach().clone() for p in net.parameters()] for k, net in task.nets.items()}
    for net in task.nets.values():
        net.train()
    logs = task.training_step(batch, Accelerator(cpu=True), 0)
    extra = {"d_class_acc_real", "g_class_acc"} if flags is AC_GAN else set()
    diagnostics = {"d_real", "d_fake", "d_acc_real", "d_acc_fake", "spread_fake", "spread_real"}
    assert set(logs) == {"loss_d", "loss_g"} | diagnostics | extra
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    assert all(0 <= logs[key] <= 1 for key in ("d_real", "d_fake", "d_acc_real", "d_acc_fake"))
    assert logs["spread_real"] > 0 and logs["spread_fake"] > 0
    for key, net in task.nets.items():
        changed = [not torch.equal(a, b.detach()) for a, b in zip(before[key], net.parameters(), strict=True)]
        assert all(changed), f"{key}: {changed.count(False)} of {len(changed)} parameter tensors did not move"


@pytest.mark.parametrize("shift", [0, 2])
def test_d_augment_shift_shows_d_shifted_real_and_generated_images(shift, data_dir):
    from accelerate import Accelerator

    torch.manual_seed(0)
    flags = [*AC_GAN, "--d-augment-shift", str(shift), "--data-dir", str(data_dir)]
    task = _task(gan.GANTask, gan.add_flags, "gan", flags)
    batch = next(iter(torch.utils.data.DataLoader(task.dataset(), batch_size=6)))
    seen = []
    discriminator = task.nets["discriminator"]
    original_forward = discriminator.forward
    discriminator.forward = lambda x, *args, **kwargs: seen.append(x.detach()) or original_forward(x, *args, **kwargs)
    task.training_step(batch, Accelerator(cpu=True), 0)
    real_seen = seen[0][:6]  # D's step: the real half first
    padded = torch.nn.functional.pad(batch["image"], (2, 2, 2, 2))
    for image, shown in zip(padded, real_seen, strict=True):
        offsets = [(dy, dx) for dy in range(5) for dx in range(5)
                   if torch.equal(image[:, dy : dy + 28, dx : dx + 28], shown)]  # fmt: skip
        assert offsets, "D saw something other than a shift of the real image"
    moved = sum(not torch.equal(a, b) for a, b in zip(batch["image"], real_seen, strict=True))
    assert (moved == 0) if shift == 0 else (moved >= 3)  # seeded: all 6 move (each stays put with p = 1/25)
    assert len(seen) == 2 and seen[1].shape == (6, 1, 28, 28)  # G's step: D sees the fakes (shifted alike)
    with pytest.raises(engine.TrainingError, match="toy GAN"):
        _task(gan.GANTask, gan.add_flags, "gan", ["--model", "toy", "--d-augment-shift", "2"])


def test_spread_sees_collapse_within_a_label_that_the_whole_batch_hides():
    varied = torch.rand(12, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(12) % 3
    collapsed = varied[labels]  # one image per label: the batch varies, each label does not
    assert gan.spread(varied, labels) > 0.2 and gan.spread(varied) > 0.2
    assert gan.spread(collapsed) > 0.2 and gan.spread(collapsed, labels) == 0.0
    assert math.isnan(gan.spread(varied[:3], labels[:3]))  # no label twice: nothing to measure


def test_gan_card_draws_the_diagnostics(data_dir, classifier_folder, tmp_path):
    out = tmp_path / "cgan"
    argv = [*TINY, *AC_GAN, "--latent-dim", "8", "--name", "cgan-mnist", "--evaluator", str(classifier_folder)]
    assert gan.main([*argv, "--data-dir", str(data_dir), "--output-dir", str(out)]) == 0
    history = json.loads((out / "history.json").read_text())
    assert all({"d_real", "d_fake"} <= row.keys() for row in history)
    assert any({"spread_fake", "spread_real"} <= row.keys() for row in history)
    curves = out / "final" / "images" / "training_curves.png"
    card = (out / "final" / "README.md").read_text()
    assert curves.is_file() and "images/training_curves.png" in card
    with Image.open(curves) as image:
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 16)}
    assert set(COLOURS[:2]) <= colours  # both curves of a panel drawn, each in its own colour


def test_class_head_without_projection_is_a_clear_error(data_dir, tmp_path, capsys):
    argv = ["--conditional", "--aux-class-weight", "1", "--data-dir", str(data_dir), "--output-dir", str(tmp_path)]
    assert gan.main(argv) == 2
    assert "--d-conditioning projection" in capsys.readouterr().err


def test_classifier_shift_augmentation_moves_content_without_wrapping():
    image = torch.zeros(1, 1, 6, 6)
    image[0, 0, 0, 0] = 1.0
    shifted = classifier.random_shift(image.expand(50, -1, -1, -1), 2, torch.Generator().manual_seed(0))
    assert shifted.shape == (50, 1, 6, 6)
    assert set(shifted.sum(dim=(1, 2, 3)).tolist()) <= {0.0, 1.0}  # moved out of frame or kept, never wrapped
    assert shifted[:, 0, 3:, :].sum() == 0 and shifted[:, 0, :, 3:].sum() == 0  # wrapping would land here
    assert 0 < shifted.sum() < 50 and len({tuple(s.nonzero().tolist()[0]) for s in shifted if s.sum()}) > 4


MY_RECIPES = {
    "ae-mnist": "autoencoder", "ae-mnist-conv": "autoencoder", "denoise-mnist": "autoencoder",
    "superres-mnist": "autoencoder", "superres-fashion": "autoencoder", "gan-mnist": "gan", "cgan-mnist": "gan",
    "gan-fashion": "gan", "gan-toy": "gan", "gan-signs": "gan", "classifier-mnist": "classifier",
    "classifier-fashion": "classifier", "classifier-signs": "classifier",
}  # fmt: skip
SCRIPTS = {"autoencoder": autoencoder, "gan": gan, "classifier": classifier}


@pytest.mark.parametrize("name", list(MY_RECIPES))
def test_recipe_parses_for_its_script_and_names_its_checkpoint(name):
    from zoo.registry import get_entry

    module = SCRIPTS[MY_RECIPES[name]]
    parser = engine.base_parser("test")
    module.add_flags(parser)
    args = engine.parse_args(parser, ["--config", name], MY_RECIPES[name])
    assert args.name == name and get_entry(name) is not None
    assert args.output_dir == f"outputs/{name}" and (args.max_train_steps or args.num_epochs)
    if MY_RECIPES[name] == "gan" and args.model == "dcgan":
        assert (args.learning_rate, args.adam_beta1, args.real_label) == (2e-4, 0.5, 0.9)
        assert args.conditional == (name != "gan-mnist")
    with pytest.raises(engine.TrainingError, match="is for train/"):
        engine.parse_args(parser, ["--config", name], "vae")


@pytest.mark.parametrize("code_size", [1, 5, 10, 32, 100])
def test_the_courses_code_sizes_and_hidden_layers_build(code_size, data_dir):
    flags = ["--code-size", str(code_size), "--hidden-sizes", "64", "--code-activation", "none"]
    task = _task(autoencoder.AutoencoderTask, autoencoder.add_flags, "autoencoder", flags)
    net = task.nets["autoencoder"]
    assert (net.config.code_size, list(net.config.hidden_sizes)) == (code_size, [64])
    assert net.encode(torch.rand(2, 1, 28, 28)).shape == (2, code_size)


def test_conditioning_probe_reports_diversity_and_label_accuracy(data_dir, capsys):
    from train.experiments import cgan_conditioning

    if "classifier-mnist" not in {entry.name for entry in zoo.list_models("classify")}:
        pytest.skip("classifier-mnist is not published")
    argv = ["--steps", "2", "--report-every", "1", "--aux-class-weight", "1", "--data-dir", str(data_dir)]
    assert cgan_conditioning.main(argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step ")]
    assert len(lines) == 2 and all("per-class std across z" in line and "label accuracy" in line for line in lines)
