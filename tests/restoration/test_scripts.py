"""Smoke runs of train/denoise.py, train/superres.py and train/colorize.py on tiny generated photo folders: a few steps,
a loadable checkpoint that reproduces its golden output, a card with the protocol's table; the recipes parse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from train import colorize, denoise, engine, superres
from zoo.publish import validate

SCRIPTS = {"denoise": denoise, "superres": superres, "colorize": colorize}
RECIPES = {
    "denoise-gray": "denoise",
    "denoise-color": "denoise",
    "superres-x2": "superres",
    "superres-x4": "superres",
    "colorize": "colorize",
}
COMMON = ["--logger", "none", "--train-batch-size", "2", "--max-train-steps", "3", "--checkpointing-steps", "3",
          "--sample-steps", "3", "--logging-steps", "1", "--eval-limit", "1"]  # fmt: skip


def run(script: str, output: Path, data_root: Path, *flags: str) -> Path:
    argv = [*COMMON, "--data-dir", str(data_root), "--output-dir", str(output), *flags]
    assert SCRIPTS[script].main(argv) == 0
    return output / "final"


def card_table(final: Path) -> str:
    return (final / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "script"), RECIPES.items())
def test_recipes_parse_and_name_their_checkpoint(name, script):
    parser = engine.base_parser("test")
    SCRIPTS[script].add_flags(parser)
    args = engine.parse_args(parser, ["--config", name], script)
    assert args.name == name and args.output_dir == f"outputs/{name}"
    assert args.max_train_steps and args.resolution and args.lr_scheduler == "cosine"
    assert zoo.registry.get_entry(name).task == {"denoise": "denoise", "superres": "super-resolution"}.get(
        script, "colorize"
    )


ARCH_FLAGS = {
    "drunet": ["--arch", "drunet", "--widths", "4,8,16", "--blocks", "1"],
    "ffdnet": ["--arch", "ffdnet", "--features", "8", "--num-layers", "3"],
}


@pytest.mark.parametrize(("channels", "arch"), [(1, "drunet"), (3, "ffdnet")])
def test_denoise_smoke_run(channels, arch, data_root, tmp_path, no_bm3d):
    dataset = "train400" if channels == 1 else "bsds500/train,t91"
    final = run(
        "denoise", tmp_path / "run", data_root, "--dataset", dataset, "--channels", str(channels),
        *ARCH_FLAGS[arch], "--resolution", "32", "--patches-per-image", "2",
    )  # fmt: skip
    pipe = zoo.load(final)
    assert pipe.task == "denoise" and pipe.channels == channels and pipe.noise_aware
    assert type(pipe.models["model"]).__name__ == {"drunet": "DRUNet", "ffdnet": "FFDNet"}[arch]
    assert pipe.options["protocol"] == "denoise-photo" and pipe.max_sigma == 75
    mode = "L" if channels == 1 else "RGB"
    assert pipe(Image.new(mode, (33, 21), 100), sigma=10).mode == mode
    checked = validate(final, task="denoise")
    primary = "bsd68" if channels == 1 else "cbsd68"
    assert f"{primary} sigma=25 PSNR" in checked.metrics
    card = card_table(final)
    assert "| noisy input |" in card and "python -m train.denoise" in card and "not measured" in card
    assert (final / "images" / "denoise_strip.png").is_file() and (final / "images" / "samples.png").is_file()
    assert {"loss", "psnr", "grad_norm"} <= set(json.loads((tmp_path / "run" / "history.json").read_text())[-1])


def test_denoise_refuses_patches_off_the_networks_grid(data_root, tmp_path, capsys):
    argv = [*COMMON, "--data-dir", str(data_root), "--output-dir", str(tmp_path / "run"), *ARCH_FLAGS["drunet"]]
    assert denoise.main([*argv, "--resolution", "30"]) != 0
    assert "--resolution 30 must be a multiple of 4" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["32", "a,b", "0,8"])
def test_denoise_widths_flag_is_checked(text):
    parser = engine.base_parser("test")
    denoise.add_flags(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--widths", text])
    assert parser.parse_args(["--widths", "8,16"]).widths == (8, 16)


@pytest.mark.parametrize("scale", [2, 4])
def test_superres_smoke_run(scale, data_root, tmp_path):
    final = run(
        "superres", tmp_path / "run", data_root, "--scale", str(scale), "--features", "8", "--num-blocks", "1",
        "--resolution", str(8 * scale), "--patches-per-image", "2",
    )  # fmt: skip
    pipe = zoo.load(final)
    assert pipe.task == "super-resolution" and pipe.scale == scale
    assert pipe(Image.new("RGB", (7, 5))).size == (7 * scale, 5 * scale)
    checked = validate(final, task="super-resolution")
    assert f"set5 x{scale} PSNR (Y)" in checked.metrics
    assert "| bicubic |" in card_table(final)


def test_superres_x4_starts_from_the_x2_model(data_root, tmp_path, capsys):
    tiny = ["--features", "8", "--num-blocks", "1", "--patches-per-image", "2", "--no-eval"]
    x2 = run("superres", tmp_path / "x2", data_root, "--scale", "2", "--resolution", "16", *tiny)
    x4 = run("superres", tmp_path / "x4", data_root, "--scale", "4", "--resolution", "32", "--init-from", str(x2),
             "--max-train-steps", "1", "--learning-rate", "1e-9", *tiny)  # fmt: skip
    donor, net = zoo.load(x2).model.state_dict(), zoo.load(x4).model.state_dict()
    torch.testing.assert_close(net["body.0.body.0.0.weight"], donor["body.0.body.0.0.weight"], atol=1e-6, rtol=0)
    assert "upsampler.2.weight" in net and "upsampler.2.weight" not in donor
    card = (x4 / "README.md").read_text()
    assert "initialised from" in card and "tensors, tail zeroed" in card
    eval_only = [*COMMON, "--data-dir", str(data_root), "--output-dir", str(x4.parent), "--scale", "4",
                 "--resolution", "32", "--init-from", str(x2), *tiny, "--eval-only"]  # fmt: skip
    assert superres.main(eval_only) == 0  # the card facts recorded at the end of training, not build()'s state
    assert (x4 / "README.md").read_text() == card
    argv = [*COMMON, "--data-dir", str(data_root), "--output-dir", str(tmp_path / "bad"), "--scale", "4",
            "--init-from", str(tmp_path / "nothing-here"), *tiny]  # fmt: skip
    assert superres.main(argv) == 2
    assert "--init-from" in capsys.readouterr().err


def test_superres_deepens_a_shallower_model_without_changing_its_output(data_root, tmp_path):
    """--init-from a model with fewer residual blocks: its blocks and body-end convolution are copied, the added
    blocks start as the identity, so before any step the deeper network computes exactly the donor's output."""
    tiny = ["--features", "8", "--patches-per-image", "2", "--no-eval", "--scale", "2", "--resolution", "16"]
    pipe = zoo.load(run("superres", tmp_path / "one", data_root, "--num-blocks", "1", *tiny))
    torch.manual_seed(0)
    for tensor in pipe.model.parameters():  # every layer matters (a 3-step model's tail is still near zero)
        torch.nn.init.normal_(tensor, std=0.1)
    donor = pipe.save_pretrained(tmp_path / "donor")
    flags = ["--features", "8", "--num-blocks", "3", "--init-from", str(donor), "--init-tail"]
    task = superres.SuperResTask(engine.parse_args(_parser(superres), flags, "superres"))
    task.build()
    deep, shallow = task.nets["generator"].eval(), zoo.load(donor).model.float().eval()
    low = torch.rand(1, 3, 9, 11)
    with torch.no_grad():
        torch.testing.assert_close(deep(low), shallow(low))
    assert task.deepened == (1, 3)
    assert "body.3.weight" in task.copied and not any(name.startswith(("body.1.", "body.2.")) for name in task.copied)
    assert (deep.body[1].body[1][0].weight == 0).all() and (deep.body[2].body[1][0].bias == 0).all()
    assert "deepened from 1 to 3 residual blocks" in task.card_info()["data"]
    state = {"body.0.body.0.0.weight": 1, "body.1.weight": 2}
    assert superres.deepen(state, 1) == (state, None)  # as deep already: unchanged


