"""Building blocks shared by the zoo's networks (each defined once, reused by every family).

- ``ConvNormAct``: convolution (or transposed convolution) -> normalisation -> activation -> dropout.
- ``ResidualBlock``: ``x + res_scale * (conv-norm-ReLU-conv-norm)(x)``; CycleGAN's block with instance norm and
  reflection padding, EDSR's block with ``norm="none"`` and ``res_scale``.
- ``UNetUp``: one pix2pix decoder level, ReLU -> 2x upsampling convolution -> norm -> dropout.
- ``make_mlp``: Linear -> activation stacks (dense autoencoder, MLP VAE, toy GAN).
- ``make_norm`` / ``make_activation`` / ``check_*``: small helpers with errors a caller can act on.

PatchGAN layers are ``ConvNormAct(kernel_size=4, stride=2 or 1, padding=1, act="leaky_relu")``; U-Net encoder levels
are the same with ``stride=2``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from zoo.errors import InputError

__all__ = [
    "ACTIVATIONS",
    "NORMS",
    "PADDING_MODES",
    "ConvNormAct",
    "ResidualBlock",
    "UNetUp",
    "check_choice",
    "check_image_shape",
    "check_spatial_multiple",
    "make_activation",
    "make_mlp",
    "make_norm",
]

NORMS = ("batch", "instance", "none")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "none")
PADDING_MODES = ("zeros", "reflect", "replicate")
LEAKY_SLOPE = 0.2  # the slope of every LeakyReLU in the GAN literature the zoo follows (DCGAN, pix2pix, CycleGAN)


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ``ValueError`` that lists them."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported: choose one of {', '.join(map(repr, choices))}.")
    return value


def check_image_shape(x: torch.Tensor, channels: int, size: int, owner: str) -> None:
    """Raise ``InputError`` unless ``x`` is ``[N, channels, size, size]`` (for nets with fixed-size dense layers)."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, size, size):
        raise InputError(
            f"{owner} expects images of shape [N, {channels}, {size}, {size}], got {tuple(x.shape)}: "
            "resize the images to the size the net was built for."
        )


def check_spatial_multiple(x: torch.Tensor, multiple: int, owner: str) -> None:
    """Raise ``InputError`` unless ``x`` is ``[N, C, H, W]`` with H and W multiples of ``multiple``."""
    if x.ndim != 4:
        raise InputError(f"{owner} expects a 4-D tensor [N, C, H, W], got shape {tuple(x.shape)}.")
    height, width = x.shape[-2:]
    if height % multiple or width % multiple:
        raise InputError(
            f"{owner} needs H and W to be multiples of {multiple}, got {height}x{width}: pad the input "
            f"(e.g. F.pad(x, ..., mode='reflect')) up to the next multiple and crop the output back."
        )


def make_norm(norm: str, channels: int) -> nn.Module:
    """``"batch"`` -> BatchNorm2d, ``"instance"`` -> InstanceNorm2d (no affine, no running stats, as in CycleGAN),
    ``"none"`` -> Identity."""
    check_choice("norm", norm, NORMS)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


def make_activation(act: str) -> nn.Module:
    """``"relu"``, ``"leaky_relu"`` (slope 0.2), ``"tanh"``, ``"sigmoid"`` or ``"none"`` (Identity)."""
    check_choice("act", act, ACTIVATIONS)
    if act == "relu":
        return nn.ReLU()
    if act == "leaky_relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    if act == "tanh":
        return nn.Tanh()
    if act == "sigmoid":
        return nn.Sigmoid()
    return nn.Identity()


