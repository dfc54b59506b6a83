from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from zoo.errors import InputError
from zoo.nets import ColorizationUNet, DnCNN, DRUNet, FFDNet, StrengthEstimator, SuperResNet

from .common import NetTesterMixin, uniform

SIGMAS = torch.tensor([15.0, 50.0]) / 255


class TestFFDNet(NetTesterMixin):
    net_class = FFDNet
    init_kwargs: ClassVar[dict[str, Any]] = {"features": 8, "num_layers": 3}
    output_shape = (2, 1, 8, 6)

    def make_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        return uniform(2, 1, 8, 6), SIGMAS

    @pytest.mark.parametrize("size", [(2, 2), (10, 4), (6, 12)])
    def test_keeps_even_sizes(self, size: tuple[int, int]) -> None:
        net = FFDNet(in_channels=3, features=8, num_layers=3).eval()
        assert net(uniform(2, 3, *size), SIGMAS).shape == (2, 3, *size)

    def test_odd_size_is_refused(self) -> None:
        with pytest.raises(InputError, match="multiples of 2"):
            self.make_net()(uniform(1, 1, 7, 6), SIGMAS[:1])

    def test_sigma_forms_and_effect(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 8, 6)
        as_float = net(x, 25 / 255)
        torch.testing.assert_close(as_float, net(x, torch.full((2,), 25 / 255)))
        torch.testing.assert_close(as_float, net(x, torch.tensor(25 / 255)))
        assert not torch.allclose(as_float, net(x, 50 / 255))  # the noise-level map is used
        with pytest.raises(InputError, match="3 values for a batch of 2"):
            net(x, torch.ones(3))

    def test_receptive_radius_is_exact(self) -> None:
        torch.manual_seed(0)
        net = FFDNet(features=4, num_layers=4)
        assert measured_radius(net, 48, range(20, 22)) == net.receptive_radius == 9

    def test_direct_prediction_variant(self) -> None:
        net = FFDNet(features=8, num_layers=3, residual=False).eval()
        assert net(uniform(1, 1, 4, 4), 0.1).shape == (1, 1, 4, 4)


def measured_radius(net: torch.nn.Module, size: int, positions: range) -> int:
    """The farthest input pixel (any side) with a non-zero gradient on one output pixel, over ``positions``."""
    for module in net.modules():  # random biases too, so no ReLU is dead on a zero input
        if isinstance(module, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
            torch.nn.init.normal_(module.weight)
            if module.bias is not None:
                torch.nn.init.normal_(module.bias)
    net = net.double().eval()  # BatchNorm in training mode would mix the whole batch's pixels
    radius = 0
    for i in positions:
        x = torch.zeros(1, net.config.in_channels, size, size, dtype=torch.double, requires_grad=True)
        net(x, 0.1)[0, 0, i, i].backward()
        rows, cols = (x.grad[0].abs().sum(0) > 0).nonzero().unbind(1)
        radius = max(radius, (rows - i).abs().max().item(), (cols - i).abs().max().item())
    return radius


class TestStrengthEstimator(NetTesterMixin):
    net_class = StrengthEstimator
    init_kwargs: ClassVar[dict[str, Any]] = {"in_channels": 3, "features": 4}
    output_shape = (2,)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 3, 16, 24),)

    def test_strength_is_non_negative_and_reads_the_image(self) -> None:
        net = self.make_net().eval()
        flat, noisy = torch.full((1, 3, 32, 32), 0.5), uniform(1, 3, 32, 32)
        assert (net(flat) >= 0).all() and not torch.allclose(net(flat), net(noisy))
        assert net.strength_map(noisy).shape == (1, 1, 4, 4)


class TestStrengthEstimatorAttention(TestStrengthEstimator):
    init_kwargs: ClassVar[dict[str, Any]] = {"in_channels": 3, "features": 4, "pooling": "attention"}

    def test_attention_pooling_is_a_weighted_mean_of_the_map(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 3, 32, 40)
        strength = net.strength_map(x).flatten(1)
        pooled = net(x)
        assert (pooled >= strength.min(1).values - 1e-6).all() and (pooled <= strength.max(1).values + 1e-6).all()
        with torch.no_grad():  # constant weight logits: attention pooling is the plain mean
            last = net.body[-1]
            last.weight[1].zero_()
            last.bias[1] = 0.0
        assert torch.allclose(net(x), strength.mean(1), atol=1e-6)

    def test_unknown_pooling_is_refused(self) -> None:
        with pytest.raises(ValueError, match="pooling"):
            StrengthEstimator(pooling="max")


