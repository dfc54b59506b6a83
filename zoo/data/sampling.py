"""Deterministic randomness for datasets, and the unpaired order that never shows an image with its own partner.

Every random choice of an item (crop, flip, rotation) comes from ``item_rng(seed, epoch, index)``, so the same item
gets the same augmentation in any DataLoader worker or process. Datasets get their epoch from ``set_epoch(epoch)``,
which the training loop calls before each epoch (like ``DistributedSampler.set_epoch``); with
``persistent_workers=True`` the workers keep their own copy of the dataset and would not see the new epoch.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from zoo.data.errors import DatasetError

__all__ = ["EpochMixin", "UnpairedOrder", "item_rng", "partner_conflicts"]


def item_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator of one item's random choices, a pure function of ``(seed, epoch, index)``."""
    return np.random.default_rng([seed, epoch, index])


class EpochMixin:
    """``set_epoch(epoch)``: a new epoch gives new (still deterministic) permutations and augmentations."""

    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)


class UnpairedOrderMixin(EpochMixin):
    """Length and step bound of a dataset whose items follow ``self.order`` (an ``UnpairedOrder``)."""

    order: UnpairedOrder

    @property
    def max_items_per_step(self) -> int:
        return self.order.max_items_per_step

    def __len__(self) -> int:
        return len(self.order)


class UnpairedOrder:
    """Which A and which B item the dataset position ``k`` shows in an epoch.

    ``partnered=True`` means A[i] and B[i] are two halves of one source (a pix2pix pair split apart), so they must
    never meet in one training step. The rule: with ``p`` the epoch's permutation of ``range(n)`` (seeded by
    ``(seed, epoch)``) and ``s = n // 2``, position ``k`` shows ``A[p[k]]`` and ``B[p[(k + s) % n]]``.
    A conflict needs positions ``k1``, ``k2`` with ``p[k1] = p[(k2 + s) % n]``, i.e. ``k1 - k2 = s (mod n)``.
    Consecutive positions (wrapping around included) of a window of ``L <= s`` items differ by at most ``L - 1 < s
    <= n - s``, so any window of at most ``n // 2`` consecutive positions is conflict-free: a batch read by a
    sequential sampler, or the consecutive batches that several processes take in one step (accelerate's sharding,
    or ``DistributedSampler(shuffle=False)``), as long as ``batch_size * num_processes <= max_items_per_step``.
    Do not shuffle in the sampler: the dataset shuffles itself each epoch. Every A and every B appears exactly once
    per epoch.

    Unpartnered domains (two different image sets) get independent permutations; the length is the larger size and
    the smaller domain repeats (``k % n``).
    """

    def __init__(self, size_a: int, size_b: int, partnered: bool, seed: int = 0, shuffle: bool = True) -> None:
        if size_a < 1 or size_b < 1:
            raise DatasetError(f"an unpaired dataset needs images in both domains, got {size_a} A and {size_b} B")
        if partnered and size_a != size_b:
            raise DatasetError(f"partnered domains must have equal sizes, got {size_a} A and {size_b} B")
        if partnered and size_a < 2:
            raise DatasetError("splitting pairs apart needs at least 2 pairs, got 1")
        self.size_a, self.size_b = size_a, size_b
        self.partnered, self.seed, self.shuffle = partnered, seed, shuffle
        self._cached: tuple[int, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return max(self.size_a, self.size_b)

    @property
    def max_items_per_step(self) -> int:
        """The largest ``batch_size * num_processes`` for which no step can hold an A with its partner B."""
        return self.size_a // 2 if self.partnered else len(self)

    def _permutations(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        if self._cached is None or self._cached[0] != epoch:
            if not self.shuffle:
                perm_a, perm_b = np.arange(self.size_a), np.arange(self.size_b)
            elif self.partnered:
                perm_a = perm_b = np.random.default_rng([self.seed, epoch]).permutation(self.size_a)
            else:
                perm_a = np.random.default_rng([self.seed, epoch, 0]).permutation(self.size_a)
                perm_b = np.random.default_rng([self.seed, epoch, 1]).permutation(self.size_b)
            self._cached = (epoch, perm_a, perm_b)
        return self._cached[1], self._cached[2]

    def indices(self, position: int, epoch: int) -> tuple[int, int]:
        """``(index into A, index into B)`` shown at ``position`` in ``epoch``."""
        if not 0 <= position < len(self):
            raise IndexError(f"position {position} out of range for {len(self)} items")
        perm_a, perm_b = self._permutations(epoch)
        shift = self.size_a // 2 if self.partnered else 0
        return int(perm_a[position % self.size_a]), int(perm_b[(position + shift) % self.size_b])


def partner_conflicts(indices_a: Iterable[int], indices_b: Iterable[int]) -> list[int]:
    """The indices ``i`` for which a step holds both A[i] and its partner B[i] (empty = truly unpaired)."""
    return sorted(set(int(i) for i in indices_a) & set(int(i) for i in indices_b))
