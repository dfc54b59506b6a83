"""The base class every network of the zoo derives from.

A ``ZooNet`` is a plain ``torch.nn.Module`` that is also a diffusers ``ModelMixin`` + ``ConfigMixin``: the constructor's
arguments (decorated with ``@register_to_config``) are the config, so ``save_pretrained`` writes ``config.json`` +
``diffusion_pytorch_model.safetensors`` and ``from_pretrained`` rebuilds the same architecture with no extra flags.
"""

from __future__ import annotations

from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

__all__ = ["ZooNet", "register_to_config"]


class ZooNet(ModelMixin, ConfigMixin):
    """Base class of all zoo networks (architecture only: no file I/O, no PIL)."""

    config_name = "config.json"