class ConvNormAct(nn.Sequential):
    """Conv2d (or ConvTranspose2d) -> norm -> activation -> dropout; ``[N, in, H, W] -> [N, out, H', W']``.

    ``padding=None`` means ``kernel_size // 2`` ("same" for odd kernels at stride 1). ``bias=None`` follows the
    pix2pix/CycleGAN rule: no bias before BatchNorm (its shift replaces it), a bias otherwise.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        norm: str = "none",
        act: str = "relu",
        dropout: float = 0.0,
        bias: bool | None = None,
        padding_mode: str = "zeros",
        transpose: bool = False,
        output_padding: int = 0,
    ) -> None:
        padding = kernel_size // 2 if padding is None else padding
        bias = norm != "batch" if bias is None else bias
        check_choice("padding_mode", padding_mode, PADDING_MODES)
        if transpose:
            conv: nn.Module = nn.ConvTranspose2d(
                in_channels, out_channels, kernel_size, stride, padding, output_padding=output_padding, bias=bias
            )
        else:
            conv = nn.Conv2d(
                in_channels, out_channels, kernel_size, stride, padding, bias=bias, padding_mode=padding_mode
            )
        layers = [conv, make_norm(norm, out_channels), make_activation(act)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*(layer for layer in layers if not isinstance(layer, nn.Identity)))


class ResidualBlock(nn.Module):
    """``x + res_scale * body(x)`` with body = conv3x3 -> norm -> ReLU [-> dropout] -> conv3x3 -> norm.

    Shape-preserving: ``[N, C, H, W] -> [N, C, H, W]``. CycleGAN: ``norm="instance", padding_mode="reflect"``;
    EDSR: ``norm="none", res_scale=0.1..1``.
    """

    def __init__(
        self,
        channels: int,
        norm: str = "none",
        padding_mode: str = "zeros",
        res_scale: float = 1.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.body = nn.Sequential(
            ConvNormAct(channels, channels, 3, norm=norm, act="relu", dropout=dropout, padding_mode=padding_mode),
            ConvNormAct(channels, channels, 3, norm=norm, act="none", padding_mode=padding_mode),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.body(x)


class WideActivationBlock(nn.Module):
    """WDSR-B's residual block (Yu et al. 2018, "Wide Activation for Efficient and Accurate Image Super-Resolution"):
    ``x + res_scale * body(x)`` with body = conv1x1 (``channels -> expansion * channels``) -> ReLU -> conv1x1
    (``-> low_rank * channels``, linear) -> conv3x3 (``-> channels``). The activation runs ``expansion`` times wider
    than EDSR's at about the same weights: with ``expansion=6, low_rank=0.8`` a block has 18 C² weights, as an EDSR
    block (two 3x3 convolutions) does. Weight normalisation, which the paper adds for training speed, is left out.
    Shape-preserving: ``[N, C, H, W] -> [N, C, H, W]``.
    """

    def __init__(self, channels: int, expansion: int = 6, low_rank: float = 0.8, res_scale: float = 1.0) -> None:
        super().__init__()
        self.res_scale = res_scale
        wide, narrow = channels * expansion, max(1, round(channels * low_rank))
        self.body = nn.Sequential(
            nn.Conv2d(channels, wide, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(wide, narrow, 1),
            nn.Conv2d(narrow, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.body(x)


class UNetUp(nn.Sequential):
    """One pix2pix decoder level: ReLU -> 2x upsampling conv -> norm -> dropout; ``[N, in, H, W] -> [N, out, 2H, 2W]``.

    ``upsampling="transpose"``: ConvTranspose2d(4, stride 2, padding 1) as in pix2pix.
    ``upsampling="nearest"``: nearest-neighbour x2 then Conv2d(3) (Keras' UpSampling2D + Conv2D; no checkerboard).
    The ReLU comes first (the pix2pix reference's pre-activation order): the level below hands over its normalised,
    not yet activated output, concatenated with the encoder's skip.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: str = "batch",
        dropout: float = 0.0,
        upsampling: str = "transpose",
        bias: bool | None = None,
    ) -> None:
        check_choice("upsampling", upsampling, ("transpose", "nearest"))
        if upsampling == "transpose":
            up = [ConvNormAct(in_channels, out_channels, 4, 2, 1, norm=norm, act="none", bias=bias, transpose=True)]
        else:
            up = [
                nn.Upsample(scale_factor=2, mode="nearest"),
                ConvNormAct(in_channels, out_channels, 3, norm=norm, act="none", bias=bias),
            ]
        layers = [nn.ReLU(), *up]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


def make_mlp(sizes: Sequence[int], act: str = "relu", final_act: str = "none") -> nn.Sequential:
    """Linear layers through ``sizes`` (``[in, hidden..., out]``), ``act`` after each but the last, ``final_act`` last.

    ``[N, sizes[0]] -> [N, sizes[-1]]``.
    """
    if len(sizes) < 2:
        raise ValueError(f"make_mlp needs at least an input and an output size, got {list(sizes)}.")
    layers: list[nn.Module] = []
    last = len(sizes) - 2
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers += [nn.Linear(fan_in, fan_out), make_activation(final_act if index == last else act)]
    return nn.Sequential(*(layer for layer in layers if not isinstance(layer, nn.Identity)))
