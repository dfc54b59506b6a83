"""zoo.colorbins: the ab bins, nearest-bin targets, class rebalancing, annealed-mean decoding and hint encoding."""

from __future__ import annotations

import numpy as np
import pytest

from zoo import colorbins as cb
from zoo.color import rgb_to_lab
from zoo.errors import InputError


def test_bins_cover_the_srgb_gamut_like_the_paper():
    bins = cb.ab_bins()
    assert 250 <= len(bins) <= 330  # Zhang et al. use 313
    assert np.allclose((bins + cb.AB_RANGE - cb.BIN_SIZE / 2) % cb.BIN_SIZE, 0)
    # every sRGB colour's ab falls within half a cell diagonal of some bin centre
    rng = np.random.default_rng(0)
    ab = rgb_to_lab(rng.random((500, 3)))[:, 1:]
    nearest = bins[cb.ab_to_bin(ab)]
    assert np.abs(nearest - ab).max() <= cb.BIN_SIZE / 2 + 1e-4


def test_ab_to_bin_keeps_shape():
    ab = np.zeros((4, 5, 2), dtype=np.float32)
    assert cb.ab_to_bin(ab).shape == (4, 5)


def test_rebalancing_favours_rare_colours_and_has_unit_expectation():
    bins = cb.ab_bins()
    counts = np.ones(len(bins))
    common = int(np.argmin((bins**2).sum(1)))  # the grays
    counts[common] = 1000
    weights = cb.rebalancing_weights(counts, mix=0.5)
    p = counts / counts.sum()
    assert (p * weights).sum() == pytest.approx(1.0, rel=1e-4)
    assert weights[common] < weights.mean()
    assert cb.rebalancing_weights(counts, mix=1.0) == pytest.approx(np.ones(len(bins)), rel=1e-4)
    with pytest.raises(InputError):
        cb.rebalancing_weights(np.zeros(len(bins)))


def test_annealed_mean_goes_from_mode_to_mean():
    bins = cb.ab_bins()
    rng = np.random.default_rng(1)
    p = rng.random((3, len(bins))) ** 4
    p /= p.sum(1, keepdims=True)
    mean = cb.annealed_mean(p, temperature=1.0)
    assert np.allclose(mean, p @ bins, atol=1e-3)
    mode = cb.annealed_mean(p, temperature=1e-3)
    assert np.allclose(mode, bins[p.argmax(1)], atol=1e-2)
    # a confident saturated colour among many faint ones: the mean is pulled towards gray, T = 0.38 much less
    peaked = np.full(len(bins), 0.5 / (len(bins) - 1))
    red = int(np.argmax(bins[:, 0]))
    peaked[red] = 0.5
    chroma = [np.linalg.norm(cb.annealed_mean(peaked, t)) for t in (1.0, 0.38, 0.01)]
    assert chroma[0] < chroma[1] < chroma[2] == pytest.approx(np.linalg.norm(bins[red]), abs=1e-2)
    # the class axis can be any axis (a [N, Q, H, W] network output)
    grid = np.moveaxis(np.broadcast_to(p[0], (2, 2, len(bins))), -1, 0)
    assert cb.annealed_mean(grid, axis=0).shape == (2, 2, 2)
    with pytest.raises(InputError):
        cb.annealed_mean(p, temperature=0)


def test_hints_are_placed_scaled_and_checked():
    hints = [(0, 0, (255, 0, 0)), (99, 49, (0, 0, 255))]
    out = cb.encode_hints(hints, size=(100, 50), working=(25, 50), radius=0)
    assert out.shape == (3, 25, 50)
    assert out[0].sum() == 2 and out[0, 0, 0] == 1 and out[0, 24, 49] == 1
    red_ab = rgb_to_lab(np.array([1.0, 0, 0]))[1:] / cb.AB_RANGE
    assert out[1:, 0, 0] == pytest.approx(red_ab, abs=1e-5)
    assert out[2, 24, 49] < 0  # blue: negative b
    assert cb.encode_hints(None, (10, 10), (8, 8)).sum() == 0
    with pytest.raises(InputError, match="outside the 100x50 image"):
        cb.encode_hints([(100, 0, (1, 2, 3))], size=(100, 50), working=(25, 50))
    with pytest.raises(InputError, match="outside"):
        cb.encode_hints([(-1, 3, (1, 2, 3))], size=(100, 50), working=(25, 50))
    with pytest.raises(InputError, match="0-255"):
        cb.encode_hints([(1, 3, (1, 2, 300))], size=(100, 50), working=(25, 50))
    with pytest.raises(InputError, match=r"\(x, y, \(r, g, b\)\)"):
        cb.encode_hints([(1, 3)], size=(100, 50), working=(25, 50))