class TestDRUNet(NetTesterMixin):
    net_class = DRUNet
    init_kwargs: ClassVar[dict[str, Any]] = {"widths": (4, 8, 16), "blocks": 1}
    output_shape = (2, 1, 8, 12)

    def make_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        return uniform(2, 1, 8, 12), SIGMAS

    @pytest.mark.parametrize(("widths", "multiple"), [((4, 8), 2), ((4, 8, 16), 4), ((4, 8, 16, 32), 8)])
    def test_required_multiple_and_refusal(self, widths, multiple) -> None:
        net = DRUNet(in_channels=3, widths=widths).eval()
        assert net.required_multiple == multiple
        assert net(uniform(1, 3, 2 * multiple, 3 * multiple), 0.1).shape == (1, 3, 2 * multiple, 3 * multiple)
        with pytest.raises(InputError, match=f"multiples of {multiple}"):
            net(uniform(1, 3, 2 * multiple + 1, 2 * multiple), 0.1)

    def test_sigma_forms_and_effect(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 8, 12)
        as_float = net(x, 25 / 255)
        torch.testing.assert_close(as_float, net(x, torch.full((2,), 25 / 255)))
        torch.nn.init.normal_(net.tail.weight)  # a fresh DRUNet is far from the identity only through the tail
        assert not torch.allclose(net(x, 25 / 255), net(x, 50 / 255))  # the noise-level map is used
        with pytest.raises(InputError, match="3 values for a batch of 2"):
            net(x, torch.ones(3))

    @pytest.mark.parametrize(("widths", "blocks"), [((4, 8), 2), ((4, 8, 16), 1), ((4, 4, 4, 4), 1)])
    def test_receptive_radius_is_exact(self, widths, blocks) -> None:
        """The tiling margin: the formula must equal the measured reach (more wastes time, less breaks tiles)."""
        torch.manual_seed(0)
        net = DRUNet(widths=widths, blocks=blocks)
        assert measured_radius(net, 96, range(40, 48)) == net.receptive_radius

    def test_config_widths_survive_json(self, tmp_path) -> None:
        net = DRUNet(widths=[4, 8], blocks=2)
        net.save_pretrained(tmp_path)
        loaded = DRUNet.from_pretrained(tmp_path)
        assert loaded.required_multiple == 2 and loaded.receptive_radius == net.receptive_radius


class TestDnCNN(NetTesterMixin):
    net_class = DnCNN
    init_kwargs: ClassVar[dict[str, Any]] = {"features": 8, "num_layers": 3}
    output_shape = (2, 1, 7, 5)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 7, 5),)

    def test_sigma_is_ignored(self) -> None:
        net = self.make_net().eval()
        x = uniform(1, 1, 6, 6)
        assert torch.equal(net(x), net(x, torch.tensor([0.3])))


class TestSuperResNet(NetTesterMixin):
    net_class = SuperResNet
    init_kwargs: ClassVar[dict[str, Any]] = {"scale": 2, "features": 8, "num_blocks": 2}
    output_shape = (2, 3, 10, 14)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 3, 5, 7),)

    @pytest.mark.parametrize("scale", [2, 3, 4])
    @pytest.mark.parametrize("global_skip", ["bicubic", "none"])
    def test_output_is_exactly_scale_times_input(self, scale: int, global_skip: str) -> None:
        net = SuperResNet(scale=scale, in_channels=1, features=4, num_blocks=1, global_skip=global_skip).eval()
        assert net(uniform(1, 1, 5, 7)).shape == (1, 1, 5 * scale, 7 * scale)

    def test_x4_is_two_x2_steps(self) -> None:
        pixel_shuffles = [
            m.upscale_factor for m in SuperResNet(scale=4, features=4).modules() if hasattr(m, "upscale_factor")
        ]
        assert pixel_shuffles == [2, 2]

    def test_unsupported_scale_is_refused(self) -> None:
        with pytest.raises(ValueError, match="scale=5"):
            SuperResNet(scale=5)

    @pytest.mark.parametrize(("scale", "parameters"), [(2, 1_369_859), (4, 1_517_571)])
    def test_matches_edsr_baseline_parameter_count(self, scale: int, parameters: int) -> None:
        with torch.device("meta"):
            net = SuperResNet(scale=scale)
        assert sum(p.numel() for p in net.parameters()) == parameters  # EDSR-baseline without its MeanShift