def test_superres_starts_as_bicubic(data_root):
    """The zeroed last convolution makes the untrained network exactly its bicubic global skip."""
    args = engine.parse_args(_parser(superres), ["--features", "8", "--num-blocks", "1"], "superres")
    task = superres.SuperResTask(args)
    task.build()
    low = torch.rand(1, 3, 9, 11)
    bicubic = torch.nn.functional.interpolate(low, scale_factor=2, mode="bicubic", align_corners=False)
    torch.testing.assert_close(task.nets["generator"](low), bicubic)


def _parser(module):
    parser = engine.base_parser("test")
    module.add_flags(parser)
    return parser


@pytest.mark.parametrize(("loss", "gan_weight"), [("rebalanced", "0"), ("l1", "0.05")], ids=["rebalanced", "l1+gan"])
def test_colorize_smoke_run(loss, gan_weight, data_root, tmp_path):
    final = run(
        "colorize", tmp_path / "run", data_root, "--ngf", "4", "--num-downs", "3", "--resolution", "32",
        "--working-size", "64", "--loss", loss, "--gan-weight", gan_weight,
    )  # fmt: skip
    pipe = zoo.load(final)
    assert pipe.task == "colorize" and pipe.working_size == 64
    out = pipe(Image.new("L", (90, 31), 120))
    assert out.size == (90, 31) and out.mode == "RGB"
    assert list((final / "model").iterdir())  # only the generator is published
    assert not (final / "discriminator").exists()
    checked = validate(final, task="colorize")
    assert {"kodak24 PSNR", "kodak24 colourfulness ratio"} <= set(checked.metrics)
    assert "| gray baseline |" in card_table(final)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert ("critic" in history[-1]) == (gan_weight != "0")


