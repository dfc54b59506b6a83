from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch
from torch import nn

from zoo.errors import InputError
from zoo.nets import PatchDiscriminator, UNetGenerator

from .common import NetTesterMixin, uniform


class TestUNetGenerator(NetTesterMixin):
    net_class = UNetGenerator
    init_kwargs: ClassVar[dict[str, Any]] = {"num_downs": 3, "ngf": 4}
    output_shape = (2, 3, 16, 16)
    output_range = (-1.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 3, 16, 16, low=-1.0),)

    @pytest.mark.parametrize("num_downs", [8, 7])
    def test_reference_sizes(self, num_downs: int) -> None:
        size = 2**num_downs  # unet_256 on 256x256, unet_128 on 128x128
        net = UNetGenerator(num_downs=num_downs, ngf=2).eval()
        assert net.required_multiple == size
        with torch.no_grad():
            assert net(uniform(1, 3, size, size)).shape == (1, 3, size, size)

    @pytest.mark.parametrize(("num_downs", "parameters"), [(8, 54_413_955), (7, 41_828_995)])
    def test_matches_reference_parameter_count(self, num_downs: int, parameters: int) -> None:
        with torch.device("meta"):  # no memory, no init: only the architecture
            net = UNetGenerator(num_downs=num_downs)
        assert sum(p.numel() for p in net.parameters()) == parameters  # junyanz unet_256 / unet_128

    def test_dropout_on_the_three_reference_levels(self) -> None:
        net = UNetGenerator(num_downs=8, ngf=2)
        with_dropout = [level for level, up in enumerate(net.up) if any(isinstance(m, nn.Dropout) for m in up)]
        assert with_dropout == [4, 5, 6]
        assert not any(
            isinstance(m, nn.Dropout) for m in UNetGenerator(num_downs=8, ngf=2, use_dropout=False).modules()
        )

    def test_no_norm_on_outermost_and_innermost_encoder_levels(self) -> None:
        net = UNetGenerator(num_downs=4, ngf=2)
        has_norm = [any(isinstance(m, nn.BatchNorm2d) for m in down) for down in net.down]
        assert has_norm == [False, True, True, False]

    @pytest.mark.parametrize(
        "variant",
        [{"use_skips": False}, {"upsampling": "nearest"}, {"norm": "instance"}, {"final_activation": "none"}],
    )
    def test_variants_keep_size(self, variant: dict) -> None:
        net = UNetGenerator(num_downs=3, ngf=4, out_channels=2, **variant).eval()
        assert net(uniform(1, 3, 16, 24)).shape == (1, 2, 16, 24)

    @pytest.mark.parametrize("size", [(20, 16), (4, 4)])
    def test_sizes_off_the_multiple_are_refused(self, size: tuple[int, int]) -> None:
        with pytest.raises(InputError, match="multiples of 8"):
            UNetGenerator(num_downs=3, ngf=4)(uniform(1, 3, *size))

    def test_bad_option_is_refused(self) -> None:
        with pytest.raises(ValueError, match="upsampling='bilinear'"):
            UNetGenerator(upsampling="bilinear")


class TestPatchDiscriminator(NetTesterMixin):
    net_class = PatchDiscriminator
    init_kwargs: ClassVar[dict[str, Any]] = {"ndf": 4}
    output_shape = (2, 1, 2, 2)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 6, 32, 32, low=-1.0),)

    def test_70x70_patchgan_gives_30x30_on_256(self) -> None:
        net = PatchDiscriminator(in_channels=6, ndf=2, n_layers=3).eval()
        assert net.receptive_field == 70
        with torch.no_grad():
            assert net(uniform(1, 6, 256, 256)).shape == (1, 1, 30, 30)

    @pytest.mark.parametrize(
        ("kwargs", "parameters"),
        [({"in_channels": 6}, 2_768_705), ({"in_channels": 3, "norm": "instance"}, 2_764_737)],
    )
    def test_matches_reference_parameter_count(self, kwargs: dict, parameters: int) -> None:
        with torch.device("meta"):
            net = PatchDiscriminator(**kwargs)
        assert sum(p.numel() for p in net.parameters()) == parameters  # junyanz pix2pix / CycleGAN basic D
