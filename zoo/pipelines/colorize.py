"""Colourisation: predict Lab ab from L at a working resolution, join with the full-resolution L."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from zoo.color import lab_to_rgb, lightness
from zoo.pipelines.base import Pipeline
from zoo.pipelines.images import from_array, open_image, split_alpha, to_array, to_numpy, to_tensor
from zoo.pipelines.restoration import probe_image
from zoo.pipelines.translation import back_to_size

AB_SCALE = 110.0  # network output in [-1, 1] times this = Lab a/b


def working_shape(height: int, width: int, size: int, multiple: int) -> tuple[int, int]:
    """(h, w) with the longer side ``size`` and the aspect ratio kept, each side rounded to a multiple of ``multiple``.

    The network then sees objects at the scale it was trained at (photos whose longer side was ``size``), undistorted.
    """
    scale = size / max(height, width)
    return tuple(max(multiple, round(side * scale / multiple) * multiple) for side in (height, width))


class ColorizePipeline(Pipeline):
    """Colourise: ``pipe(image) -> RGB Image`` at the input's full resolution (RGBA when the input has alpha).

    The network predicts Lab ``ab`` from ``L`` at a working resolution (longer side ``options["working_size"]``,
    aspect ratio kept); ``ab`` is upsampled and joined with the ORIGINAL full-resolution ``L``, so no detail is lost.
    Colour inputs are converted to gray first (PIL's ITU-R 601 luma), so the output's lightness is the gray image's.

    >>> pipe = zoo.load("colorize")  # doctest: +SKIP
    >>> colour = pipe(Image.open("old_photo.jpg"))  # doctest: +SKIP
    """

    task = "colorize"

    @property
    def working_size(self) -> int:
        return int(self.options.get("working_size", 256))

    @torch.no_grad()
    def predict_ab(self, light: np.ndarray) -> np.ndarray:
        """[H, W] L (0-100) -> [H, W, 2] ab at the same size."""
        net = self.models["model"]
        height, width = light.shape
        shape = working_shape(height, width, self.working_size, int(getattr(net, "required_multiple", 1)))
        x = to_tensor((light / 50.0 - 1.0).astype(np.float32), self.device)
        shrink = shape[0] <= height and shape[1] <= width
        x = F.interpolate(x, size=shape, mode="area") if shrink else F.interpolate(x, size=shape, mode="bicubic")
        with self.autocast():
            ab = net(x)
        ab = back_to_size(ab.float(), height, width).clamp(-1.0, 1.0) * AB_SCALE
        return to_numpy(ab)

    def colorize_array(self, gray: np.ndarray) -> np.ndarray:
        """[H, W] gray (or [H, W, 3] RGB) in [0, 1] -> [H, W, 3] RGB in [0, 1] with the input's lightness."""
        light = lightness(gray)
        lab = np.concatenate([light[..., None], self.predict_ab(light)], axis=2)
        return lab_to_rgb(lab)

    def __call__(self, image: Any) -> Image.Image:
        image, alpha = split_alpha(open_image(image))
        return from_array(self.colorize_array(to_array(image, 1)), alpha)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        light = (probe_image(32, 1) * 100.0).astype(np.float32)
        return {"L": torch.from_numpy(light)}, torch.from_numpy(self.predict_ab(light))