def test_colorize_gan_fine_tune_starts_from_the_l1_model(data_root, tmp_path):
    tiny = ["--ngf", "4", "--num-downs", "3", "--resolution", "32", "--working-size", "64", "--no-eval"]
    l1 = run("colorize", tmp_path / "l1", data_root, "--loss", "l1", *tiny)
    gan = run("colorize", tmp_path / "gan", data_root, "--loss", "l1", "--gan-weight", "0.01", "--init-from", str(l1),
              "--max-train-steps", "1", "--learning-rate", "1e-9", *tiny)  # fmt: skip
    donor, net = zoo.load(l1).model.state_dict(), zoo.load(gan).model.state_dict()
    assert donor.keys() == net.keys()
    weights = [key for key, _ in zoo.load(l1).model.named_parameters()]  # batch-norm statistics move in one step
    for key in weights:
        torch.testing.assert_close(net[key], donor[key], atol=1e-3, rtol=0)  # fp16 publish, lr 1e-9: unchanged
    assert zoo.load(gan).options["method"] == "L1 + 0.01 x conditional PatchGAN (ndf 32), fine-tuned from l1"


def test_rebalancing_weights_favour_rare_colours():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 3, (9000, 2))  # near-gray pixels
    rare = rng.normal(0, 3, (1000, 2)) + np.array([60, 40])  # a few saturated ones
    ab = np.concatenate([common, rare])
    weights = colorize.rebalance_weights(ab, mix=0.5)
    index = colorize.ab_bin_index(torch.from_numpy(ab.T[:, :, None]).float() / colorize.AB_SCALE).numpy().ravel()
    assert weights[index[-1]] > 2 * weights[index[0]]
    assert np.mean(weights[index]) == pytest.approx(1.0, rel=1e-4)  # mean weight 1 over the training pixels


