"""Image restoration networks: denoising (DRUNet, FFDNet, DnCNN), super-resolution (EDSR-baseline family), colorization.

All take and return ``[N, C, H, W]`` float tensors; value conventions are in each class's docstring.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo.errors import InputError
from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import ConvNormAct, ResidualBlock, WideActivationBlock, check_choice, check_spatial_multiple
from zoo.nets.unet import UNetGenerator

__all__ = ["ColorizationUNet", "DRUNet", "DnCNN", "FFDNet", "StrengthEstimator", "SuperResNet"]


def plain_denoiser_stack(in_channels: int, out_channels: int, features: int, num_layers: int) -> nn.Sequential:
    """The DnCNN/FFDNet body: Conv3 -> ReLU, ``num_layers - 2`` x (Conv3 -> BatchNorm -> ReLU), Conv3."""
    if num_layers < 2:
        raise ValueError(f"num_layers={num_layers} must be at least 2 (a first and a last convolution).")
    return nn.Sequential(
        ConvNormAct(in_channels, features, 3, act="relu"),
        *(ConvNormAct(features, features, 3, norm="batch", act="relu") for _ in range(num_layers - 2)),
        nn.Conv2d(features, out_channels, 3, padding=1),
    )


def noise_level_map(sigma: torch.Tensor | float, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Broadcast ``sigma`` (a float, or a tensor with 1 or N values) to a ``[N, 1, height, width]`` map like ``x``."""
    batch = x.shape[0]
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1)
    if sigma.numel() not in (1, batch):
        raise InputError(f"sigma has {sigma.numel()} values for a batch of {batch}: give one value or one per image.")
    return sigma.reshape(-1, 1, 1, 1).expand(batch, 1, height, width)


class FFDNet(ZooNet):
    """Noise-level-aware denoiser (Zhang et al. 2018): ``forward(x, sigma)`` -> denoised ``[N, C, H, W]``.

    ``x``: noisy images in [0, 1] (values outside are fine), H and W even (``required_multiple = 2``; otherwise
    ``InputError``: callers pad by one row/column and crop back). ``sigma``: noise standard deviation on the 0-1 scale
    (``sigma255 / 255``) as a tensor ``[N]``, a single value, or a float. Output: approximately [0, 1], not clamped.

    The noisy image is pixel-unshuffled (x2) into ``4 C`` channels, a constant noise-level map is appended, the plain
    conv stack (Conv-ReLU, ``num_layers - 2`` x Conv-BN-ReLU, Conv) runs at half resolution and a pixel shuffle
    restores full resolution. Unlike the paper (which predicts the clean image), the stack predicts the noise and the
    output is ``x - noise`` (``residual=True``, DnCNN's residual learning, faster to train); ``residual=False`` gives
    the paper's direct prediction. ``max_sigma`` (0-255 scale) records the largest noise level seen in training for
    pipelines and training scripts; the net itself accepts any sigma. Paper settings: grey ``features=64,
    num_layers=15``; colour ``in_channels=3, features=96, num_layers=12``.
    """

    required_multiple = 2

    @register_to_config
    def __init__(
        self,
        in_channels: int = 1,
        features: int = 64,
        num_layers: int = 15,
        max_sigma: float = 75.0,
        residual: bool = True,
    ) -> None:
        super().__init__()
        self.body = plain_denoiser_stack(4 * in_channels + 1, 4 * in_channels, features, num_layers)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """``x [N, C, H, W]`` (H, W even) in [0, 1], ``sigma [N]`` on the 0-1 scale -> ``[N, C, H, W]``."""
        check_spatial_multiple(x, self.required_multiple, type(self).__name__)
        h = F.pixel_unshuffle(x, 2)
        h = torch.cat([h, noise_level_map(sigma, x, h.shape[-2], h.shape[-1])], dim=1)
        out = F.pixel_shuffle(self.body(h), 2)
        return x - out if self.config.residual else out

    @property
    def last_conv(self) -> nn.Conv2d:
        """The convolution that writes the output (zero it to start training from the identity)."""
        return self.body[-1]

    @property
    def receptive_radius(self) -> int:
        """Input pixels on each side that reach one output pixel: ``num_layers`` 3x3 convolutions at half resolution
        (two pixels each) plus one for the pixel's place in its 2x2 unshuffle cell."""
        return 2 * self.config.num_layers + 1


