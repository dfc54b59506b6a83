"""Real-world restoration: the learned strength estimator and its pipeline, the degraded training patches, the
denoise-real recipe (a smoke run), the real-world protocols on tiny data, and the restore chain."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo.chain import RestorePipeline, check_options, is_grayscale
from zoo.degradations import DenoiseMix, strength
from zoo.errors import InputError, ModelNotFoundError

from .conftest import photo, real_denoiser
from .test_scripts import run


def test_strength_estimator_shapes_and_sign():
    from zoo.nets import StrengthEstimator

    net = StrengthEstimator(in_channels=3, features=4)
    x = torch.rand(2, 3, 40, 56)
    assert net(x).shape == (2,) and (net(x) >= 0).all()
    assert net.strength_map(x).shape == (2, 1, 5, 7)


def test_blind_mode_asks_the_learned_estimator(monkeypatch, tmp_path):
    pipe = real_denoiser()
    assert pipe.learned_strength
    seen = []
    estimator = pipe.models["estimator"]
    original = estimator.forward

    def spy(x):
        seen.append(tuple(x.shape))
        return original(x)

    monkeypatch.setattr(estimator, "forward", spy)
    image = Image.fromarray(photo(600, 40, seed=3))
    level = pipe.estimate_sigma(image)
    assert seen == [(1, 3, 512, 40)]  # a central crop of at most 512 a side
    assert 0 <= level <= pipe.max_sigma
    # blind output = output at the estimated level; a manual level still works
    assert np.array_equal(np.asarray(pipe(image)), np.asarray(pipe(image, sigma=level)))
    assert pipe(image, sigma=0).size == image.size
    # saved and loaded with both networks
    pipe.save_pretrained(tmp_path / "real")
    pipe.write_golden(tmp_path / "real")
    loaded = zoo.load(tmp_path / "real")
    assert loaded.learned_strength and loaded.check_golden(tmp_path / "real") < 1e-3


def test_blind_mode_reads_squares_of_the_training_size_and_takes_their_rms(monkeypatch):
    from zoo.pipelines.restoration import tile_grid

    assert tile_grid(300, 130, 128) == [(22, 1), (150, 1)]  # whole squares, centred
    assert tile_grid(100, 600, 128) == []
    pipe = real_denoiser()
    pipe.options["strength_tile"] = 16
    estimator = pipe.models["estimator"]
    seen = []
    levels = torch.tensor([0.1, 0.2, 0.2, 0.4, 0.1, 0.3])

    def fake(x):
        seen.append(tuple(x.shape))
        return levels[: x.shape[0]] if x.shape[0] > 1 else torch.tensor([0.25])

    monkeypatch.setattr(estimator, "forward", fake)
    image = Image.fromarray(photo(40, 56, seed=4))  # 40 rows x 56 columns: a 2 x 3 grid of 16x16 squares
    level = pipe.estimate_sigma(image)
    assert seen == [(6, 3, 16, 16)]  # one batch of every square, each read on its own
    assert level == pytest.approx(255 * float(levels.square().mean().sqrt()), rel=1e-5)  # their RMS, not the mean
    assert level != pytest.approx(255 * float(levels.mean()), rel=1e-3)
    pipe.options["strength_pooling"] = "geometric"  # with the crop read whole (the fake's 0.25)
    squares_rms = float(levels.square().mean().sqrt())
    assert pipe.estimate_sigma(image) == pytest.approx(255 * (squares_rms * 0.25) ** 0.5, rel=1e-5)
    assert seen[1:] == [(6, 3, 16, 16), (1, 3, 40, 56)]
    del pipe.options["strength_pooling"]
    seen.clear()
    assert pipe.estimate_sigma(Image.fromarray(photo(12, 56, seed=4))) == pytest.approx(255 * 0.25)
    assert seen == [(1, 3, 12, 56)]  # smaller than a square: read whole


def test_blind_mode_reads_on_the_jpeg_block_grid(monkeypatch):
    from zoo.pipelines.restoration import JPEG_BLOCK, STRENGTH_CROP, tile_grid

    assert tile_grid(300, 130, 128, align=8) == [(16, 0), (144, 0)]  # (22, 1) moved up-left onto the grid
    pipe = real_denoiser()
    estimator = pipe.models["estimator"]
    seen = []
    monkeypatch.setattr(estimator, "forward", lambda x: seen.append(x) or torch.full((x.shape[0],), 0.1))
    array = np.random.default_rng(0).random((STRENGTH_CROP + 20, STRENGTH_CROP + 90, 3), dtype=np.float32)
    pipe.strength_readings(array)  # centred, the crop would start at row 10, column 45: off the 8x8 grid
    top, left = 8, 40
    assert top % JPEG_BLOCK == 0 and left % JPEG_BLOCK == 0
    expected = array[top : top + STRENGTH_CROP, left : left + STRENGTH_CROP]
    np.testing.assert_array_equal(seen[-1][0].permute(1, 2, 0).numpy(), expected)
    pipe.strength_readings(array, 128)  # 4 x 4 squares of the crop, the first at the crop's corner
    assert seen[-1].shape == (16, 3, 128, 128)
    np.testing.assert_array_equal(seen[-1][5].permute(1, 2, 0).numpy(), expected[128:256, 128:256])


def test_jpeg_grid_offset_finds_where_the_blocks_start():
    from zoo.degradations import jpeg
    from zoo.pipelines.restoration import jpeg_grid_offset

    clean = photo(200, 240, seed=3) / 255.0
    blocky = jpeg(clean, 20)
    assert jpeg_grid_offset(blocky) == (0, 0)  # JPEG'd as it is: the grid starts at the corner
    assert jpeg_grid_offset(blocky[3:, 5:]) == (5, 3)  # cropped: boundaries at rows 5 + 8k, columns 3 + 8k
    assert jpeg_grid_offset(blocky[8:, 1:, 0]) == (0, 7)  # gray, a whole block off the rows
    assert jpeg_grid_offset(clean[3:, 5:]) == (0, 0)  # no blocks: no phase
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.08, clean.shape), 0, 1)
    assert jpeg_grid_offset(noisy[3:, 5:]) == (0, 0)
    assert jpeg_grid_offset(blocky[:12, 5:]) == (0, 3)  # too few rows to tell


def test_denoise_real_runs_on_the_jpeg_grid_of_a_cropped_jpeg(monkeypatch):
    import zoo.pipelines.restoration as restoration

    pipe = real_denoiser()
    seen, levels = [], []
    run = restoration.run_in_tiles
    monkeypatch.setattr(restoration, "run_in_tiles", lambda fn, x, **kw: seen.append(x.shape[-2:]) or run(fn, x, **kw))
    monkeypatch.setattr(restoration, "jpeg_grid_offset", lambda array: (5, 3))
    monkeypatch.setattr(pipe, "blind_level", lambda array: levels.append(array.shape) or 10.0)
    array = photo(40, 56, seed=1) / np.float32(255.0)
    out = pipe.denoise_array(array, None)
    assert levels == [(40, 56, 3)]  # the strength is read from the image as given (as estimate_sigma reads it) ...
    assert seen == [(43, 61)]  # ... the network sees it padded up and left by 3 and 5: the grid starts at 0
    monkeypatch.setattr(restoration, "jpeg_grid_offset", lambda array: (0, 0))
    assert pipe.denoise_array(array, None).shape == array.shape and seen[-1] == (40, 56)
    np.testing.assert_allclose(out, run_padded_reference(pipe, array, (3, 5)), atol=1e-6)


def test_self_ensemble_averages_the_image_and_its_transpose(monkeypatch):
    import zoo.pipelines.restoration as restoration

    monkeypatch.setattr(restoration, "jpeg_grid_offset", lambda array: (0, 0))
    pipe = real_denoiser()
    with torch.no_grad():  # outputs inside [0, 1], so clipping each view or their average is the same
        [m for m in pipe.models["model"].modules() if isinstance(m, torch.nn.Conv2d)][-1].weight.mul_(0.05)
    pipe.options["tile"] = 24  # tile by tile, so progress is reported
    array = photo(40, 56, seed=2) / np.float32(255.0)
    plain = pipe.denoise_array(array, 10.0)
    transposed = pipe.denoise_array(np.ascontiguousarray(array.transpose(1, 0, 2)), 10.0).transpose(1, 0, 2)
    assert np.abs(plain - transposed).max() > 1e-3  # the network alone is not symmetric: the average differs
    pipe.options["self_ensemble"] = True
    done = []
    both = pipe.denoise_array(array, 10.0, progress=done.append)
    assert both.shape == array.shape and done[-1] == pytest.approx(1.0) and done == sorted(done)
    inside = (plain > 0) & (plain < 1) & (transposed > 0) & (transposed < 1)  # each output is clipped on its own
    assert inside.mean() > 0.5
    np.testing.assert_allclose(both[inside], ((plain + transposed) / 2)[inside], atol=1e-5)


def run_padded_reference(pipe, array: np.ndarray, pad: tuple[int, int]) -> np.ndarray:
    """The known-level output of the image padded (mirrored) up and left, cut back to the image."""
    padded = np.pad(array, ((pad[0], 0), (pad[1], 0), (0, 0)), "reflect")
    return pipe.denoise_array(padded, 10.0)[pad[0] :, pad[1] :]


def test_degraded_patches_are_deterministic_and_report_their_strength(data_root):
    from zoo.data import DegradedPatchDataset, ImagePatchDataset

    parts = [
        ImagePatchDataset(data_root / "t91", patch_size=32, mode="RGB", patches_per_image=2),
        ImagePatchDataset(data_root / "imagenet-sample/train", patch_size=16, mode="RGB", downscale=2),
    ]
    data = DegradedPatchDataset(parts, DenoiseMix(), seed=0)
    assert len(data) == 3 * 2 + 3
    item = data[1]
    assert item["image"].shape == item["degraded"].shape == (3, 32, 32)
    clean = item["image"].numpy().transpose(1, 2, 0)
    degraded = item["degraded"].numpy().transpose(1, 2, 0)
    assert float(item["strength"]) * 255 == pytest.approx(strength(degraded, clean), rel=1e-4)
    assert torch.equal(data[1]["degraded"], item["degraded"])
    assert data[7]["image"].shape == (3, 16, 16)  # the downscaled part (48x64 -> 24x32)
    data.set_epoch(1)
    assert not torch.equal(data[1]["degraded"], item["degraded"])


@pytest.mark.slow
def test_denoise_real_smoke_run(data_root, tmp_path, no_bm3d, monkeypatch):
    import zoo.protocols.realworld as realworld

    monkeypatch.setattr(realworld, "MODEL_STRIDE", {})
    final = run(
        "denoise", tmp_path / "run", data_root, "--dataset", "t91,imagenet-sample/train", "--channels", "3",
        "--degradations", "real", "--downscale-sources", "imagenet-sample/train", "--arch", "drunet",
        "--widths", "4,8,16", "--blocks", "1", "--resolution", "16", "--patches-per-image", "2",
    )  # fmt: skip
    pipe = zoo.load(final)
    assert pipe.learned_strength and pipe.options["protocol"] == "denoise-real"
    card = (final / "README.md").read_text(encoding="utf-8")
    assert "jpeg q20" in card and "degraded input" in card and "DenoiseMix" in card
    assert (final / "images" / "real_strip.png").is_file()


def test_denoise_real_protocol_rows(data_root, no_bm3d):
    from zoo.protocols.realworld import DENOISE_KINDS, degrade_for_test, evaluate_denoise_real

    pipe = real_denoiser()
    pipe.options.update(strength_tile=16, strength_pooling="geometric", self_ensemble=True)
    records, notes, _ = evaluate_denoise_real(pipe, data_dir=str(data_root), limit=1)
    assert pipe.blind_description() in notes  # the card says how blind mode ran
    assert "16x16 squares and whole" in notes and "transposed image" in notes
    kinds = {r.config for r in records if r.method == "this model" and r.metric == "PSNR"}
    assert set(DENOISE_KINDS) <= kinds
    assert {r.method for r in records} >= {"this model", "degraded input"}
    assert "awgn sigma=25 blind" in kinds
    # the test images are fixed: the same degraded image on every call
    clean = photo(48, 64, seed=0)
    assert np.array_equal(degrade_for_test(clean, "mixed", "a.png"), degrade_for_test(clean, "mixed", "a.png"))
    assert not np.array_equal(degrade_for_test(clean, "mixed", "a.png"), degrade_for_test(clean, "mixed", "b.png"))


def test_superres_real_protocol_rows(data_root):
    from zoo.protocols.realworld import evaluate_superres_real

    from .conftest import super_resolver

    records, notes, _ = evaluate_superres_real(super_resolver(scale=4), data_dir=str(data_root), limit=1)
    methods = {r.method for r in records if r.metric == "sharpness ratio"}
    assert {"this model", "bicubic"} <= methods
    assert "SuperResMix" in notes


# ------------------------------------------------------------------------------------------------- the chain
class Fake:
    """A stand-in pipeline that records its calls and returns a recognisable image."""

    def __init__(self, kind: str, calls: list, scale: int = 1):
        self.kind, self.calls, self.scale = kind, calls, scale

    def __call__(self, image, sigma=None):
        self.calls.append((self.kind, image.size, image.mode, sigma))
        if self.kind == "colorize":
            return image.convert("RGB")
        return image.resize((image.width * self.scale, image.height * self.scale))


def fake_chain(calls, max_output_pixels=10**9):
    models = {"denoise": "d", "x2": "s2", "x4": "s4", "colorize": "c"}
    pipes = {"d": Fake("denoise", calls), "s2": Fake("x2", calls, 2), "s4": Fake("x4", calls, 4),
             "c": Fake("colorize", calls)}  # fmt: skip
    return RestorePipeline(models, load=pipes.__getitem__, max_output_pixels=max_output_pixels)


def test_chain_order_colour_photo():
    calls = []
    result = fake_chain(calls)(Image.fromarray(photo(20, 30, seed=0)), upscale=4)
    assert [c[0] for c in calls] == ["denoise", "x4"]
    assert result.image.size == (120, 80)
    assert [s.model for s in result.steps] == ["d", "s4"] and result.seconds >= 0
    assert "blind" in str(result.steps[0])


def test_chain_colourises_gray_photos_and_caps_the_upscale():
    calls = []
    gray = Image.fromarray(photo(20, 30, seed=0, channels=1))
    result = fake_chain(calls, max_output_pixels=20 * 30 * 4)(gray, upscale=4, strength=12)
    assert [c[0] for c in calls] == ["denoise", "colorize", "x2"]
    assert calls[0][3] == 12
    assert result.image.size == (60, 40) and "used x2" in result.notes[0]
    calls.clear()
    fake_chain(calls)(gray.convert("RGB"), colorize="never", strength=0)
    assert calls == []
    fake_chain(calls)(Image.fromarray(photo(20, 30, seed=0)), colorize="always")
    assert [c[0] for c in calls] == ["denoise", "colorize"] and calls[1][2] == "L"


def test_chain_options_and_missing_models():
    assert is_grayscale(Image.new("RGB", (4, 4), (9, 9, 10))) and not is_grayscale(Image.new("RGB", (4, 4), (0, 9, 0)))
    assert check_options(2, True) == (2, "always") and check_options("4", False) == (4, "never")
    for bad in (3, 0, "x", 2.5, None):
        with pytest.raises(InputError, match="upscale"):
            check_options(bad, "auto")
    with pytest.raises(InputError, match="colorize"):
        check_options(1, "sometimes")
    chain = RestorePipeline({"denoise": None})
    with pytest.raises(ModelNotFoundError, match="denoise"):
        chain(Image.new("RGB", (8, 8)))


def test_restore_with_the_published_models():
    """``zoo.restore`` end to end with whatever is published (the real-world denoiser, else denoise-color)."""
    noisy = np.clip(photo(64, 48, seed=5).astype(np.float32) + np.random.default_rng(0).normal(0, 20, (64, 48, 3)),
                    0, 255).astype(np.uint8)  # fmt: skip
    result = zoo.restore(Image.fromarray(noisy), upscale=2)
    assert result.image.size == (96, 128) and result.image.mode == "RGB"
    assert [s.name for s in result.steps] == ["denoise", "upscale"]


@pytest.mark.parametrize("gan", [False, True], ids=["real", "real+gan"])
def test_superres_real_smoke_run(gan, data_root, tmp_path):
    flags = ["--dataset", "t91,imagenet-sample/train", "--downscale-sources", "imagenet-sample/train",
             "--degradations", "real", "--scale", "4", "--features", "8", "--num-blocks", "1", "--resolution", "24",
             "--patches-per-image", "2", "--eval-limit", "1"]  # fmt: skip
    if gan:
        flags += ["--gan-weight", "0.01", "--feature-weight", "1", "--ndf", "4"]
    final = run("superres", tmp_path / "run", data_root, *flags)
    pipe = zoo.load(final)
    assert pipe.options["protocol"] == "superres-real" and pipe.scale == 4
    assert list(pipe.models) == ["model"]  # the discriminator is training-only
    card = (final / "README.md").read_text(encoding="utf-8")
    assert "SuperResMix" in card and "sharpness ratio" in card
    assert ("PatchGAN" in card) == gan
    history = __import__("json").loads((tmp_path / "run" / "history.json").read_text())
    assert ("d_acc_real" in history[-1]) == gan


def test_superres_recipes_parse():
    from train import engine, superres

    for name, gan in (("superres-x4-real", False), ("superres-x4-gan", True)):
        parser = engine.base_parser("test")
        superres.add_flags(parser)
        args = engine.parse_args(parser, ["--config", name], "superres")
        assert args.degradations == "real" and args.scale == 4 and (args.gan_weight > 0) == gan
        assert zoo.registry.get_entry(name).task == "super-resolution"
    parser = engine.base_parser("test")
    from train import denoise

    denoise.add_flags(parser)
    args = engine.parse_args(parser, ["--config", "denoise-real-base"], "denoise")
    assert args.degradations == "real" and args.init_from == "denoise-color" and not args.estimator_only
    assert args.output_dir == "outputs/denoise-real-base"
    parser = engine.base_parser("test")
    denoise.add_flags(parser)
    args = engine.parse_args(parser, ["--config", "denoise-real-estimator"], "denoise")  # stage 2: stage 1's run
    assert args.estimator_only and args.init_from == "outputs/denoise-real-base/final"
    assert args.estimator_pooling == "attention"
    parser = engine.base_parser("test")
    denoise.add_flags(parser)
    args = engine.parse_args(parser, ["--config", "denoise-real"], "denoise")  # stage 3, published: stage 2's run
    assert args.init_estimator and not args.estimator_only and not args.self_ensemble
    assert args.init_from == "outputs/denoise-real-estimator/final" and args.output_dir == "outputs/denoise-real"


def test_estimator_only_keeps_the_denoiser(data_root, tmp_path, no_bm3d, monkeypatch):
    import zoo.protocols.realworld as realworld

    monkeypatch.setattr(realworld, "MODEL_STRIDE", {})
    tiny = ["--dataset", "t91", "--channels", "3", "--degradations", "real", "--arch", "drunet", "--widths", "4,8,16",
            "--blocks", "1", "--resolution", "16", "--patches-per-image", "2", "--no-eval"]  # fmt: skip
    first = run("denoise", tmp_path / "first", data_root, *tiny)
    second = run("denoise", tmp_path / "second", data_root, *tiny, "--init-from", str(first), "--estimator-only",
                 "--estimator-features", "8", "--estimator-pooling", "attention")  # fmt: skip
    before, after = zoo.load(first), zoo.load(second)
    for key, value in before.models["model"].state_dict().items():
        torch.testing.assert_close(after.models["model"].state_dict()[key], value)
    assert after.models["estimator"].config.features == 8
    assert after.models["estimator"].config.pooling == "attention"
    assert "strength_tile" not in after.options  # blind mode reads the crop whole unless the recipe says otherwise
    third = run("denoise", tmp_path / "third", data_root, *tiny, "--init-from", str(first), "--estimator-only",
                "--strength-tile", "16", "--strength-pooling", "geometric", "--self-ensemble")  # fmt: skip
    assert zoo.load(third).options["strength_tile"] == 16
    assert zoo.load(third).options["strength_pooling"] == "geometric"
    assert zoo.load(third).options["self_ensemble"] is True
    assert "self_ensemble" not in after.options


def test_init_estimator_keeps_the_estimator_and_fine_tunes_the_denoiser(data_root, tmp_path, capsys):
    """``--init-from <blind model> --init-estimator``: the denoiser trains on from the blind model's weights, its
    estimator comes along unchanged; without --init-from the flag is refused in a sentence."""
    tiny = ["--dataset", "t91", "--channels", "3", "--degradations", "real", "--arch", "drunet", "--widths", "4,8,16",
            "--blocks", "1", "--resolution", "16", "--patches-per-image", "2", "--no-eval"]  # fmt: skip
    first = run("denoise", tmp_path / "first", data_root, *tiny)
    second = run("denoise", tmp_path / "second", data_root, *tiny, "--init-from", str(first), "--init-estimator",
                 "--learning-rate", "0.01")  # fmt: skip
    before, after = zoo.load(first), zoo.load(second)
    for key, value in before.models["estimator"].state_dict().items():
        torch.testing.assert_close(after.models["estimator"].state_dict()[key], value)
    moved = [key for key, value in before.models["model"].state_dict().items()
             if not torch.equal(after.models["model"].state_dict()[key], value)]  # fmt: skip
    assert moved  # the denoiser did train
    assert "its estimator kept as it was" in (second / "README.md").read_text(encoding="utf-8")
    from train import denoise

    argv = [*tiny, "--data-dir", str(data_root), "--output-dir", str(tmp_path / "third"), "--init-estimator"]
    assert denoise.main(argv) == 2
    assert "--init-estimator needs --init-from" in capsys.readouterr().err
    assert denoise.main([*argv, "--init-from", str(first), "--estimator-only"]) == 2
    assert "leave nothing to train" in capsys.readouterr().err


def test_mix_weights_reweight_the_training_mix():
    from train import denoise, engine

    parser = engine.base_parser("test")
    denoise.add_flags(parser)
    args = engine.parse_args(
        parser, ["--config", "denoise-real-base", "--mix-weights", "gaussian=0.5, jpeg=0"], "denoise"
    )
    kinds = denoise.denoise_mix(args).kinds
    assert kinds["gaussian"] == 0.5 and kinds["jpeg"] == 0.0 and kinds["poisson"] == 0.1
    for bad, message in (("blur=1", "unknown kind 'blur'"), ("gaussian=x", "not kind=number"), ("gaussian=-1", ">= 0")):
        args.mix_weights = bad
        with pytest.raises(engine.TrainingError, match=message):
            denoise.denoise_mix(args)
