"""Autoencoders for MNIST-size images (the course's Keras designs): dense, convolutional, and x2 super-resolution.

Every autoencoder takes ``[N, C, H, W]`` in [0, 1] and returns images in [0, 1] (sigmoid), and exposes
``encode(x) -> code``, ``decode(code) -> image`` and ``forward(x)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from zoo.nets.base import ZooNet, register_to_config
from zoo.nets.blocks import ConvNormAct, check_choice, check_image_shape, make_mlp

__all__ = ["ConvAutoencoder", "DenseAutoencoder", "SuperResAutoencoder"]


def conv_pool_encoder(in_channels: int, channels: int, num_pools: int) -> nn.Sequential:
    """``num_pools`` x (Conv3 -> ReLU -> MaxPool 2): ``[N, in, H, W] -> [N, channels, ceil(H/2^k), ceil(W/2^k)]``.

    ``ceil_mode`` matches Keras' ``MaxPooling2D(padding="same")``, so odd sizes (7 -> 4) lose no pixel.
    """
    layers: list[nn.Module] = []
    for index in range(num_pools):
        layers += [
            ConvNormAct(in_channels if index == 0 else channels, channels, 3, act="relu"),
            nn.MaxPool2d(2, ceil_mode=True),
        ]
    return nn.Sequential(*layers)


def upsampling_decoder(channels: int, out_channels: int, num_ups: int, upsampling: str) -> nn.Sequential:
    """``num_ups`` x 2x upsampling stages, then Conv3 -> sigmoid: ``[N, channels, h, w] -> [N, out, h*2^k, w*2^k]``.

    ``"nearest"``: Conv3 -> ReLU -> UpSampling x2 (Keras ``UpSampling2D``); ``"transpose"``: ConvTranspose(3,
    stride 2) -> ReLU (Keras ``Conv2DTranspose(strides=2, padding="same")``).
    """
    check_choice("upsampling", upsampling, ("nearest", "transpose"))
    layers: list[nn.Module] = []
    for _ in range(num_ups):
        if upsampling == "nearest":
            layers += [ConvNormAct(channels, channels, 3, act="relu"), nn.Upsample(scale_factor=2, mode="nearest")]
        else:
            layers.append(ConvNormAct(channels, channels, 3, 2, 1, act="relu", transpose=True, output_padding=1))
    layers.append(ConvNormAct(channels, out_channels, 3, act="sigmoid"))
    return nn.Sequential(*layers)


class DenseAutoencoder(ZooNet):
    """Fully connected autoencoder: ``[N, C, S, S]`` in [0, 1] -> ``[N, C, S, S]`` in [0, 1], S = ``image_size``.

    Encoder: flatten -> (Linear -> ReLU per ``hidden_sizes``) -> Linear to ``code_size`` -> ``code_activation``
    (ReLU as in the Keras tutorial; ``"none"`` keeps tiny codes such as 1 or 2 from dying). Decoder mirrors it and
    ends in Linear -> sigmoid. ``encode`` gives ``[N, code_size]``; ``decode`` takes ``[N, code_size]``.
    Only ``image_size`` x ``image_size`` inputs are accepted (``InputError`` otherwise).
    """

    @register_to_config
    def __init__(
        self,
        image_size: int = 28,
        in_channels: int = 1,
        code_size: int = 32,
        hidden_sizes: Sequence[int] = (),
        code_activation: str = "relu",
    ) -> None:
        super().__init__()
        check_choice("code_activation", code_activation, ("relu", "none"))
        pixels = in_channels * image_size * image_size
        sizes = [pixels, *hidden_sizes, code_size]
        self.encoder = nn.Sequential(nn.Flatten(), make_mlp(sizes, act="relu", final_act=code_activation))
        self.decoder = nn.Sequential(
            make_mlp(sizes[::-1], act="relu", final_act="sigmoid"),
            nn.Unflatten(1, (in_channels, image_size, image_size)),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, S, S]`` in [0, 1] -> code ``[N, code_size]``."""
        check_image_shape(x, self.config.in_channels, self.config.image_size, type(self).__name__)
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Code ``[N, code_size]`` -> images ``[N, C, S, S]`` in [0, 1]."""
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``decode(encode(x))``: ``[N, C, S, S]`` -> ``[N, C, S, S]`` in [0, 1]."""
        return self.decode(self.encode(x))


