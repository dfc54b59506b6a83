"""An image-to-image model zoo: small PyTorch models for denoising, colourisation, super-resolution, pix2pix,
CycleGAN, a VAE latent explorer and GAN samplers, published as safetensors checkpoints.

>>> import zoo
>>> [m.name for m in zoo.list_models("vae")]  # doctest: +SKIP
['vae-mnist', 'vae-fashion']
>>> pipe = zoo.load("denoise-gray")  # doctest: +SKIP
>>> clean = pipe(noisy_image, sigma=25)  # doctest: +SKIP

``import zoo`` is cheap (no torch, no diffusers); they are imported on the first ``zoo.load``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from zoo.errors import CheckpointError, HubUnavailableError, InputError, ModelNotFoundError, PublishError, ZooError
from zoo.registry import TASKS, ModelEntry, list_models

if TYPE_CHECKING:
    import torch

    from zoo.pipelines.base import Pipeline

__version__ = "0.1.0"

__all__ = [
    "TASKS",
    "CheckpointError",
    "HubUnavailableError",
    "InputError",
    "ModelEntry",
    "ModelNotFoundError",
    "PublishError",
    "ZooError",
    "list_models",
    "load",
    "restore",
]


def load(
    name_or_path: str | os.PathLike,
    revision: str | None = None,
    device: str | torch.device = "cpu",
    cache_dir: str | os.PathLike | None = None,
) -> Pipeline:
    """Load a ready task pipeline from a catalog name, a Hub repo id (``org/name``) or a local folder.

    Resolution order: an explicit folder; the local mirror (``$ZOO_MIRROR/<org>/<name>``, or ``mirror/<org>/<name>`` in
    a repository checkout; works offline); the Hugging Face Hub cache; a download of the pinned revision (skipped
    when ``HF_HUB_OFFLINE=1``; with no network it fails within about two seconds). Files of catalog checkpoints are
    checked against their published sha256.

    >>> pipe = zoo.load("vae-mnist")  # doctest: +SKIP
    >>> pipe.sample(4, seed=0)  # doctest: +SKIP

    Raises ``ModelNotFoundError`` (unknown name, not downloadable; its subclass ``HubUnavailableError`` when the Hub
    does not answer in time) or ``CheckpointError`` (corrupt or tampered files).
    """
    from zoo.hub import resolve

    found = resolve(name_or_path, revision=revision, cache_dir=cache_dir)
    from zoo.pipelines import load_pipeline  # torch + diffusers (~3 s): only once there is something to load

    name = found.entry.name if found.entry else (found.repo_id or str(name_or_path))
    pipe = load_pipeline(found.path, device=device, name=name)
    pipe.source = found.source
    return pipe


def restore(image, upscale: int = 1, colorize: str | bool = "auto", strength: float | None = None, models=None):
    """Restore a photo in one call: blind denoise / deblock, colourise if it is grayscale (``colorize="auto"``),
    upscale x2 or x4 (capped at 16 megapixels). Returns a ``RestoreResult`` (``.image``, ``.steps`` with the model and
    seconds of each, ``.notes``). See ``zoo.chain.RestorePipeline`` to keep the models loaded between calls.

    >>> result = zoo.restore(Image.open("scan.jpg"), upscale=2)  # doctest: +SKIP
    >>> result.image.save("scan-restored.png"); print(*result.steps, sep="\n")  # doctest: +SKIP
    """
    from zoo.chain import restore as run

    return run(image, upscale=upscale, colorize=colorize, strength=strength, models=models)
