"""``python -m zoo.mirror half``: float16 weights are kept only when the model's own evaluation numbers stay within
their tolerance (zoo/halving.py); the golden output, the card and the catalog sha256 follow; everything else is left
untouched. The protocol is replaced by a fast, deterministic one that depends on the weights, except in the last
test, which runs the real denoising protocol on tiny generated photos with its BM3D peer that ``half`` switches off."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

import zoo
from tests.conftest import build_tiny_checkpoint
from zoo import halving, mirror, protocols, registry
from zoo.cards import THIS_MODEL, EvalRecord, check_card
from zoo.hub import file_hashes, publish_to_mirror
from zoo.pipelines import load_pipeline


def dtypes(folder: Path) -> dict[str, set[str]]:
    """dtype names per weight file (relative path)."""
    found = {}
    for path in halving.weight_files(folder):
        with safe_open(str(path), framework="pt") as handle:
            names = handle.keys()
            found[path.relative_to(folder).as_posix()] = {handle.get_slice(k).get_dtype() for k in names}
    return found


def mirrored(tmp_path: Path, name: str = "vae-mnist", builder=build_tiny_checkpoint) -> Path:
    folder = builder(tmp_path / f"run-{name}")
    target = publish_to_mirror(folder, f"imagezoo/{name}")
    registry.update_entry(name, files=file_hashes(target))
    return target


def is_float16_copy(pipe) -> bool:
    """True for a pipeline loaded from float16 weights (every parameter exactly representable in float16)."""
    return all(torch.equal(p, p.half().float()) for net in pipe.models.values() for p in net.parameters())


def probe_records(pipe, shift16: float = 0.0) -> list[EvalRecord]:
    """A deterministic stand-in protocol whose numbers depend on the weights (float16 moves them a little), plus a
    timing row and a peer row that change on every call (neither may be compared)."""
    net = pipe.models["model"]
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        out = net.decode(torch.randn(64, net.config.latent_dim, generator=generator))
    psnr = 20.0 + 10.0 * float(out.mean()) + (shift16 if is_float16_copy(pipe) else 0.0)
    probe_records.calls += 1
    return [
        EvalRecord("probe", "PSNR", psnr, config="sigma=25"),
        EvalRecord("probe", "SSIM", float(out.std())),
        EvalRecord("probe", "ELBO", -100.0 * float(out.mean())),
        EvalRecord("probe", "seconds per image", float(probe_records.calls)),
        EvalRecord("probe", "PSNR", float(probe_records.calls), "a peer"),
    ]


probe_records.calls = 0


@pytest.fixture
def fake_protocol(monkeypatch):
    """Replace the protocols with ``probe_records``; it also checks that the peers are off while it runs."""
    seen = []

    def fake(pipe, data_dir=None, limit=None, folder=None):
        from zoo.protocols import realworld, restoration

        assert os.environ["ZOO_BM3D"] == "0" and restoration.BM3D_PEER is False and not restoration.bm3d_enabled()
        assert realworld._peer("denoise-color", pipe) is None
        assert list(Path(os.environ["ZOO_OUTPUTS"]).iterdir()) == []
        assert pipe.precision == "fp32" and folder is None
        seen.append((is_float16_copy(pipe), data_dir, limit))
        return probe_records(pipe, fake.shift16), "probe notes", []

    fake.shift16 = 0.0
    fake.seen = seen
    monkeypatch.setattr(protocols, "evaluate", fake)
    return fake


def test_metric_kinds_and_tolerances():
    kinds = {
        "PSNR": "dB", "PSNR (Y)": "dB", "cycle PSNR": "dB", "PSNR vs true partner": "dB", "SSIM (Y)": "SSIM",
        "shape IoU": "IoU", "classifier-FID": "FID", "BCE per pixel": "BCE/pixel", "classes covered": "count",
        "accuracy": "share", "kNN accuracy": "share", "translation success": "share", "x coverage": "share",
        "in range": "share", "colourfulness ratio": "ratio", "sharpness ratio": "ratio", "ELBO": "nats", "KL": "nats",
        "BCE": "nats", "L1": "MAE", "error": "MAE", "seconds per image": "time", "LPIPS": "other",
    }  # fmt: skip
    assert {metric: halving.metric_kind(metric) for metric in kinds} == kinds
    table = halving.tolerance_table({"dB": 0.1})
    assert table["dB"] == 0.1 and table["SSIM"] == 0.002 and table["time"] is None and table["other"] == 0.001
    with pytest.raises(ValueError, match="unknown metric kind"):
        halving.tolerance_table({"decibel": 1})
    found = halving.compare(
        {"a PSNR": ("PSNR", 30.0), "a SSIM": ("SSIM", 0.9), "a seconds per image": ("seconds per image", 1.0)},
        {"a PSNR": ("PSNR", 30.04), "a seconds per image": ("seconds per image", 9.0), "b PSNR": ("PSNR", 1.0)},
        halving.tolerance_table(),
    )
    assert found.changes == {"PSNR": pytest.approx(0.04)} and found.ignored == ["seconds per image"]
    assert found.compared == 3 and found.moved == ["a SSIM only in the float32 run", "b PSNR only in the float16 run"]


def test_half_keeps_float16_weights_within_tolerance_and_is_idempotent(isolated_zoo, tmp_path, fake_protocol):
    target = mirrored(tmp_path)
    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F32"}}
    config_before = (target / "model" / "config.json").read_bytes()
    pipeline_before = (target / "pipeline.json").read_bytes()
    weights_before = (target / "model" / "diffusion_pytorch_model.safetensors").stat().st_size

    lines = []
    (result,) = mirror.half_mirror(["vae-mnist"], data_dir="DATA", limit=5, log=lines.append)
    assert result.status == "halved" and result.kept_fp16 and result.within
    assert [seen[1:] for seen in fake_protocol.seen] == [("DATA", 5), ("DATA", 5)]
    assert [seen[0] for seen in fake_protocol.seen] == [False, True]  # float32 first, then the float16 copy
    assert set(result.changes) == {"PSNR", "SSIM", "ELBO"} and result.compared == 3  # no timing, no peer row
    assert 0 < result.changes["PSNR"] <= 0.05 and result.ignored == ["seconds per image"]
    assert result.bytes_before == weights_before and result.bytes_after < 0.6 * weights_before
    assert "float16 weights written" in lines[-1] and "PSNR" in lines[-1]

    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F16"}}
    assert (target / "model" / "config.json").read_bytes() == config_before
    assert (target / "pipeline.json").read_bytes() == pipeline_before
    pipe = load_pipeline(target)
    assert is_float16_copy(pipe) and next(pipe.model.parameters()).dtype == torch.float32
    assert pipe.check_golden(target, atol=1e-6) <= 1e-6  # the golden output is the float16 weights' own
    assert result.golden_change is not None and result.golden_change > 0

    card = (target / "README.md").read_text(encoding="utf-8")
    assert card.count(halving.CARD_BEGIN) == 1 and card.count("## Weights in float16") == 1
    assert "`python -m zoo.mirror half vae-mnist --limit 5`" in card and "float32 measurements" in card
    assert "| PSNR |" in card and "0.05 dB |" in card and "Not compared: seconds per image" in card
    check_card(target / "README.md")  # the metadata is intact

    entry = registry.get_entry("vae-mnist")
    assert entry.files == file_hashes(target)
    assert zoo.load("vae-mnist").source == "mirror"  # sha256 checked against the updated catalog
    assert mirror.main(["check"]) == 0

    # again: already float16, nothing is evaluated or written
    files, catalog = file_hashes(target), isolated_zoo.catalog.read_bytes()
    (again,) = mirror.half_mirror(log=lines.append)
    assert again.status == "skipped" and "already F16" in again.reason and len(fake_protocol.seen) == 2
    assert file_hashes(target) == files and isolated_zoo.catalog.read_bytes() == catalog

    # a rerun on a float32 folder that already has the section (e.g. republished) replaces it
    halving.put_card_section(target / "README.md", halving.card_section(result, "python -m zoo.mirror half x"))
    card = (target / "README.md").read_text(encoding="utf-8")
    assert card.count("## Weights in float16") == 1 and "half x`" in card and "--limit 5" not in card


def test_half_unpins_a_pinned_revision(isolated_zoo, tmp_path, fake_protocol, capsys):
    mirrored(tmp_path)
    registry.update_entry("vae-mnist", revision="a" * 40)
    assert mirror.main(["half", "vae-mnist"]) == 0
    assert registry.get_entry("vae-mnist").revision == "main"
    out = capsys.readouterr().out
    assert "unpinned" in out and "float32 weights" in out and "imagezoo/vae-mnist: float16 weights written" in out


def test_half_leaves_everything_when_a_number_moves(isolated_zoo, tmp_path, fake_protocol, capsys):
    target = mirrored(tmp_path)
    files, catalog = file_hashes(target), isolated_zoo.catalog.read_bytes()
    fake_protocol.shift16 = 0.08  # the float16 copy loses 0.08 dB more than float16 rounding does
    assert mirror.main(["half"]) == 0
    out = capsys.readouterr().out
    assert "imagezoo/vae-mnist: kept float32: 1 of 3 numbers moved beyond tolerance" in out
    assert "probe sigma=25 PSNR: " in out and "> 0.05 dB" in out
    assert file_hashes(target) == files and isolated_zoo.catalog.read_bytes() == catalog
    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F32"}}
    assert not list(target.parent.glob("*.half")) and not list(target.parent.glob("*.old"))

    result = halving.halve_folder(target, tolerance={"dB": 0.2}, dry_run=True)  # a looser tolerance would pass
    assert result.status == "within" and file_hashes(target) == files


def test_half_dry_run_writes_nothing(isolated_zoo, tmp_path, fake_protocol):
    target = mirrored(tmp_path)
    files, catalog = file_hashes(target), isolated_zoo.catalog.read_bytes()
    (result,) = mirror.half_mirror(dry_run=True, log=lambda line: None)
    assert result.status == "within" and not result.kept_fp16 and result.bytes_after < result.bytes_before
    assert len(fake_protocol.seen) == 2 and result.changes["PSNR"] > 0
    assert file_hashes(target) == files and isolated_zoo.catalog.read_bytes() == catalog
    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F32"}}


def test_half_skips_float16_checkpoints_and_keeps_integer_buffers(isolated_zoo, tmp_path, fake_protocol):
    from zoo import nets
    from zoo.pipelines import ClassifierPipeline

    def float16_checkpoint(folder: Path) -> Path:
        build_tiny_checkpoint(folder)
        pipe = load_pipeline(folder)
        pipe.save_pretrained(folder, dtype=torch.float16)
        pipe.write_golden(folder)
        return folder

    def classifier_checkpoint(folder: Path) -> Path:  # BatchNorm: an I64 num_batches_tracked per layer
        torch.manual_seed(0)
        net = nets.ImageClassifier(in_channels=1, num_classes=10, image_size=28, width=4)
        pipe = ClassifierPipeline({"model": net}, options={"dataset": "mnist"})
        pipe.save_pretrained(folder)
        pipe.write_golden(folder)
        return folder

    half16 = mirrored(tmp_path, "pix2pix-shapes", float16_checkpoint)
    classifier = mirrored(tmp_path, "classifier-mnist", classifier_checkpoint)
    assert dtypes(half16) == {"model/diffusion_pytorch_model.safetensors": {"F16"}}
    assert dtypes(classifier) == {"model/diffusion_pytorch_model.safetensors": {"F32", "I64"}}
    files = file_hashes(half16)

    def accuracy(pipe, data_dir=None, limit=None, folder=None):
        images = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        return [EvalRecord("probe", "accuracy", float(np.mean(pipe.predict(images) == 3)))], "", []

    fake_protocol.seen.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(protocols, "evaluate", accuracy)
        results = {r.name: r for r in mirror.half_mirror(log=lambda line: None)}
    assert results["pix2pix-shapes"].status == "skipped" and "already F16" in results["pix2pix-shapes"].reason
    assert file_hashes(half16) == files
    assert results["classifier-mnist"].status == "halved"
    assert dtypes(classifier) == {"model/diffusion_pytorch_model.safetensors": {"F16", "I64"}}
    assert load_pipeline(classifier).check_golden(classifier) >= 0


def test_half_refuses_a_tampered_folder_and_reports_a_missing_protocol_result(isolated_zoo, tmp_path, monkeypatch):
    target = mirrored(tmp_path)
    (target / "pipeline.json").write_text((target / "pipeline.json").read_text() + " ", encoding="utf-8")
    lines = []
    with pytest.raises(zoo.PublishError, match="could not check vae-mnist"):
        mirror.half_mirror(log=lines.append)
    assert "differ from the published checkpoint" in lines[0]

    monkeypatch.setattr(protocols, "evaluate", lambda pipe, data_dir=None, limit=None, folder=None: ([
        EvalRecord("probe", "PSNR", 10.0, "a peer"), EvalRecord("probe", "seconds per image", 1.0, THIS_MODEL)
    ], "Classifier metrics skipped: no evaluator.", []))  # fmt: skip
    result = halving.halve_folder(target)
    assert result.status == "kept" and "no number for the model" in result.reason and "no evaluator" in result.reason
    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F32"}}


def test_half_runs_the_real_denoise_protocol_without_its_bm3d_peer(isolated_zoo, tmp_path, monkeypatch):
    """The denoising protocol on three tiny generated photos per set; BM3D would run (``bm3d_version`` claims it is
    installed) unless ``half`` switches the peer off."""
    from tests.restoration.conftest import gray_denoiser, write_data_root
    from zoo.protocols import restoration

    data = write_data_root(tmp_path / "data", count=2, size=(32, 40))
    bm3d_env = os.environ.get("ZOO_BM3D")
    jobs = []
    monkeypatch.setattr(restoration, "bm3d_version", lambda: "test")
    monkeypatch.setattr(restoration, "_run_bm3d", lambda batch: jobs.extend(batch) or [])

    def denoiser(folder: Path) -> Path:
        pipe = gray_denoiser()
        pipe.save_pretrained(folder)
        pipe.write_golden(folder)
        return folder

    target = mirrored(tmp_path, "denoise-gray", denoiser)
    (result,) = mirror.half_mirror(["denoise-gray"], data_dir=str(data), dry_run=True, log=lambda line: None)
    assert jobs == [] and restoration.BM3D_PEER is True and os.environ.get("ZOO_BM3D") == bm3d_env  # restored
    assert result.status in ("within", "kept") and set(result.changes) == {"PSNR", "SSIM"}
    assert result.compared == 2 * 3 * 2 + 3  # set12 and bsd68 x 3 sigmas x PSNR/SSIM, plus set12 blind PSNR
    assert result.ignored == ["seconds per image"]
    assert dtypes(target) == {"model/diffusion_pytorch_model.safetensors": {"F32", "I64"}}  # dry run
    print(result.summary())


@pytest.mark.parametrize(
    ("metric", "kind"),
    [("hue spread", "hue"), ("hue spread ratio", "ratio"), ("ab AuC", "share"), ("PSNR (Y)", "dB")],
)
def test_colourisation_measures_have_their_own_tolerance(metric, kind):
    assert halving.metric_kind(metric) == kind
