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


def _box(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over the (2 radius + 1)-square around each pixel (replicate padding keeps the border means unbiased)."""
    size = 2 * radius + 1
    return F.avg_pool2d(F.pad(x, (radius,) * 4, mode="replicate"), size, stride=1)


def guided_upsample(ab: torch.Tensor, light: torch.Tensor, radius: int = 1, eps: float = 1e-2) -> torch.Tensor:
    """Low-resolution ``ab`` ``[N, 2, h, w]`` -> ``[N, 2, H, W]`` at the size of the full-resolution ``light``
    ``[N, 1, H, W]`` (L / 100), by the fast guided filter (He & Sun 2015): at low resolution each ab channel is fitted
    as ``A * L + B`` over every (2 radius + 1)-square of the area-shrunk L; A and B are smoothed, upsampled bilinearly
    and applied to the full-resolution L. Colour edges then follow the photo's edges instead of bleeding over them as a
    plain bicubic upsampling does; ``eps`` (on L / 100) keeps flat or grainy areas at their mean colour, so texture
    finer than the ab grid is not turned into colour."""
    height, width = light.shape[-2:]
    guide = F.interpolate(light, size=ab.shape[-2:], mode="area")
    mean_guide, mean_ab = _box(guide, radius), _box(ab, radius)
    covariance = _box(guide * ab, radius) - mean_guide * mean_ab
    variance = _box(guide * guide, radius) - mean_guide * mean_guide
    slope = covariance / (variance + eps)
    offset = mean_ab - slope * mean_guide
    slope, offset = _box(slope, radius), _box(offset, radius)
    up = dict(size=(height, width), mode="bilinear", align_corners=False)
    return F.interpolate(slope, **up) * light + F.interpolate(offset, **up)


class ColorizePipeline(Pipeline):
    """Colourise: ``pipe(image) -> RGB Image`` at the input's full resolution (RGBA when the input has alpha).

    The network predicts Lab ``ab`` from ``L`` at a working resolution (longer side ``options["working_size"]``,
    aspect ratio kept); ``ab`` is upsampled and joined with the ORIGINAL full-resolution ``L``, so no detail is lost.
    Colour inputs are converted to gray first (PIL's ITU-R 601 luma), so the output's lightness is the gray image's.

    A classification network (``head="classification"``) predicts a distribution over the quantised ab bins and is
    decoded by the annealed mean at ``options["temperature"]`` (default 0.38). A network with 4 input channels takes
    user colour hints: ``pipe(image, hints=[(x, y, (r, g, b)), ...])`` with x, y in the input's pixel coordinates and
    r, g, b in 0-255 (``zoo.colorbins.encode_hints``); other networks refuse hints with an ``InputError``.

    >>> pipe = zoo.load("colorize")  # doctest: +SKIP
    >>> colour = pipe(Image.open("old_photo.jpg"))  # doctest: +SKIP
    """

    task = "colorize"

    @property
    def working_size(self) -> int:
        return int(self.options.get("working_size", 256))

    @property
    def takes_hints(self) -> bool:
        return int(getattr(self.models["model"].config, "in_channels", 1)) == 4

    @property
    def temperature(self) -> float:
        return float(self.options.get("temperature", 0.38))

    @property
    def upsampling(self) -> str:
        """How the working-size ab reaches the input's size: ``"bicubic"`` (default) or ``"guided"``
        (``guided_upsample`` with ``options["guide_radius"]`` and ``options["guide_eps"]``)."""
        return str(self.options.get("upsampling", "bicubic"))

    @property
    def guide(self) -> dict:
        return {"radius": int(self.options.get("guide_radius", 1)), "eps": float(self.options.get("guide_eps", 1e-2))}

    def decode(self, out: torch.Tensor) -> torch.Tensor:
        """The network's output -> ``[N, 2, h, w]`` ab / 110: regression as it is; bin logits by the annealed mean,
        times ``options["saturation"]`` (default 1: a value below 1 trades colourfulness for fewer loud mistakes)."""
        if getattr(self.models["model"].config, "head", "regression") != "classification":
            return out
        from zoo.colorbins import decode_logits

        return decode_logits(out, self.temperature) * float(self.options.get("saturation", 1.0))

    @torch.no_grad()
    def predict_ab(self, light: np.ndarray, hints: list | None = None) -> np.ndarray:
        """[H, W] L (0-100) -> [H, W, 2] ab at the same size; ``hints`` as ``__call__``'s."""
        from zoo.errors import InputError

        net = self.models["model"]
        height, width = light.shape
        shape = working_shape(height, width, self.working_size, int(getattr(net, "required_multiple", 1)))
        x = to_tensor((light / 50.0 - 1.0).astype(np.float32), self.device)
        shrink = shape[0] <= height and shape[1] <= width
        x = F.interpolate(x, size=shape, mode="area") if shrink else F.interpolate(x, size=shape, mode="bicubic")
        if hints and not self.takes_hints:
            raise InputError(f"{self.name or 'this colouriser'} takes no colour hints; call it without hints=")
        if self.takes_hints:
            from zoo.colorbins import encode_hints

            hint_map = encode_hints(hints, (width, height), shape).transpose(1, 2, 0)
            x = torch.cat([x, to_tensor(hint_map, self.device)], dim=1)
        with self.autocast():
            ab = self.decode(net(x)).float()
        spread = bool(hints and self.options.get("hint_spread"))
        if spread or self.upsampling == "guided":  # the full-resolution L only where a step reads it
            full_light = to_tensor((light / 100.0).astype(np.float32), self.device)
        if spread:
            from zoo.colorbins import parse_hints, spread_hints

            guide = F.interpolate(full_light, size=ab.shape[-2:], mode="area")
            ab = spread_hints(ab, guide, parse_hints(hints, (width, height)), **self.options["hint_spread"])
        if self.upsampling == "guided":
            ab = guided_upsample(ab, full_light, **self.guide)
        else:
            ab = back_to_size(ab, height, width)
        ab = ab.clamp(-1.0, 1.0) * AB_SCALE
        return to_numpy(ab)

    def colorize_array(self, gray: np.ndarray, hints: list | None = None) -> np.ndarray:
        """[H, W] gray (or [H, W, 3] RGB) in [0, 1] -> [H, W, 3] RGB in [0, 1] with the input's lightness."""
        light = lightness(gray)
        lab = np.concatenate([light[..., None], self.predict_ab(light, hints)], axis=2)
        return lab_to_rgb(lab)

    def __call__(self, image: Any, hints: list | None = None) -> Image.Image:
        image, alpha = split_alpha(open_image(image))
        return from_array(self.colorize_array(to_array(image, 1), hints), alpha)

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        light = (probe_image(32, 1) * 100.0).astype(np.float32)
        return {"L": torch.from_numpy(light)}, torch.from_numpy(self.predict_ab(light))
