from __future__ import annotations

import pytest
import torch
from torch import nn

from zoo.errors import InputError
from zoo.nets.blocks import ConvNormAct, ResidualBlock, UNetUp, check_spatial_multiple, make_mlp, make_norm

from .common import uniform


def test_conv_norm_act_bias_rule_and_layers() -> None:
    batch = ConvNormAct(3, 4, norm="batch", act="leaky_relu", dropout=0.5)
    assert [type(m) for m in batch] == [nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU, nn.Dropout]
    assert batch[0].bias is None
    assert ConvNormAct(3, 4, norm="instance")[0].bias is not None
    assert ConvNormAct(3, 4, 4, 2, 1, transpose=True)(uniform(1, 3, 5, 5)).shape == (1, 4, 10, 10)


def test_instance_norm_is_the_cyclegan_one() -> None:
    norm = make_norm("instance", 4)
    assert not norm.affine and not norm.track_running_stats


def test_residual_block_is_identity_when_scaled_to_zero() -> None:
    x = uniform(1, 4, 6, 6)
    assert torch.equal(ResidualBlock(4, res_scale=0.0)(x), x)


@pytest.mark.parametrize("upsampling", ["transpose", "nearest"])
def test_unet_up_doubles_size(upsampling: str) -> None:
    assert UNetUp(4, 2, upsampling=upsampling)(uniform(2, 4, 3, 5)).shape == (2, 2, 6, 10)


def test_make_mlp_activations() -> None:
    mlp = make_mlp([4, 8, 2], act="relu", final_act="sigmoid")
    assert [type(m) for m in mlp] == [nn.Linear, nn.ReLU, nn.Linear, nn.Sigmoid]


def test_errors_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match=r"norm='group'.*'batch', 'instance', 'none'"):
        make_norm("group", 4)
    with pytest.raises(InputError, match="4-D tensor"):
        check_spatial_multiple(torch.zeros(3, 8, 8), 2, "Net")