class ConvAutoencoder(ZooNet):
    """Convolutional (denoising) autoencoder, the Keras tutorial's design: ``[N, in, H, W]`` -> ``[N, out, H', W']``.

    Encoder: 2 x (Conv3 -> ReLU -> MaxPool 2), ``base_channels`` wide; the code is spatial,
    ``[N, base_channels, ceil(H/4), ceil(W/4)]`` (7x7 for 28x28). Decoder: 2 x (Conv3 -> ReLU -> UpSampling x2) with
    ``upsampling="nearest"`` or 2 x (ConvTranspose3 stride 2 -> ReLU) with ``"transpose"``, then Conv3 -> sigmoid.

    Fully convolutional: ``forward`` accepts any H, W (multiples of 4 avoid the right/bottom padding of the pooling)
    and returns H' = H, W' = W. ``decode(code)`` alone returns 4 x the code's size (uncropped).
    ``input_size``: when set and different from ``image_size`` (e.g. 14 for a 14 -> 28 net), ``forward`` first
    resizes the input bicubically by ``image_size / input_size`` and returns that larger size (pre-upsampling, as
    SRCNN does); ``None`` means input and output sizes are equal.
    Inputs in [0, 1]; outputs in [0, 1].
    """

    required_multiple = 1

    @register_to_config
    def __init__(
        self,
        image_size: int = 28,
        in_channels: int = 1,
        out_channels: int = 1,
        base_channels: int = 32,
        upsampling: str = "nearest",
        input_size: int | None = None,
    ) -> None:
        super().__init__()
        self.encoder = conv_pool_encoder(in_channels, base_channels, num_pools=2)
        self.decoder = upsampling_decoder(base_channels, out_channels, num_ups=2, upsampling=upsampling)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """The ``(H', W')`` that ``forward`` returns for an ``H x W`` input."""
        input_size = self.config.input_size or self.config.image_size
        ratio = self.config.image_size / input_size
        return round(height * ratio), round(width * ratio)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W]`` in [0, 1] -> spatial code ``[N, base_channels, ceil(H/4), ceil(W/4)]``."""
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Spatial code ``[N, base_channels, h, w]`` -> ``[N, out, 4h, 4w]`` in [0, 1]."""
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, in, H, W]`` in [0, 1] -> ``[N, out, *output_size(H, W)]`` in [0, 1]."""
        height, width = self.output_size(*x.shape[-2:])
        if (height, width) != tuple(x.shape[-2:]):
            x = F.interpolate(x, size=(height, width), mode="bicubic", align_corners=False)
        return self.decode(self.encode(x))[..., :height, :width]


class SuperResAutoencoder(ZooNet):
    """Super-resolution autoencoder: ``[N, C, h, w]`` in [0, 1] -> ``[N, C, scale*h, scale*w]`` in [0, 1].

    Encoder: Conv3 -> ReLU -> MaxPool 2 (code ``[N, base_channels, ceil(h/2), ceil(w/2)]``). Decoder:
    ``1 + log2(scale)`` x (Conv3 -> ReLU -> UpSampling x2), then Conv3 -> sigmoid. Trained as 14x14 -> 28x28
    (``in_size`` records the training input size) but fully convolutional: ``forward`` returns exactly ``scale``
    times any input size (odd sizes are cropped back after the pooling's padding). ``scale`` is a power of two.
    """

    required_multiple = 1

    @register_to_config
    def __init__(self, in_size: int = 14, scale: int = 2, in_channels: int = 1, base_channels: int = 32) -> None:
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale={scale} is not supported: use a power of two (2, 4, 8).")
        self.encoder = conv_pool_encoder(in_channels, base_channels, num_pools=1)
        self.decoder = upsampling_decoder(base_channels, in_channels, 1 + int(math.log2(scale)), "nearest")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, h, w]`` in [0, 1] -> spatial code ``[N, base_channels, ceil(h/2), ceil(w/2)]``."""
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Spatial code ``[N, base_channels, h', w']`` -> ``[N, C, 2*scale*h', 2*scale*w']`` in [0, 1]."""
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C, h, w]`` in [0, 1] -> ``[N, C, scale*h, scale*w]`` in [0, 1]."""
        scale = self.config.scale
        return self.decode(self.encode(x))[..., : scale * x.shape[-2], : scale * x.shape[-1]]
