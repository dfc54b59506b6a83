"""Errors a user can act on. Each says what failed, with which value, and what to do."""

from __future__ import annotations


class ZooError(Exception):
    """Base class of every error the zoo raises on purpose."""


class ModelNotFoundError(ZooError, LookupError):
    """A name, repo id or folder that resolves to no checkpoint."""


class HubUnavailableError(ModelNotFoundError):
    """The Hub endpoint cannot be reached or does not answer in time (offline, a captive portal, a stalled proxy)."""


class CheckpointError(ZooError, ValueError):
    """A checkpoint folder that is incomplete, corrupted or not what it claims to be."""


class InputError(ZooError, ValueError):
    """An input (image, latent, argument) the pipeline cannot use."""


class PublishError(ZooError, ValueError):
    """An output folder that failed validation before publishing."""