def test_colorize_validation_keeps_the_best_step(data_root, tmp_path):
    """--val-dataset scores every checkpoint; --keep-best publishes the best-scoring step's weights."""
    final = run(
        "colorize", tmp_path / "run", data_root, "--ngf", "4", "--num-downs", "3", "--resolution", "32",
        "--working-size", "64", "--loss", "l2", "--flips", "horizontal", "--learning-rate", "0.05",
        "--max-train-steps", "4", "--checkpointing-steps", "1", "--val-dataset", "bsds500/test",
        "--keep-best", "val_psnr", "--no-eval",
    )  # fmt: skip
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    scored = [row for row in history if "val_psnr" in row]
    assert [row["step"] for row in scored] == [1, 2, 3, 4]
    assert all(np.isfinite(row["val_gain"]) and row["val_colour"] >= 0 for row in scored)
    best = max(scored, key=lambda row: row["val_psnr"])
    record = json.loads((tmp_path / "run" / "best" / "best.json").read_text())
    assert record == {"metric": "val_psnr", "value": best["val_psnr"], "step": best["step"]}
    assert f"| published weights | step {best['step']} of 4 (highest val_psnr" in card_table(final)
    # The published model is the best step's: re-scoring it gives that step's validation PSNR.
    from zoo.protocols.restoration import colorize_validation

    photos = colorize.load_photos([data_root / "bsds500" / "test"], 64)
    again = colorize_validation(zoo.load(final), photos)
    assert again["val_psnr"] == pytest.approx(best["val_psnr"], abs=1e-6)


def test_colorize_keep_best_floor_picks_among_colourful_steps(data_root, tmp_path):
    """--keep-best-floor val_colour=X: only steps at least that colourful compete; the card says so."""
    args = [
        "--ngf", "4", "--num-downs", "3", "--resolution", "32", "--working-size", "64", "--loss", "l2",
        "--learning-rate", "0.05", "--max-train-steps", "4", "--checkpointing-steps", "1",
        "--val-dataset", "bsds500/test", "--keep-best", "val_psnr", "--no-eval",
    ]  # fmt: skip
    run("colorize", tmp_path / "free", data_root, *args)
    scored = [row for row in json.loads((tmp_path / "free" / "history.json").read_text()) if "val_colour" in row]
    floor = max(row["val_colour"] for row in scored)  # only the most colourful step qualifies
    final = run("colorize", tmp_path / "floored", data_root, *args, "--keep-best-floor", f"val_colour={floor!r}")
    record = json.loads((tmp_path / "floored" / "best" / "best.json").read_text())
    assert record["step"] == max(scored, key=lambda row: row["val_colour"])["step"]
    assert record["floors"] == {"val_colour": floor}
    assert "(highest val_psnr among steps with val_colour >= " in card_table(final)


def test_keep_best_needs_held_out_data(data_root, tmp_path, capsys):
    argv = [*COMMON, "--data-dir", str(data_root), "--output-dir", str(tmp_path / "run"), "--keep-best", "val_psnr"]
    assert colorize.main(argv) == 2
    assert "give --val-dataset" in capsys.readouterr().err
    assert denoise.main([*argv, "--dataset", "train400"]) == 2  # a task without validation
    assert "has no validation" in capsys.readouterr().err
    assert not (tmp_path / "run" / "final").exists()


