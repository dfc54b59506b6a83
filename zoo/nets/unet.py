"""pix2pix networks: the U-Net generator and the PatchGAN discriminator (Isola et al. 2017; junyanz reference code).

``UNetGenerator(num_downs=8)`` is the reference ``unet_256``, ``num_downs=7`` is ``unet_128``.
``PatchDiscriminator(n_layers=3)`` is the 70x70 PatchGAN shared by pix2pix and CycleGAN.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import NORMS, ConvNormAct, UNetUp, check_choice, check_spatial_multiple, make_activation

__all__ = ["PatchDiscriminator", "UNetGenerator"]


class UNetGenerator(ZooNet):
    """The pix2pix U-Net: ``[N, in_channels, H, W] -> [N, out_channels, H, W]``.

    Input: images scaled to [-1, 1]. Output: [-1, 1] with ``final_activation="tanh"``, unbounded with ``"none"``.
    H and W must be multiples of ``required_multiple = 2 ** num_downs`` (256 for ``num_downs=8``), hence at least that
    large; any other size raises ``InputError``: callers pad (reflect) and crop back.

    Level ``i`` (0 = outermost) has ``ngf * min(2**i, 8)`` channels. Encoder level: Conv(4, stride 2, pad 1) ->
    norm -> LeakyReLU(0.2), with no norm on the outermost and the innermost level (as in the reference, so a 1x1
    innermost map never meets a norm). Decoder level: ReLU -> ConvTranspose(4, stride 2, pad 1) -> norm -> Dropout(0.5);
    dropout sits on the reference's ``num_downs - 5`` intermediate ``ngf * 8`` decoder levels (three for unet_256) and
    is active in training mode only. With ``use_skips`` each decoder level sees ``cat([encoder skip, level below])``.

    Variants from the course: ``use_skips=False`` is the plain encoder-decoder; ``upsampling="nearest"`` swaps each
    transposed convolution for nearest x2 + Conv(3) (the blurry UpSampling2D map baseline).

    Example:
        >>> net = UNetGenerator(num_downs=7, ngf=8).eval()
        >>> net(torch.zeros(1, 3, 128, 128)).shape
        torch.Size([1, 3, 128, 128])
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_downs: int = 8,
        ngf: int = 64,
        norm: str = "batch",
        use_dropout: bool = True,
        use_skips: bool = True,
        upsampling: str = "transpose",
        final_activation: str = "tanh",
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("final_activation", final_activation, ("tanh", "none"))
        if num_downs < 1:
            raise ValueError(f"num_downs={num_downs} must be at least 1 (8 for 256x256 inputs, 7 for 128x128).")
        widths = [ngf * min(2**level, 8) for level in range(num_downs)]
        bias = norm != "batch"  # the reference's use_bias rule, applied to every conv but the last
        innermost = num_downs - 1

        self.down = nn.ModuleList()
        self.up = nn.ModuleList()  # up[i] decodes level i; applied innermost first
        for level, width in enumerate(widths):
            is_edge = level in (0, innermost)
            self.down.append(
                ConvNormAct(
                    widths[level - 1] if level else in_channels,
                    width,
                    kernel_size=4,
                    stride=2,
                    padding=1,
                    norm="none" if is_edge else norm,
                    # the innermost output goes straight into the decoder's ReLU
                    act="none" if level == innermost else "leaky_relu",
                    bias=bias,
                )
            )
            self.up.append(
                UNetUp(
                    width if level == innermost or not use_skips else 2 * width,
                    widths[level - 1] if level else out_channels,
                    norm="none" if level == 0 else norm,
                    dropout=0.5 if use_dropout and 4 <= level < innermost else 0.0,
                    upsampling=upsampling,
                    bias=True if level == 0 else bias,
                )
            )
        self.final = make_activation(final_activation)

    @property
    def required_multiple(self) -> int:
        """H and W of the input must be multiples of this (``2 ** num_downs``)."""
        return 2**self.config.num_downs

    def run_levels(self, x: torch.Tensor, stop: int = 0) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The encoder, then the decoder from the innermost level down to level ``stop`` (0: all of it). Returns the
        output of decoder level ``stop`` and the encoder skips of the levels below it, outermost first (empty for
        ``stop=0``); ``ColorizationUNet``'s low-resolution head stops early."""
        skips = []
        h = x
        for down in self.down:
            h = down(h)
            skips.append(h)
        h = self.up[-1](skips.pop())
        for level in range(len(self.up) - 2, stop - 1, -1):
            skip = skips.pop()
            h = self.up[level](torch.cat([skip, h], dim=1) if self.config.use_skips else h)
        return h, skips

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` in [-1, 1] -> ``[N, out_channels, H, W]`` (tanh range unless ``"none"``)."""
        check_spatial_multiple(x, self.required_multiple, type(self).__name__)
        return self.final(self.run_levels(x)[0])


class PatchDiscriminator(ZooNet):
    """PatchGAN discriminator: ``[N, in_channels, H, W] -> [N, 1, H', W']`` logits, one per overlapping patch.

    ``n_layers=3`` is the 70x70 PatchGAN (``receptive_field`` tells the patch size): for a 256x256 input the output
    is a 30x30 grid; generally ``H' = H / 2**n_layers - 2`` for H a multiple of ``2**n_layers`` (H >= 2**(n_layers+2)
    keeps the grid non-empty). Layers: Conv(4, s2) -> LeakyReLU(0.2) (no norm), ``n_layers - 1`` x Conv(4, s2) ->
    norm -> LeakyReLU, Conv(4, s1) -> norm -> LeakyReLU, Conv(4, s1) to one channel. Channels ``ndf * min(2**k, 8)``.

    Inputs in [-1, 1]. For a conditional (pix2pix) discriminator the caller concatenates input and output images
    along channels, hence ``in_channels=6`` for RGB -> RGB; CycleGAN uses ``in_channels=3``. Returns raw logits
    (use BCEWithLogits or MSE for LSGAN).
    """

    @register_to_config
    def __init__(self, in_channels: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        if n_layers < 1:
            raise ValueError(f"n_layers={n_layers} must be at least 1 (3 gives the 70x70 PatchGAN).")
        layers = [ConvNormAct(in_channels, ndf, 4, 2, 1, norm="none", act="leaky_relu", bias=True)]
        mult = 1
        for k in range(1, n_layers + 1):
            previous, mult = mult, min(2**k, 8)
            stride = 2 if k < n_layers else 1
            layers.append(ConvNormAct(ndf * previous, ndf * mult, 4, stride, 1, norm=norm, act="leaky_relu"))
        layers.append(nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    @property
    def receptive_field(self) -> int:
        """Side in pixels of the input patch each output logit sees (70 for ``n_layers=3``)."""
        strides = [2] * self.config.n_layers + [1, 1]
        field = 1
        for stride in reversed(strides):
            field = (field - 1) * stride + 4
        return field

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` -> ``[N, 1, H', W']`` patch logits."""
        return self.model(x)
