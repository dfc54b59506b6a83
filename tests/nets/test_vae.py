from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from zoo.errors import InputError
from zoo.nets import MLPVAE, ConvVAE

from .common import NetTesterMixin, normal, uniform


class VAEChecks(NetTesterMixin):
    """VAE-specific checks shared by both VAE test classes."""

    output_shape = (2, 1, 28, 28)  # Bernoulli logits: unbounded

    def make_inputs(self) -> tuple[torch.Tensor]:
        return (uniform(2, 1, 28, 28),)

    def test_latent_shapes(self) -> None:
        net = self.make_net().eval()
        mu, logvar = net.encode(uniform(3, 1, 28, 28))
        assert mu.shape == logvar.shape == (3, net.latent_dim)
        assert net.latent_dim == self.init_kwargs["latent_dim"]
        assert net.decode(normal(3, net.latent_dim)).shape == (3, 1, 28, 28)

    def test_eval_forward_decodes_the_mean(self) -> None:
        net = self.make_net().eval()
        x = uniform(2, 1, 28, 28)
        logits, mu, _ = net(x)
        torch.testing.assert_close(logits, net.decode(mu))

    def test_reparameterize_follows_the_generator(self) -> None:
        net = self.make_net()
        mu, logvar = torch.zeros(4, net.latent_dim), torch.zeros(4, net.latent_dim)
        first = net.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
        again = net.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
        other = net.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(2))
        assert torch.equal(first, again)
        assert not torch.equal(first, other)
        assert torch.isfinite(net.reparameterize(mu, torch.full_like(mu, 1e6))).all()

    @pytest.mark.parametrize("value", [1e6, -1e6, 1e30, -3.0e38])
    def test_decode_huge_latents_gives_finite_logits(self, value: float) -> None:
        net = self.make_net().eval()
        with torch.no_grad():
            logits = net.decode(torch.full((2, net.latent_dim), value))
        assert torch.isfinite(logits).all()

    def test_other_image_size_is_refused(self) -> None:
        with pytest.raises(InputError, match="28"):
            self.make_net().encode(uniform(1, 1, 32, 32))


class TestMLPVAE(VAEChecks):
    net_class = MLPVAE
    init_kwargs: ClassVar[dict[str, Any]] = {"latent_dim": 2, "hidden_sizes": [16, 8]}


class TestConvVAE(VAEChecks):
    net_class = ConvVAE
    init_kwargs: ClassVar[dict[str, Any]] = {"latent_dim": 3, "base_channels": 4}

    def test_image_size_must_be_a_multiple_of_4(self) -> None:
        with pytest.raises(ValueError, match="multiple of 4"):
            ConvVAE(image_size=30)