@pytest.mark.parametrize(("gan_weight", "head_stride", "hint_l1"), [("0", "1", "2"), ("0.01", "4", "0")])
def test_colorize_classification_with_hints_smoke_run(gan_weight, head_stride, hint_l1, data_root, tmp_path):
    """Zhang 2016 classification + Zhang 2017 simulated hints: a 4-channel network whose pipeline takes hints;
    with ``--head-stride 4`` the bins come out at a quarter of the size and the GAN sees the upsampled ab;
    ``--hint-l1`` adds (and logs) an L1 loss of the decoded ab on the hinted crops."""
    final = run(
        "colorize", tmp_path / "run", data_root, "--ngf", "4", "--num-downs", "3", "--resolution", "32",
        "--working-size", "64", "--loss", "classification", "--hints", "5", "--gan-weight", gan_weight,
        "--head-stride", head_stride, "--hint-l1", hint_l1,
    )  # fmt: skip
    pipe = zoo.load(final)
    assert pipe.models["model"].config.head_stride == int(head_stride)
    assert pipe.takes_hints and pipe.options["temperature"] == 0.38
    gray = Image.new("L", (90, 31), 120)
    assert pipe(gray, hints=[(5, 5, (250, 20, 20))]).size == (90, 31)
    assert "ab classification" in pipe.options["method"] and "simulated hints" in pipe.options["method"]
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert ("critic" in history[-1]) == (gan_weight != "0")
    assert ("hint_l1" in history[-1]) == (hint_l1 != "0")
    assert ("L1 of the decoded ab" in pipe.options["method"]) == (hint_l1 != "0")
    if head_stride != "4":
        return
    # The decoding is chosen after training: --eval-only applies new decoding flags to the finished model.
    before = pipe(gray, hints=[(5, 5, (250, 20, 20))])
    flags = ["--loss", "classification", "--hints", "5", "--temperature", "0.7", "--upsampling", "guided",
             "--hint-spread", "0.1,0.1,0.3"]  # fmt: skip
    run("colorize", tmp_path / "run", data_root, *flags, "--eval-only")
    options = json.loads((final / "pipeline.json").read_text())["options"]
    assert options["temperature"] == 0.7 and options["upsampling"] == "guided"
    assert options["hint_spread"] == {"reach": 0.1, "tone": 0.1, "prior": 0.3}
    validate(final)  # golden output and checksums were rewritten with the new decoding
    after = zoo.load(final)(gray, hints=[(5, 5, (250, 20, 20))])
    assert np.abs(np.asarray(after, dtype=float) - np.asarray(before, dtype=float)).max() > 0


def test_colorize_degraded_input_changes_only_the_gray_input(data_root):
    """``--degrade-input 1``: every crop's L is an old-print degradation of the clean one (seeded, so reproducible),
    while the target ab and the hints stay those of the clean photo; 0 leaves L alone."""
    folders = [data_root / "bsds500" / "train"]
    clean = colorize.LabPatchDataset(folders, 32, 64, hints=5, seed=3)
    worn = colorize.LabPatchDataset(folders, 32, 64, hints=5, seed=3, degrade=1.0)
    again = colorize.LabPatchDataset(folders, 32, 64, hints=5, seed=3, degrade=1.0)
    changed = 0
    for index in range(6):
        a, b, c = clean[index], worn[index], again[index]
        assert torch.equal(a["ab"], b["ab"]) and torch.equal(b["L"], c["L"])
        assert b["L"].min() >= -1.0 and b["L"].max() <= 1.0
        changed += int((a["L"] - b["L"]).abs().max() > 0.01)
    assert changed >= 5  # the mix's "clean" kind (5 %) only rounds to 8 bits
    assert colorize.LabPatchDataset(folders, 32, 64, seed=3).ab_values().shape[1] == 2


def test_colorize_dataset_takes_one_half_of_side_by_side_pairs(tmp_path):
    """``--dataset facades/train@left``: the colouriser trains on the photo half of pix2pix pairs (photo | label
    map), not on the label maps; another word after @ is refused with a plain sentence."""
    from zoo.data import DatasetError

    pairs = tmp_path / "facades" / "train"
    pairs.mkdir(parents=True)
    pair = np.zeros((40, 80, 3), np.uint8)
    pair[:, :40] = (200, 30, 30)  # the photo: red
    pair[:, 40:] = (30, 30, 200)  # the label map: blue
    Image.fromarray(pair).save(pairs / "1.png")
    folders = colorize.photo_folders("facades/train@left", tmp_path)
    assert folders == [(pairs, "left")]
    (photo,) = colorize.load_photos(folders, 64)
    assert photo.shape == (40, 40, 3) and (photo == (200, 30, 30)).all()
    (label,) = colorize.load_photos(colorize.photo_folders("facades/train@right", tmp_path), 64)
    assert (label == (30, 30, 200)).all()
    (whole,) = colorize.load_photos(colorize.photo_folders("facades/train", tmp_path), 64)
    assert whole.shape == (32, 64, 3)  # a plain name keeps the whole image, shrunk to the working size
    with pytest.raises(DatasetError, match="'left' or 'right'"):
        colorize.photo_folders("facades/train@top", tmp_path)