class DRUNet(ZooNet):
    """Noise-level-aware residual U-Net denoiser (DRUNet, Zhang et al. 2021, at reduced width and depth):
    ``forward(x, sigma)`` -> denoised ``[N, C, H, W]``, the same contract as ``FFDNet``.

    ``x``: noisy images in [0, 1] (values outside are fine), H and W multiples of ``required_multiple =
    2 ** (len(widths) - 1)`` (otherwise ``InputError``: callers reflect-pad and crop back). ``sigma``: noise std on
    the 0-1 scale, a float or a tensor with 1 or N values. Output approximately [0, 1], not clamped.

    A constant noise-level map is concatenated to the image, a 3x3 head lifts it to ``widths[0]`` features, then
    each level runs ``blocks`` residual blocks (Conv3-ReLU-Conv3 + identity, no normalisation) and a 2x2 stride-2
    convolution halves the resolution; the bottom level runs ``blocks`` residual blocks at ``widths[-1]``; each level
    up is a 2x2 stride-2 transposed convolution, plus the encoder's features at that level (additive skip), then
    ``blocks`` residual blocks; a 3x3 tail predicts the noise and the output is ``x - noise``. The paper's DRUNet:
    ``widths=(64, 128, 256, 512), blocks=4`` (32.6 M parameters, bias-free); the zoo's CPU size
    ``widths=(32, 64, 128, 256), blocks=1`` has 2.3 M. ``max_sigma`` (0-255) records the training range for pipelines.
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 1,
        widths: tuple[int, ...] = (32, 64, 128, 256),
        blocks: int = 1,
        max_sigma: float = 75.0,
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or blocks < 1:
            raise ValueError(f"DRUNet needs at least two widths and one block per level, got {widths}, {blocks}.")

        def stage(width: int) -> nn.Sequential:
            return nn.Sequential(*(ResidualBlock(width, norm="none") for _ in range(blocks)))

        self.head = nn.Conv2d(in_channels + 1, widths[0], 3, padding=1)
        self.encoders = nn.ModuleList(stage(w) for w in widths[:-1])
        self.downs = nn.ModuleList(nn.Conv2d(a, b, 2, stride=2) for a, b in itertools.pairwise(widths))
        self.middle = stage(widths[-1])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in itertools.pairwise(widths))
        self.decoders = nn.ModuleList(stage(w) for w in widths[:-1])
        self.tail = nn.Conv2d(widths[0], in_channels, 3, padding=1)

    @property
    def required_multiple(self) -> int:
        """H and W of the input must be multiples of this (``2 ** (len(widths) - 1)``)."""
        return 2 ** (len(self.config.widths) - 1)

    @property
    def last_conv(self) -> nn.Conv2d:
        """The convolution that writes the predicted noise (zero it to start training from the identity)."""
        return self.tail

    @property
    def receptive_radius(self) -> int:
        """Input pixels on each side that reach one output pixel: at level ``k`` (scale ``2 ** k``) each 3x3
        convolution reaches ``2 ** k`` pixels further, a 2x2 stride-2 convolution ``2 ** k`` (its window spans two
        pixels of its level), a 2x2 transposed convolution none; plus head and tail."""
        levels, convs = len(self.config.widths), 2 * self.config.blocks
        radius = 2 + 2 ** (levels - 1) * convs  # head + tail, the bottom level
        for k in range(levels - 1):
            radius += 2 * convs * 2**k + 2**k  # encoder and decoder stages, the way down
        return radius

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """``x [N, C, H, W]`` (H, W multiples of ``required_multiple``) in [0, 1], ``sigma`` 0-1 -> ``[N, C, H, W]``."""
        check_spatial_multiple(x, self.required_multiple, type(self).__name__)
        h = self.head(torch.cat([x, noise_level_map(sigma, x, x.shape[-2], x.shape[-1])], dim=1))
        skips = []
        for encoder, down in zip(self.encoders, self.downs, strict=True):
            h = encoder(h)
            skips.append(h)
            h = down(h)
        h = self.middle(h)
        for up, decoder in zip(reversed(self.ups), reversed(self.decoders), strict=True):
            h = decoder(up(h) + skips.pop())
        return x - self.tail(h)


class DnCNN(ZooNet):
    """Blind residual denoiser (Zhang et al. 2017): ``[N, C, H, W]`` noisy in [0, 1] -> ``x - noise`` ``[N, C, H, W]``.

    Body: Conv-ReLU, ``num_layers - 2`` x Conv-BN-ReLU, Conv, predicting the noise at full resolution. Any H, W.
    ``forward(x, sigma=None)`` ignores ``sigma`` so it can stand in for ``FFDNet``. Output approximately [0, 1],
    not clamped.
    """

    required_multiple = 1

    @register_to_config
    def __init__(self, in_channels: int = 1, features: int = 64, num_layers: int = 17) -> None:
        super().__init__()
        self.body = plain_denoiser_stack(in_channels, in_channels, features, num_layers)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float | None = None) -> torch.Tensor:
        """``[N, C, H, W]`` noisy -> ``[N, C, H, W]`` denoised; ``sigma`` is accepted and ignored (blind)."""
        return x - self.body(x)


class StrengthEstimator(ZooNet):
    """A small CNN that reads how degraded a photo is: ``forward(x) -> [N]`` the predicted effective strength (RMS of
    degraded - clean, 0-1 scale) that a ``DRUNet`` trained on real-world degradations (``denoise-real``) is
    conditioned on; ``strength_map(x) -> [N, 1, H/8, W/8]`` the same per 8x8 block.

    Three stride-2 stages (3x3 convolutions, ReLU) bring the image to 1/8 resolution, where the JPEG block grid and
    the grain size are visible to a 3x3 convolution; a 1x1 convolution and softplus give a non-negative strength per
    position, and ``forward`` averages it. Unlike a white-noise estimator it is trained on the same mix as the
    denoiser (JPEG blocks, correlated and signal-dependent noise), so it does not read 0 for a blocky or grainy photo.
    Any H, W (multiples of 8 are exact; others are cropped by the strides). About 0.1 M parameters.

    ``pooling="attention"`` adds a second output channel, a per-position weight logit; ``forward`` is then the
    softmax-weighted mean over positions. The net learns where to look: white noise is read from flat regions
    (texture reads as noise to a small receptive field and made ``mean`` pooling over-read AWGN sigma 25 as ~31),
    JPEG blocking from edges and texture, where its error is.
    """

    required_multiple = 8

    @register_to_config
    def __init__(self, in_channels: int = 3, features: int = 32, pooling: str = "mean") -> None:
        super().__init__()
        if pooling not in ("mean", "attention"):
            raise ValueError(f"pooling must be 'mean' or 'attention', not {pooling!r}")
        self.pooling = pooling
        f = int(features)
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, f, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(f, 2 * f, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(2 * f, 2 * f, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(2 * f, 2 * f, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(2 * f, 2 if pooling == "attention" else 1, 1),
        )

    def outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The strength map ``[N, 1, h, w]`` (0-1 scale) and, for attention pooling, the weight logits."""
        out = self.body(x - 0.5)
        strength = F.softplus(out[:, :1]) * 0.05
        return strength, (out[:, 1:2] if self.pooling == "attention" else None)

    def strength_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, H, W]`` in [0, 1] -> ``[N, 1, ~H/8, ~W/8]`` non-negative strengths (0-1 scale)."""
        return self.outputs(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, H, W]`` in [0, 1] -> ``[N]`` the pooled predicted strength (0-1 scale)."""
        strength, logits = self.outputs(x)
        if logits is None:
            return strength.mean(dim=(1, 2, 3))
        weights = torch.softmax(logits.flatten(1).float(), dim=1)
        return (strength.flatten(1).float() * weights).sum(dim=1)


