"""Translation pipelines: pix2pix and CycleGAN. PIL in, PIL out, output at the input's size.

How an input reaches the generator is the checkpoint's ``options["resize"]``:

- ``"square"`` (default; pix2pix): resized to ``working_size`` x ``working_size``, as the generator was trained;
- ``"keep_aspect"`` (CycleGAN): the shorter side scaled to ``working_size``, the aspect ratio kept, so a 300x200
  input runs at 192x128 with objects at the scale seen in training (very elongated inputs: the longer side is capped
  at ``MAX_ASPECT`` working sizes);
- ``"none"``: the input's own resolution (memory grows with the input).

The tensor is then padded (reflect) to the generator's ``required_multiple`` (256 for ``unet_256``, 4 for a ResNet
generator), translated, cropped back and resized to the input's size.
"""

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

RESIZE_MODES = ("square", "keep_aspect", "none")
MIN_SIDE = 32  # "keep_aspect" never makes a side shorter than this
MAX_ASPECT = 4  # "keep_aspect" never makes the longer side more than this many working sizes (memory stays bounded)


def resize_tensor(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """[N,C,H,W] resized to ``height`` x ``width``: area averaging when shrinking both sides, bicubic otherwise."""
    if tuple(x.shape[-2:]) == (height, width):
        return x
    if x.shape[-2] >= height and x.shape[-1] >= width:
        return F.interpolate(x, size=(height, width), mode="area")
    return F.interpolate(x, size=(height, width), mode="bicubic", align_corners=False)


def working_tensor(array: np.ndarray, size: int | tuple[int, int], device: torch.device) -> torch.Tensor:
    """[1,C,h,w] tensor: the image resized (area when shrinking) to the network's working resolution.

    ``size`` is one side (a square, ``size`` x ``size``) or ``(height, width)``.
    """
    height, width = (size, size) if isinstance(size, int) else size
    return resize_tensor(to_tensor(array, device), int(height), int(width))


def back_to_size(y: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return F.interpolate(y, size=(height, width), mode="bicubic", align_corners=False)


def working_shape(height: int, width: int, size: int, mode: str) -> tuple[int, int]:
    """The (height, width) at which an input of ``height`` x ``width`` is translated, for a ``resize`` mode."""
    if mode == "square":
        return size, size
    if mode == "none":
        return height, width
    if mode == "keep_aspect":
        # the shorter side becomes ``size``, unless that would make the longer side exceed MAX_ASPECT * size
        scale = min(size / min(height, width), MAX_ASPECT * size / max(height, width))
        # a floor on each side: generators pad internally (ResNet c7s1 reflects 3 pixels), so a 1x5000 strip must
        # not become 1x256; extreme aspect ratios are squeezed a little instead
        return max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale))
    raise InputError(f"options['resize'] must be one of {', '.join(RESIZE_MODES)}, got {mode!r}")


class Pix2PixPipeline(Pipeline):
    """Paired translation A -> B: ``pipe(image) -> Image`` with the input's size.

    The input is resized to the working resolution the generator was trained at (e.g. 256x256; see the module
    docstring for the ``resize`` option), translated, and the output resized back to the input's size.

    >>> pipe = zoo.load("pix2pix-facades")  # doctest: +SKIP
    >>> photo = pipe(label_map)  # same size as label_map  # doctest: +SKIP
    """

    task = "pix2pix"

    @property
    def working_size(self) -> int:
        return int(self.options.get("working_size", 256))

    @property
    def resize_mode(self) -> str:
        return str(self.options.get("resize", "square"))

    @torch.no_grad()
    def translate_tensor(self, x: torch.Tensor, key: str = "model") -> torch.Tensor:
        """[N,C,H,W] in [-1,1] (any H, W) -> [N,C,H,W] in [-1,1]: padded to the net's multiple and cropped back."""
        net = self.models[key]
        padded, (height, width) = pad_to_multiple(x, int(getattr(net, "required_multiple", 1)))
        return net(padded)[..., :height, :width]

    def _translate(self, image: Any, key: str) -> Image.Image:
        image, alpha = split_alpha(open_image(image))
        channels = int(self.options.get("in_channels", 3))
        array = to_array(image, channels)
        shape = working_shape(image.height, image.width, self.working_size, self.resize_mode)
        x = working_tensor(array * 2.0 - 1.0, shape, self.device)
        y = back_to_size(self.translate_tensor(x, key), image.height, image.width)
        return from_array((to_numpy(y) + 1.0) / 2.0, alpha)

    def __call__(self, image: Any) -> Image.Image:
        return self._translate(image, "model")

    def _probe(self) -> torch.Tensor:
        channels = int(self.options.get("in_channels", 3))
        x = torch.from_numpy(probe_image(self.working_size, channels)).float()
        return ((x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None]) * 2 - 1).to(self.device)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        x = self._probe()
        return {"image": x}, self.translate_tensor(x, next(iter(self.models)))


class CycleGANPipeline(Pix2PixPipeline):
    """Unpaired translation both ways: ``pipe(image, direction="AtoB") -> Image``; both generators in one checkpoint
    (components ``"AtoB"`` and ``"BtoA"``).

    ``pipe.round_trip(image, direction)`` returns ``(G(x), F(G(x)))`` for the cycle view; ``pipe.domains`` names A
    and B (e.g. ``("label map", "photo")``).

    >>> pipe = zoo.load("cyclegan-shapes")  # doctest: +SKIP
    >>> square = pipe(circle_image, direction="AtoB")  # doctest: +SKIP
    """

    task = "cyclegan"
    DIRECTIONS = ("AtoB", "BtoA")

    def _key(self, direction: str) -> str:
        if direction not in self.DIRECTIONS:
            raise InputError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        return direction

    @property
    def resize_mode(self) -> str:
        return str(self.options.get("resize", "keep_aspect"))

    def __call__(self, image: Any, direction: str = "AtoB") -> Image.Image:
        return self._translate(image, self._key(direction))

    def round_trip(self, image: Any, direction: str = "AtoB") -> tuple[Image.Image, Image.Image]:
        forward = self(image, direction)
        back = "BtoA" if self._key(direction) == "AtoB" else "AtoB"
        return forward, self(forward, back)

    @property
    def domains(self) -> tuple[str, str]:
        return tuple(self.options.get("domains", ("A", "B")))

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Both generators on the probe (outputs stacked AtoB, BtoA), so a publish checks both directions."""
        x = self._probe()
        return {"image": x}, torch.cat([self.translate_tensor(x, key) for key in self.DIRECTIONS])
