"""zoo.pipelines.colorize.guided_upsample: the working-size ab brought to the photo's size along the photo's edges."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo.pipelines.colorize import guided_upsample


def test_guided_upsampling_keeps_flat_colour_and_sharpens_colour_edges():
    light = torch.full((1, 1, 64, 96), 0.3)
    light[..., 37:] = 0.8  # an edge off the 8x grid of the low-res ab
    ab = torch.zeros(1, 2, 64, 96)
    ab[:, 0, :, 37:] = 0.5  # the true colour follows the edge
    low = F.interpolate(ab, scale_factor=1 / 8, mode="area")  # what a working-size net sees, blurred over the edge
    flat = torch.full((1, 2, 8, 12), 0.2)
    assert torch.allclose(guided_upsample(flat, light), torch.full((1, 2, 64, 96), 0.2), atol=1e-5)
    guided = guided_upsample(low, light, radius=1, eps=1e-3)
    bicubic = F.interpolate(low, size=(64, 96), mode="bicubic", align_corners=False)
    assert guided.shape == (1, 2, 64, 96)
    assert (guided - ab).abs().mean() < 0.5 * (bicubic - ab).abs().mean()
