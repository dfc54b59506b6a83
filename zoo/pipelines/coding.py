"""Autoencoder and classifier pipelines for 28x28 images (white on black, like MNIST); the classifiers also judge
32x32 colour images (the traffic signs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from zoo.errors import InputError
from zoo.pipelines.base import Pipeline
from zoo.pipelines.generative import MAX_SAMPLES, digit_tensor
from zoo.pipelines.images import tensors_to_images


class AutoencoderPipeline(Pipeline):
    """The course's autoencoders: ``encode(images) -> np.ndarray [n, ...]``, ``decode(codes) -> list[Image]``,
    ``reconstruct(images) -> list[Image]``, ``pipe(image) -> Image`` (the reconstruction)."""

    task = "autoencoder"

    @property
    def image_size(self) -> int:
        return int(self.models["model"].config.image_size)

    @property
    def code_shape(self) -> tuple[int, ...]:
        """Shape of one code: ``(code_size,)`` for dense nets, ``(channels, h, w)`` for convolutional ones."""
        probe = torch.zeros(1, self.channels, self.image_size, self.image_size, device=self.device)
        with torch.no_grad():
            return tuple(self.models["model"].encode(probe).shape[1:])

    @property
    def channels(self) -> int:
        return int(self.models["model"].config.in_channels)

    def _images(self, images: Any, what: str) -> torch.Tensor:
        x = digit_tensor(images, self.image_size, self.device, prepare=self.options.get("dataset") == "mnist")
        if x.shape[0] > MAX_SAMPLES:
            raise InputError(f"{what} takes at most {MAX_SAMPLES} images per call, got {x.shape[0]}")
        return x

    @torch.no_grad()
    def encode(self, images: Any) -> np.ndarray:
        """Codes ``[n, *code_shape]`` of one image or a list (any mode and size; resized to ``image_size``)."""
        return self.models["model"].encode(self._images(images, "encode")).cpu().numpy()

    @torch.no_grad()
    def decode(self, codes: Any) -> list:
        """Images of codes ``[n, *code_shape]`` (or one code ``code_shape``); any finite values."""
        try:
            z = torch.as_tensor(np.asarray(codes, dtype=np.float32))
        except (TypeError, ValueError) as error:
            raise InputError(f"codes must be an array of numbers of shape [n, {self.code_shape}]: {error}") from error
        shape = self.code_shape
        if tuple(z.shape) == shape:
            z = z[None]
        if z.ndim != len(shape) + 1 or tuple(z.shape[1:]) != shape:
            raise InputError(f"codes must have shape [n, {', '.join(map(str, shape))}], got {list(z.shape)}")
        if not torch.isfinite(z).all():
            raise InputError("codes must be finite (no NaN or inf values)")
        if z.shape[0] > MAX_SAMPLES:
            raise InputError(f"decode takes at most {MAX_SAMPLES} codes per call, got {z.shape[0]}")
        return tensors_to_images(self.models["model"].decode(z.to(self.device)))

    @torch.no_grad()
    def reconstruct(self, images: Any) -> list:
        """``decode(encode(images))`` as L images of ``image_size`` (inputs of any mode and size are resized)."""
        return tensors_to_images(self.models["model"](self._images(images, "reconstruct")))

    def __call__(self, image: Any):
        return self.reconstruct([image])[0]

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        x = torch.rand(4, 1, self.image_size, self.image_size, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            return {"images": x}, self.models["model"](x.to(self.device))


class ClassifierPipeline(Pipeline):
    """Image classifier used by evaluations: ``predict(images) -> np.ndarray [n]``, ``probabilities(images)``,
    ``features(images) -> np.ndarray [n, F]`` (penultimate layer, for classifier-FID), ``labels``."""

    task = "classify"

    @property
    def labels(self) -> list[str]:
        return list(self.options.get("labels", []))

    @property
    def image_size(self) -> int:
        return int(self.models["model"].config.image_size)

    def _batch(self, images: Any) -> torch.Tensor:
        if isinstance(images, torch.Tensor):  # already [N,C,H,W] in [0,1]
            return images.to(self.device).float()
        prepare = self.options.get("dataset") == "mnist"
        return digit_tensor(images, self.image_size, self.device, prepare=prepare, channels=self.channels)

    @property
    def channels(self) -> int:
        """1 for the gray judges, 3 for the colour ones (inputs of any mode are converted)."""
        return int(self.models["model"].config.in_channels)

    @torch.no_grad()
    def probabilities(self, images: Any) -> np.ndarray:
        return torch.softmax(self.models["model"](self._batch(images)), dim=1).cpu().numpy()

    def predict(self, images: Any) -> np.ndarray:
        return self.probabilities(images).argmax(axis=1)

    @torch.no_grad()
    def features(self, images: Any) -> np.ndarray:
        return self.models["model"].features(self._batch(images)).cpu().numpy()

    @torch.no_grad()
    def features_and_predictions(self, images: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(features [n, F], predicted classes [n])`` in one pass (what classifier-FID and label accuracy need)."""
        net = self.models["model"]
        features = net.features(self._batch(images))
        return features.cpu().numpy(), net.head(features).argmax(dim=1).cpu().numpy()

    def golden_probe(self) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        x = torch.rand(4, self.channels, self.image_size, self.image_size, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            return {"images": x}, self.models["model"](x.to(self.device))
