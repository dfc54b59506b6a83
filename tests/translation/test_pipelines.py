"""Architectures at the catalog's sizes and the translation pipelines at any input size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.errors import InputError
from zoo.nets import PatchDiscriminator, ResnetGenerator, UNetGenerator
from zoo.pipelines import CycleGANPipeline, Pix2PixPipeline, load_pipeline
from zoo.pipelines.translation import working_shape


@pytest.mark.parametrize(("num_downs", "size"), [(8, 256), (7, 128)])  # unet_256, unet_128
def test_unet_generator_keeps_the_size(num_downs, size):
    torch.manual_seed(0)
    net = UNetGenerator(num_downs=num_downs, ngf=4).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 3, size, size) * 2 - 1)
    assert out.shape == (1, 3, size, size)
    assert out.abs().max() <= 1.0
    with pytest.raises(InputError, match="multiples of"):
        net(torch.zeros(1, 3, size // 2, size // 2))


@pytest.mark.parametrize(("size", "n_layers", "grid"), [(256, 3, 30), (128, 3, 14), (64, 2, 14)])
def test_patchgan_output_grid(size, n_layers, grid):
    net = PatchDiscriminator(in_channels=6, ndf=4, n_layers=n_layers).eval()
    with torch.no_grad():
        out = net(torch.zeros(2, 6, size, size))
    assert out.shape == (2, 1, grid, grid)
    assert net.receptive_field == (70 if n_layers == 3 else 34)


def _cyclegan(resize: str) -> CycleGANPipeline:
    torch.manual_seed(0)
    nets = {key: ResnetGenerator(ngf=4, n_blocks=1) for key in ("AtoB", "BtoA")}
    return CycleGANPipeline(nets, options={"working_size": 32, "resize": resize, "domains": ["x", "y"]})


@pytest.mark.parametrize("resize", ["none", "keep_aspect", "square"])
def test_resnet_generator_on_odd_sizes_through_the_pipeline(resize):
    pipe = _cyclegan(resize)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (203, 301, 3), dtype=np.uint8))
    for direction in ("AtoB", "BtoA"):
        out = pipe(image, direction=direction)
        assert out.size == (301, 203) and out.mode == "RGB"
    forward, back = pipe.round_trip(image)
    assert forward.size == back.size == (301, 203)
    # padding to the net's multiple of 4 and cropping back, at the tensor level
    x = torch.rand(1, 3, 75, 50) * 2 - 1
    assert pipe.translate_tensor(x, "AtoB").shape == (1, 3, 75, 50)
    with pytest.raises(InputError, match="direction"):
        pipe(image, direction="sideways")


def test_working_shape_modes():
    assert working_shape(200, 300, 128, "square") == (128, 128)
    assert working_shape(200, 300, 128, "keep_aspect") == (128, 192)
    assert working_shape(200, 300, 128, "none") == (200, 300)
    # the longer side is capped at 4 working sizes; no side goes below MIN_SIDE (generators pad internally)
    assert working_shape(1, 5000, 64, "keep_aspect") == (32, 256)
    with pytest.raises(InputError, match="resize"):
        working_shape(200, 300, 128, "stretch")


def test_pix2pix_pipeline_any_size_and_mode(tmp_path):
    torch.manual_seed(0)
    pipe = Pix2PixPipeline({"model": UNetGenerator(num_downs=5, ngf=4)}, options={"working_size": 32})
    gray = Image.fromarray(np.random.default_rng(0).integers(0, 256, (41, 77), dtype=np.uint8), "L")
    out = pipe(gray)
    assert out.size == (77, 41) and out.mode == "RGB"
    rgba = Image.new("RGBA", (20, 30), (10, 200, 30, 128))
    assert pipe(rgba).mode == "RGBA" and pipe(rgba).size == (20, 30)
    # save / load round trip with the golden output
    pipe.save_pretrained(tmp_path / "p2p")
    pipe.write_golden(tmp_path / "p2p")
    again = load_pipeline(tmp_path / "p2p")
    assert again.check_golden(tmp_path / "p2p") < 1e-5
    assert np.array_equal(np.asarray(again(gray)), np.asarray(out))


def test_cyclegan_golden_output_covers_both_generators(tmp_path):
    pipe = _cyclegan("keep_aspect")
    pipe.save_pretrained(tmp_path / "cg")
    pipe.write_golden(tmp_path / "cg")
    reloaded = load_pipeline(tmp_path / "cg")
    assert reloaded.domains == ("x", "y")
    assert reloaded.check_golden(tmp_path / "cg") < 1e-5
    with torch.no_grad():
        next(reloaded.models["BtoA"].parameters()).add_(0.5)  # only the second generator changes
    with pytest.raises(Exception, match="golden"):
        reloaded.check_golden(tmp_path / "cg")