def upsampling_factors(scale: int) -> list[int]:
    """The sub-pixel steps for ``scale``: ``[2] * log2(scale)`` for powers of two, ``[3]`` for 3."""
    if scale == 3:
        return [3]
    if scale >= 2 and scale & (scale - 1) == 0:
        return [2] * int(math.log2(scale))
    raise ValueError(f"scale={scale} is not supported: use 3 or a power of two (2, 4, 8).")


class SuperResNet(ZooNet):
    """EDSR-baseline super-resolution: ``[N, C, h, w]`` in [0, 1] -> ``[N, C, scale*h, scale*w]`` (about [0, 1]).

    Head Conv3, ``num_blocks`` residual blocks (Conv-ReLU-Conv, no BN, scaled by ``res_scale``) + Conv3 with a long
    skip, sub-pixel upsampler (Conv3 -> PixelShuffle: one x2 step per factor of two, one x3 step for scale 3), tail
    Conv3. With ``global_skip="bicubic"`` the net learns the residual over bicubic interpolation of the input. Any
    input size; the output is exactly ``scale`` times it and not clamped (callers clamp to [0, 1]). EDSR-baseline:
    ``features=64, num_blocks=16, res_scale=1``; EDSR: ``features=256, num_blocks=32, res_scale=0.1``.
    ``block="wdsr"`` swaps each residual block for WDSR-B's wide-activation block (``WideActivationBlock``, widened
    ``expansion`` times; at 6 it has the EDSR block's weight count), in the same skeleton.
    """

    required_multiple = 1

    @register_to_config
    def __init__(
        self,
        scale: int = 2,
        in_channels: int = 3,
        features: int = 64,
        num_blocks: int = 16,
        res_scale: float = 1.0,
        global_skip: str = "bicubic",
        block: str = "edsr",
        expansion: int = 6,
    ) -> None:
        super().__init__()
        check_choice("global_skip", global_skip, ("bicubic", "none"))
        check_choice("block", block, ("edsr", "wdsr"))
        self.head = nn.Conv2d(in_channels, features, 3, padding=1)

        def residual() -> nn.Module:
            if block == "wdsr":
                return WideActivationBlock(features, expansion=expansion, res_scale=res_scale)
            return ResidualBlock(features, norm="none", res_scale=res_scale)

        self.body = nn.Sequential(
            *(residual() for _ in range(num_blocks)),
            nn.Conv2d(features, features, 3, padding=1),
        )
        upsampler: list[nn.Module] = []
        for factor in upsampling_factors(scale):
            upsampler += [nn.Conv2d(features, features * factor**2, 3, padding=1), nn.PixelShuffle(factor)]
        self.upsampler = nn.Sequential(*upsampler)
        self.tail = nn.Conv2d(features, in_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, h, w]`` low-resolution in [0, 1] -> ``[N, C, scale*h, scale*w]``."""
        h = self.head(x)
        h = h + self.body(h)
        out = self.tail(self.upsampler(h))
        if self.config.global_skip == "bicubic":
            out = out + F.interpolate(x, scale_factor=self.config.scale, mode="bicubic", align_corners=False)
        return out

    @property
    def receptive_radius(self) -> int:
        """Low-resolution pixels on each side that reach one output pixel: head, two per residual block (one per
        WDSR block: its other convolutions are 1x1), the body's last convolution, one per upsampling step, the tail
        (at high resolution)."""
        per_block = 1 if getattr(self.config, "block", "edsr") == "wdsr" else 2
        return per_block * self.config.num_blocks + len(upsampling_factors(self.config.scale)) + 3


class ColorizationUNet(ZooNet):
    """Colorization U-Net: lightness ``[N, in_channels, H, W]`` -> chroma.

    Input: ``L / 50 - 1`` (L in [0, 100] mapped to [-1, 1]), plus, with ``in_channels=4``, a user-hint map (mask and
    hint ab / 110, ``zoo.colorbins.encode_hints``). Output: ``head="regression"``: ``[N, 2, H, W]`` tanh in [-1, 1]
    meaning ``ab / 110``; ``head="classification"``: ``[N, out_channels, H, W]`` logits over the quantised ab bins
    (``zoo.colorbins``, Zhang et al. 2016), decoded by the pipeline's annealed mean. A ``UNetGenerator``
    (transposed-conv decoder, skips, no dropout) built from this config; H and W must be multiples of
    ``required_multiple = 2 ** num_downs`` (callers pad and crop back).

    ``head_stride`` (a power of two, classification only) stops the decoder early and predicts the bins at
    ``1 / head_stride`` of the input resolution, as Zhang et al. 2016 do (their 313 logits come out at 1/4): the
    head is ReLU -> 1x1 conv over the concatenated skip and decoder features of that level; callers upsample the
    decoded ab. At 128 px and 264 bins this cuts a training step about 7-fold on a CPU
    (``tools/probes/colorize_head_cost.py``), because the full-resolution head dominates the cost.
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        num_downs: int = 5,
        ngf: int = 32,
        norm: str = "batch",
        head: str = "regression",
        head_stride: int = 1,
    ) -> None:
        super().__init__()
        check_choice("head", head, ("regression", "classification"))
        levels = head_stride.bit_length() - 1  # decoder levels skipped: log2(head_stride)
        if head_stride < 1 or head_stride != 1 << levels or levels >= num_downs:
            raise ValueError(f"head_stride={head_stride} must be a power of two below 2 ** num_downs")
        if head_stride > 1 and head != "classification":
            raise ValueError("head_stride > 1 needs head='classification' (a regression head works at full size)")
        self.unet = UNetGenerator(
            in_channels=in_channels,
            out_channels=out_channels,
            num_downs=num_downs,
            ngf=ngf,
            norm=norm,
            use_dropout=False,
            final_activation="tanh" if head == "regression" else "none",
        )
        self.bin_head = None
        if levels:
            width = ngf * min(2 ** (levels - 1), 8)  # channels of level ``levels``'s decoder output and its skip
            for level in range(levels):  # the full-resolution decoder levels are not built
                self.unet.up[level] = nn.Identity()
            self.bin_head = nn.Sequential(nn.ReLU(), nn.Conv2d(2 * width, out_channels, kernel_size=1))

    @property
    def required_multiple(self) -> int:
        """H and W of the input must be multiples of this (``2 ** num_downs``)."""
        return self.unet.required_multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in_channels, H, W]`` -> ``[N, 2, H, W]`` ab / 110, or ``[N, Q, H / s, W / s]`` bin logits
        (``s = head_stride``)."""
        check_spatial_multiple(x, self.required_multiple, type(self).__name__)
        if self.bin_head is None:
            return self.unet(x)
        h, skips = self.unet.run_levels(x, stop=self.config.head_stride.bit_length() - 1)
        return self.bin_head(torch.cat([skips.pop(), h], dim=1))