class TestWDSR(NetTesterMixin):
    net_class = SuperResNet
    init_kwargs: ClassVar[dict[str, Any]] = {"scale": 2, "features": 8, "num_blocks": 2, "block": "wdsr"}
    output_shape = (2, 3, 10, 14)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 3, 5, 7),)

    def test_has_edsrs_weight_count_at_expansion_6(self) -> None:
        """WDSR-B's point: a wider activation at (about) the same weights, so the comparison is at equal size."""
        counts = {}
        for block in ("edsr", "wdsr"):
            with torch.device("meta"):
                counts[block] = sum(p.numel() for p in SuperResNet(features=48, num_blocks=8, block=block).parameters())
        assert abs(counts["wdsr"] - counts["edsr"]) / counts["edsr"] < 0.001, counts

    @pytest.mark.parametrize("block", ["edsr", "wdsr"])
    def test_receptive_radius_bounds_what_one_input_pixel_changes(self, block: str) -> None:
        torch.manual_seed(0)
        net = SuperResNet(scale=2, in_channels=1, features=4, num_blocks=3, block=block).eval()
        x = uniform(1, 1, 41, 41)
        moved = x.clone()
        moved[..., 20, 20] += 0.5
        with torch.no_grad():
            changed = (net(moved) - net(x)).abs()[0, 0] > 1e-6
        rows = changed.any(dim=1).nonzero().flatten()
        reach = max(40 - int(rows.min()), int(rows.max()) - 41)  # output pixels 40, 41 come from input pixel 20
        assert 0 < reach <= 2 * net.receptive_radius + 2  # the radius in LR pixels, the upsampler's spread

    def test_unknown_block_is_refused(self) -> None:
        with pytest.raises(ValueError, match="block"):
            SuperResNet(block="rcan")


class TestColorizationUNet(NetTesterMixin):
    net_class = ColorizationUNet
    init_kwargs: ClassVar[dict[str, Any]] = {"num_downs": 3, "ngf": 4}
    output_shape = (2, 2, 16, 16)
    output_range = (-1.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 16, 16, low=-1.0),)

    def test_required_multiple(self) -> None:
        net = ColorizationUNet(ngf=2)
        assert net.required_multiple == 32
        with pytest.raises(InputError, match="ColorizationUNet needs H and W to be multiples of 32"):
            net(uniform(1, 1, 48, 32))


class TestColorizationUNetLowResHead(NetTesterMixin):
    """``head_stride=4``: bin logits at a quarter of the input size (Zhang et al. 2016), full-size decoder levels
    not built."""

    net_class = ColorizationUNet
    init_kwargs: ClassVar[dict[str, Any]] = {
        "num_downs": 3, "ngf": 4, "out_channels": 5, "head": "classification", "head_stride": 4,
    }  # fmt: skip
    output_shape = (2, 5, 4, 4)
    output_range = None

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 16, 16, low=-1.0),)

    def test_skipped_levels_hold_no_weights(self) -> None:
        full = ColorizationUNet(num_downs=3, ngf=4, out_channels=5, head="classification")
        low = ColorizationUNet(**self.init_kwargs)
        assert not any(key.startswith(("unet.up.0.", "unet.up.1.")) for key in low.state_dict())
        assert sum(p.numel() for p in low.parameters()) < sum(p.numel() for p in full.parameters())
        # the decoder levels it keeps are the full model's, so the same keys load
        shared = {k: v for k, v in full.state_dict().items() if k in low.state_dict()}
        assert set(shared) == {k for k in low.state_dict() if not k.startswith("bin_head.")}

    @pytest.mark.parametrize(
        "kwargs", [{"head_stride": 3}, {"head_stride": 8}, {"head_stride": 2, "head": "regression"}]
    )
    def test_bad_strides_raise(self, kwargs) -> None:
        options = {**self.init_kwargs, **kwargs}
        with pytest.raises(ValueError, match="head_stride"):
            ColorizationUNet(**options)
