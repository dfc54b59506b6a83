from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from zoo.errors import InputError
from zoo.nets import ConvAutoencoder, DenseAutoencoder, SuperResAutoencoder

from .common import NetTesterMixin, uniform


class TestDenseAutoencoder(NetTesterMixin):
    net_class = DenseAutoencoder
    init_kwargs: ClassVar[dict[str, Any]] = {"code_size": 5, "hidden_sizes": [16]}
    output_shape = (2, 1, 28, 28)
    output_range = (0.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 28, 28),)

    def test_code_shape_and_decode(self) -> None:
        net = self.make_net().eval()
        code = net.encode(uniform(3, 1, 28, 28))
        assert code.shape == (3, 5)
        assert net.decode(code).shape == (3, 1, 28, 28)

    def test_other_image_size_is_refused(self) -> None:
        with pytest.raises(InputError, match=r"\[N, 1, 28, 28\]"):
            self.make_net().encode(uniform(1, 1, 32, 32))


class TestConvAutoencoder(NetTesterMixin):
    net_class = ConvAutoencoder
    init_kwargs: ClassVar[dict[str, Any]] = {"base_channels": 4}
    output_shape = (2, 1, 28, 28)
    output_range = (0.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 28, 28),)

    def test_spatial_code(self) -> None:
        assert self.make_net().encode(uniform(1, 1, 28, 28)).shape == (1, 4, 7, 7)

    @pytest.mark.parametrize("upsampling", ["nearest", "transpose"])
    @pytest.mark.parametrize("size", [(28, 28), (30, 17)])
    def test_any_size_is_kept(self, upsampling: str, size: tuple[int, int]) -> None:
        net = ConvAutoencoder(base_channels=4, upsampling=upsampling).eval()
        assert net(uniform(1, 1, *size)).shape == (1, 1, *size)

    def test_input_size_upsamples(self) -> None:
        net = ConvAutoencoder(image_size=28, input_size=14, base_channels=4).eval()
        assert net.output_size(14, 14) == (28, 28)
        assert net(uniform(1, 1, 14, 14)).shape == (1, 1, 28, 28)


class TestSuperResAutoencoder(NetTesterMixin):
    net_class = SuperResAutoencoder
    init_kwargs: ClassVar[dict[str, Any]] = {"base_channels": 4}
    output_shape = (2, 1, 28, 28)
    output_range = (0.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 14, 14),)

    @pytest.mark.parametrize(("scale", "size"), [(2, (15, 9)), (4, (7, 7))])
    def test_output_is_exactly_scale_times_input(self, scale: int, size: tuple[int, int]) -> None:
        net = SuperResAutoencoder(scale=scale, base_channels=4).eval()
        assert net(uniform(1, 1, *size)).shape == (1, 1, scale * size[0], scale * size[1])

    def test_scale_must_be_a_power_of_two(self) -> None:
        with pytest.raises(ValueError, match="scale=3"):
            SuperResAutoencoder(scale=3)
