"""Colourisation: predict Lab ab from L at a working resolution, join with the full-resolution L."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from zoo.color import lab_to_rgb, lightness
from zoo.pipelines.base import Pipeline
from zoo.pipelines.images import from_array, open_image, split_alpha, to_array, to_numpy
from zoo.pipelines.restoration import probe_image
from zoo.pipelines.translation import back_to_size, working_tensor

AB_SCALE = 110.0  # network output in [-1, 1] times this = Lab a/b


class ColorizePipeline(Pipeline):
    """Colourise: ``pipe(image) -> RGB Image`` at the input's full resolution.

    The network predicts Lab ``ab`` from ``L`` at a working resolution; ``ab`` is upsampled and joined with the
    ORIGINAL full-resolution ``L``, so no detail is lost. Colour inputs are converted to gray first.
    """

    task = "colorize"

    @property
    def working_size(self) -> int:
        return int(self.options.get("working_size", 256))

    @torch.no_grad()
    def predict_ab(self, light: np.ndarray) -> np.ndarray:
        """[H, W] L (0-100) -> [H, W, 2] ab at the same size."""
        height, width = light.shape
        x = working_tensor((light / 50.0 - 1.0).astype(np.float32), self.working_size, self.device)
        ab = self.models["model"](x)
        ab = back_to_size(ab, height, width) * AB_SCALE
        return to_numpy(ab)

    def colorize_array(self, rgb_or_gray: np.ndarray) -> np.ndarray:
        light = lightness(rgb_or_gray)
        lab = np.concatenate([light[..., None], self.predict_ab(light)], axis=2)
        return lab_to_rgb(lab)

    def __call__(self, image: Any) -> Image.Image:
        image, alpha = split_alpha(open_image(image))
        return from_array(self.colorize_array(to_array(image, 1)), alpha)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        light = (probe_image(32, 1) * 100.0).astype(np.float32)
        return {"L": torch.from_numpy(light)}, torch.from_numpy(self.predict_ab(light))
