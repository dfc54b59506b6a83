from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from zoo.errors import InputError
from zoo.nets import DCGANDiscriminator, DCGANGenerator, ImageClassifier, ToyDiscriminator, ToyGenerator

from .common import NetTesterMixin, normal, uniform

LABELS = torch.tensor([3, 7])


class TestDCGANGenerator(NetTesterMixin):
    net_class = DCGANGenerator
    init_kwargs: ClassVar[dict[str, Any]] = {"latent_dim": 8, "ngf": 4}
    output_shape = (2, 1, 28, 28)
    output_range = (-1.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (normal(2, 8),)

    def test_labels_are_refused_when_unconditional(self) -> None:
        with pytest.raises(InputError, match="unconditional"):
            self.make_net()(normal(2, 8), LABELS)

    def test_accepts_4d_latents(self) -> None:
        net = self.make_net().eval()
        torch.testing.assert_close(net(normal(2, 8).view(2, 8, 1, 1)), net(normal(2, 8)))

    def test_rgb_64(self) -> None:
        net = DCGANGenerator(latent_dim=4, ngf=4, image_size=64, out_channels=3).eval()
        assert net(normal(1, 4)).shape == (1, 3, 64, 64)


class TestConditionalDCGANGenerator(NetTesterMixin):
    net_class = DCGANGenerator
    init_kwargs: ClassVar[dict[str, Any]] = {"latent_dim": 8, "ngf": 4, "num_classes": 10, "embed_dim": 3}
    output_shape = (2, 1, 28, 28)
    output_range = (-1.0, 1.0)

    def make_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        return normal(2, 8), LABELS

    def test_label_changes_the_image(self) -> None:
        net = self.make_net().eval()
        z = normal(2, 8)
        assert not torch.allclose(net(z, LABELS), net(z, LABELS.flip(0)))

    @pytest.mark.parametrize("labels", [None, torch.tensor([3, 10]), torch.tensor([3.0, 1.0]), torch.tensor([1])])
    def test_bad_labels_are_refused(self, labels: torch.Tensor | None) -> None:
        with pytest.raises(InputError):
            self.make_net()(normal(2, 8), labels)


class TestLabelMapDCGANGenerator(TestConditionalDCGANGenerator):
    init_kwargs: ClassVar[dict[str, Any]] = {
        "latent_dim": 8, "ngf": 4, "num_classes": 10, "embed_dim": 3, "label_injection": "map"
    }  # fmt: skip

    def test_label_enters_as_one_map_channel(self) -> None:
        net = self.make_net()
        assert net.label_map.out_features == 7 * 7
        assert net.project[0].in_features == 8  # z alone
        assert net.upsample[0][0].in_channels == 2 * 4 + 1

    def test_unknown_injection_is_refused(self) -> None:
        with pytest.raises(ValueError, match="label_injection"):
            DCGANGenerator(num_classes=10, label_injection="film")


class TestDCGANDiscriminator(NetTesterMixin):
    net_class = DCGANDiscriminator
    init_kwargs: ClassVar[dict[str, Any]] = {"ndf": 4}
    output_shape = (2,)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 28, 28, low=-1.0),)

    def test_other_image_size_is_refused(self) -> None:
        with pytest.raises(InputError, match="28"):
            self.make_net()(uniform(2, 1, 32, 32))


class TestConditionalDCGANDiscriminator(NetTesterMixin):
    net_class = DCGANDiscriminator
    init_kwargs: ClassVar[dict[str, Any]] = {"ndf": 4, "num_classes": 10}
    output_shape = (2,)

    def make_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        return uniform(2, 1, 28, 28, low=-1.0), LABELS

    def test_label_changes_the_logit(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 28, 28, low=-1.0)
        assert not torch.allclose(net(x, LABELS), net(x, LABELS.flip(0)))


class TestToyGenerator(NetTesterMixin):
    net_class = ToyGenerator
    init_kwargs: ClassVar[dict[str, Any]] = {"hidden": 8}
    output_shape = (5, 2)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (normal(5, 2),)


class TestToyDiscriminator(NetTesterMixin):
    net_class = ToyDiscriminator
    init_kwargs: ClassVar[dict[str, Any]] = {"hidden": 8}
    output_shape = (5,)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (normal(5, 2),)


class TestImageClassifier(NetTesterMixin):
    net_class = ImageClassifier
    init_kwargs: ClassVar[dict[str, Any]] = {"width": 4}
    output_shape = (2, 10)

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 28, 28),)

    def test_features_shape(self) -> None:
        net = self.make_net().eval()
        assert net.feature_dim == 16
        assert net.features(uniform(3, 1, 28, 28)).shape == (3, 16)

    @pytest.mark.parametrize("size", [64, 128])
    def test_larger_rgb_inputs(self, size: int) -> None:
        net = ImageClassifier(in_channels=3, num_classes=2, image_size=size, width=4).eval()
        x = uniform(1, 3, size, size)
        assert net.features(x).shape == (1, 16)
        assert net(x).shape == (1, 2)


class TestProjectionDCGANDiscriminator(TestConditionalDCGANDiscriminator):
    init_kwargs: ClassVar[dict[str, Any]] = {
        "ndf": 4, "num_classes": 10, "conditioning": "projection", "auxiliary_classes": 10
    }  # fmt: skip

    def test_backward_reaches_every_parameter(self) -> None:  # the class head is only used with class logits
        net = self.make_net().train()
        logits, classes = net(*self.make_inputs(), with_class_logits=True)
        (logits.square().mean() + classes.square().mean()).backward()
        assert all(parameter.grad is not None for parameter in net.parameters())

    def test_projection_adds_the_class_inner_product(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 28, 28, low=-1.0)
        h = net.features(x)
        expected = net.head(h).squeeze(1) + (net.class_projection(LABELS) * h).sum(1)
        torch.testing.assert_close(net(x, LABELS), expected)

    def test_class_logits_come_with_the_verdict(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 28, 28, low=-1.0)
        logits, classes = net(x, LABELS, with_class_logits=True)
        torch.testing.assert_close(logits, net(x, LABELS))
        assert classes.shape == (2, 10)
        # the class head sees label-free features: the requested label cannot leak into the class guess
        torch.testing.assert_close(classes, net(x, LABELS.flip(0), with_class_logits=True)[1])

    def test_class_head_needs_label_free_features(self) -> None:
        with pytest.raises(ValueError, match="projection"):
            DCGANDiscriminator(num_classes=10, auxiliary_classes=10)
        with pytest.raises(ValueError, match="no class head"):
            DCGANDiscriminator(ndf=4)(uniform(1, 1, 28, 28), with_class_logits=True)