def test_simulated_hints_reveal_the_truth():
    rng = np.random.default_rng(0)
    ab = rng.uniform(-0.5, 0.5, (2, 16, 16)).astype(np.float32)
    counts = []
    for _ in range(200):
        hints = cb.simulate_hints(ab, rng, mean_count=3.0, radius=0)
        mask = hints[0] > 0
        assert np.allclose(hints[1:, mask], ab[:, mask])
        counts.append(mask.sum())
    assert 0 in counts and np.mean(counts) == pytest.approx(3.0, rel=0.3)


def test_classification_pipeline_takes_hints_and_decodes_by_annealed_mean():
    import torch
    from PIL import Image

    from zoo.nets import ColorizationUNet
    from zoo.pipelines import ColorizePipeline

    torch.manual_seed(0)
    bins = len(cb.ab_bins())
    net = ColorizationUNet(in_channels=4, out_channels=bins, num_downs=3, ngf=4, head="classification").eval()
    pipe = ColorizePipeline({"model": net}, {"working_size": 32, "temperature": 0.38})
    gray = Image.fromarray((np.random.default_rng(0).random((40, 60)) * 255).astype(np.uint8))
    assert pipe.takes_hints
    plain = pipe(gray)
    hinted = pipe(gray, hints=[(10, 20, (255, 0, 0)), (59, 39, (0, 0, 255))])
    assert plain.size == hinted.size == (60, 40) and plain.mode == "RGB"
    assert not np.array_equal(np.asarray(plain), np.asarray(hinted))  # the hints reach the network
    with pytest.raises(InputError, match="outside the 60x40 image"):
        pipe(gray, hints=[(60, 0, (1, 2, 3))])
    # decoding: a one-hot logit map decodes to that bin's colour at a low temperature
    logits = torch.full((1, bins, 2, 2), -20.0)
    logits[:, 7] = 20.0
    pipe.options["temperature"] = 0.01
    decoded = pipe.decode(logits)[0, :, 0, 0].numpy() * cb.AB_RANGE
    assert decoded == pytest.approx(cb.ab_bins()[7], abs=1e-3)
    # a regression colouriser (the published kind) refuses hints with a sentence
    regression = ColorizePipeline({"model": ColorizationUNet(num_downs=3, ngf=4).eval()}, {"working_size": 32})
    assert not regression.takes_hints
    with pytest.raises(InputError, match="takes no colour hints"):
        regression(gray, hints=[(1, 1, (0, 0, 0))])


def test_spread_hints_honours_each_hint_and_fades_with_distance_and_tone():
    import torch

    ab = torch.zeros(1, 2, 40, 60)
    light = torch.full((1, 1, 40, 60), 0.5)
    light[..., 30:] = 0.9  # a brighter right part: another object
    points = cb.parse_hints([(10, 20, (200, 40, 40))], (60, 40))
    out = cb.spread_hints(ab, light, points, reach=0.1, tone=0.1, prior=0.05)
    target = torch.as_tensor(points[0][2])
    assert torch.allclose(out[0, :, 20, 10], target, atol=0.05 * target.abs().max())  # honoured where given
    near, across_edge = out[0, :, 20, 25].abs().sum(), out[0, :, 20, 35].abs().sum()
    assert near > 10 * across_edge  # same distance class, other lightness: the colour stops at the edge
    assert out[0, :, 39, 0].abs().sum() < near  # fades with distance
    assert torch.equal(cb.spread_hints(ab, light, []), ab)
    settled = cb.spread_hints(out, light, points, reach=0.1, tone=0.1, prior=0.05)  # residual ~0: little changes
    assert (settled - out).abs().max() < 0.1 * (out - ab).abs().max()


def test_parse_hints_names_the_bad_hint():
    assert cb.parse_hints(None, (10, 10)) == []
    ((u, v, ab),) = cb.parse_hints([(5, 2.5, (255, 0, 0))], (10, 10))
    assert (u, v) == (0.5, 0.25) and ab[0] > 0.5  # red: a strongly positive
    with pytest.raises(InputError, match="hint 1 at"):
        cb.parse_hints([(1, 1, (0, 0, 0)), (10, 0, (0, 0, 0))], (10, 10))
