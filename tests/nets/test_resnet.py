from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from zoo.errors import InputError
from zoo.nets import ResnetGenerator

from .common import NetTesterMixin, uniform


class TestResnetGenerator(NetTesterMixin):
    net_class = ResnetGenerator
    init_kwargs: ClassVar[dict[str, Any]] = {"ngf": 4, "n_blocks": 2}
    output_shape = (2, 3, 12, 8)
    output_range = (-1.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 3, 12, 8, low=-1.0),)

    def test_keeps_size_multiple_of_4(self) -> None:
        net = ResnetGenerator(ngf=2, n_blocks=1).eval()
        assert net.required_multiple == 4
        with torch.no_grad():
            assert net(uniform(1, 3, 300, 200)).shape == (1, 3, 300, 200)

    def test_size_off_the_multiple_is_refused(self) -> None:
        with pytest.raises(InputError, match="multiples of 4"):
            self.make_net()(uniform(1, 3, 10, 8))

    @pytest.mark.parametrize("padding", ["zeros", "replicate"])
    def test_padding_modes(self, padding: str) -> None:
        net = ResnetGenerator(ngf=2, n_blocks=1, padding=padding).eval()
        assert net(uniform(1, 3, 8, 8)).shape == (1, 3, 8, 8)

    @pytest.mark.parametrize(("n_blocks", "parameters"), [(9, 11_378_179), (6, 7_837_699)])
    def test_matches_reference_parameter_count(self, n_blocks: int, parameters: int) -> None:
        with torch.device("meta"):
            net = ResnetGenerator(n_blocks=n_blocks)
        assert sum(p.numel() for p in net.parameters()) == parameters  # junyanz resnet_9blocks / resnet_6blocks
