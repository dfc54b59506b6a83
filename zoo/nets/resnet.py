"""The CycleGAN ResNet generator (Johnson et al. 2016 as used by Zhu et al. 2017; junyanz ``resnet_9blocks``)."""

from __future__ import annotations

import torch
from torch import nn

from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import NORMS, PADDING_MODES, ConvNormAct, ResidualBlock, check_choice, check_spatial_multiple

__all__ = ["ResnetGenerator"]


class ResnetGenerator(ZooNet):
    """ResNet generator: ``[N, in_channels, H, W]`` in [-1, 1] -> ``[N, out_channels, H, W]`` in [-1, 1] (tanh).

    c7s1-ngf, d(2 ngf), d(4 ngf), ``n_blocks`` x R(4 ngf), u(2 ngf), u(ngf), c7s1-out, tanh: 7x7 convs and residual
    blocks use ``padding`` ("reflect" as in CycleGAN, or "replicate"/"zeros"); downsampling is Conv(3, stride 2) and
    upsampling ConvTranspose(3, stride 2, output_padding 1), each followed by ``norm`` and ReLU. ``n_blocks=9`` for
    256x256 training, 6 for 128x128.

    H and W must be multiples of ``required_multiple = 4`` (two stride-2 stages); other sizes raise ``InputError``:
    callers pad (reflect) and crop back. Any size that is a multiple of 4 is kept exactly (e.g. 300x200).
    """

    required_multiple = 4

    @register_to_config
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        padding: str = "reflect",
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("padding", padding, PADDING_MODES)
        layers: list[nn.Module] = [ConvNormAct(in_channels, ngf, 7, norm=norm, act="relu", padding_mode=padding)]
        for mult in (1, 2):
            layers.append(ConvNormAct(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, norm=norm, act="relu"))
        layers += [ResidualBlock(ngf * 4, norm=norm, padding_mode=padding) for _ in range(n_blocks)]
        for mult in (4, 2):
            layers.append(
                ConvNormAct(
                    ngf * mult, ngf * mult // 2, 3, 2, 1, norm=norm, act="relu", transpose=True, output_padding=1
                )
            )
        layers.append(ConvNormAct(ngf, out_channels, 7, act="tanh", bias=True, padding_mode=padding))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` in [-1, 1], H and W multiples of 4 -> ``[N, out_channels, H, W]`` in [-1, 1]."""
        check_spatial_multiple(x, self.required_multiple, type(self).__name__)
        return self.model(x)
