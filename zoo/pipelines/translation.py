"""Translation pipelines: pix2pix and CycleGAN. PIL in, PIL out, output at the input's size."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from zoo.errors import InputError
from zoo.pipelines.base import Pipeline
from zoo.pipelines.images import from_array, open_image, pad_to_multiple, split_alpha, to_array, to_numpy, to_tensor
from zoo.pipelines.restoration import probe_image


def working_tensor(array: np.ndarray, size: int, device: torch.device) -> torch.Tensor:
    """[1,C,size,size] tensor: the image resized (area when shrinking) to the network's working resolution."""
    x = to_tensor(array, device)
    mode = "area" if min(x.shape[-2:]) >= size else "bicubic"
    return F.interpolate(x, size=(size, size), mode=mode, **({} if mode == "area" else {"align_corners": False}))


def back_to_size(y: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return F.interpolate(y, size=(height, width), mode="bicubic", align_corners=False)


class Pix2PixPipeline(Pipeline):
    """Paired translation A -> B: ``pipe(image) -> Image`` with the input's size.

    The input is resized to the working resolution the generator was trained at (e.g. 256x256), translated, and the
    output resized back to the input's size.
    """

    task = "pix2pix"

    @property
    def working_size(self) -> int:
        return int(self.options.get("working_size", 256))

    @torch.no_grad()
    def translate_tensor(self, x: torch.Tensor, key: str = "model") -> torch.Tensor:
        """[N,C,H,W] in [-1,1] at the working size -> [N,C,H,W] in [-1,1]."""
        net = self.models[key]
        padded, (height, width) = pad_to_multiple(x, int(getattr(net, "required_multiple", 1)))
        return net(padded)[..., :height, :width]

    def _translate(self, image: Any, key: str) -> Image.Image:
        image, alpha = split_alpha(open_image(image))
        channels = int(self.options.get("in_channels", 3))
        array = to_array(image, channels)
        x = working_tensor(array * 2.0 - 1.0, self.working_size, self.device)
        y = back_to_size(self.translate_tensor(x, key), image.height, image.width)
        return from_array((to_numpy(y) + 1.0) / 2.0, alpha)

    def __call__(self, image: Any) -> Image.Image:
        return self._translate(image, "model")

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        key = next(iter(self.models))
        channels = int(self.options.get("in_channels", 3))
        x = torch.from_numpy(probe_image(self.working_size, channels)).float()
        x = (x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None]) * 2 - 1
        return {"image": x}, self.translate_tensor(x.to(self.device), key)


class CycleGANPipeline(Pix2PixPipeline):
    """Unpaired translation both ways: ``pipe(image, direction="AtoB") -> Image``; both generators in one checkpoint.

    ``pipe.round_trip(image, direction)`` returns ``(G(x), F(G(x)))`` for the cycle view.
    """

    task = "cyclegan"
    DIRECTIONS = ("AtoB", "BtoA")

    def _key(self, direction: str) -> str:
        if direction not in self.DIRECTIONS:
            raise InputError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        return direction

    def __call__(self, image: Any, direction: str = "AtoB") -> Image.Image:
        return self._translate(image, self._key(direction))

    def round_trip(self, image: Any, direction: str = "AtoB") -> tuple[Image.Image, Image.Image]:
        forward = self(image, direction)
        back = "BtoA" if self._key(direction) == "AtoB" else "AtoB"
        return forward, self(forward, back)

    @property
    def domains(self) -> tuple[str, str]:
        return tuple(self.options.get("domains", ("A", "B")))
