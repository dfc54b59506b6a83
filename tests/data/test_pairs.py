from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, DistributedSampler

from zoo.data import (
    DatasetError,
    DatasetWarning,
    PairedImageDataset,
    UnpairedImageDataset,
    UnpairedOrder,
    partner_conflicts,
)

from .helpers import noise, save_pair

RED, BLUE = (220, 20, 20), (20, 20, 220)


def solid(colour, size=16):
    return np.full((size, size, 3), colour, dtype=np.uint8)


@pytest.fixture
def jpg_pairs(tmp_path):
    for i in range(3):
        save_pair(tmp_path / f"{i + 1}.jpg", solid(RED), solid(BLUE), quality=95)
    (tmp_path / "corrupt.jpg").write_bytes(b"not a jpeg at all" * 10)
    (tmp_path / "zero.jpg").write_bytes(b"")
    return tmp_path


def build_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DatasetWarning)
        return PairedImageDataset(*args, **kwargs)


def test_unreadable_files_are_skipped_with_one_counted_warning(jpg_pairs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = PairedImageDataset(jpg_pairs, load_size=20, crop_size=16)
    ours = [w for w in caught if issubclass(w.category, DatasetWarning)]
    assert len(ours) == 1
    assert "skipped 2 unreadable image(s)" in str(ours[0].message) and "corrupt.jpg" in str(ours[0].message)
    assert len(data) == 3


def test_shapes_range_and_direction(jpg_pairs):
    a_to_b = build_quietly(jpg_pairs, direction="AtoB", load_size=20, crop_size=16)
    item = a_to_b[0]
    assert set(item) == {"A", "B", "path"} and item["path"].endswith("1.jpg")
    for key in "AB":
        assert item[key].shape == (3, 16, 16) and item[key].dtype == torch.float32
        assert item[key].min() >= -1 and item[key].max() <= 1
    assert item["A"][0].mean() > 0.5 > item["A"][2].mean()  # A = left half = red
    swapped = build_quietly(jpg_pairs, direction="BtoA", load_size=20, crop_size=16)[0]
    assert torch.equal(swapped["A"], item["B"]) and torch.equal(swapped["B"], item["A"])


def test_eval_resizes_to_crop_size_only(jpg_pairs):
    item = build_quietly(jpg_pairs, load_size=20, crop_size=8, train=False)[1]
    assert item["A"].shape == (3, 8, 8)


def test_a_and_b_get_the_same_crop_and_mirror(tmp_path, rng):
    for i in range(2):
        half = noise(rng, 16, 16)
        save_pair(tmp_path / f"{i}.png", half, half)  # PNG: lossless, so B == A exactly
    data = PairedImageDataset(tmp_path, load_size=24, crop_size=16, seed=3)
    seen = []
    for epoch in range(4):
        data.set_epoch(epoch)
        for index in range(len(data)):
            item = data[index]
            assert torch.equal(item["A"], item["B"])
            seen.append(item["A"])
    assert not all(torch.equal(seen[0], other) for other in seen[2::2])  # crops really vary between epochs
    data.set_epoch(1)
    assert torch.equal(data[0]["A"], seen[2])  # and are a pure function of (seed, epoch, index)


def test_empty_folder_and_bad_arguments(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        PairedImageDataset(tmp_path)
    (tmp_path / "bad.jpg").write_bytes(b"")
    with pytest.warns(DatasetWarning), pytest.raises(DatasetError, match="none of the 1"):
        PairedImageDataset(tmp_path)
    with pytest.raises(DatasetError, match="direction"):
        PairedImageDataset(tmp_path, direction="AB")
    with pytest.raises(DatasetError, match="crop_size"):
        PairedImageDataset(tmp_path, load_size=100, crop_size=128)


# --- unpaired ------------------------------------------------------------------------------------------------------


def steps(order: UnpairedOrder, epoch: int, batch_size: int, processes: int):
    """The (A indices, B indices) of each training step when ``processes`` take consecutive batches (accelerate)."""
    positions = list(range(len(order)))
    per_step = batch_size * processes
    for start in range(0, len(positions), per_step):
        pairs = [order.indices(k, epoch) for k in positions[start : start + per_step]]
        yield [a for a, _ in pairs], [b for _, b in pairs]


@pytest.mark.parametrize("n", [2, 3, 9, 10, 17])
def test_no_step_holds_an_image_with_its_partner(n):
    order = UnpairedOrder(n, n, partnered=True, seed=5)
    assert order.max_items_per_step == n // 2
    for epoch in range(4):
        for batch_size in [1, 4]:
            for processes in [1, 2]:
                if batch_size * processes > n // 2:
                    continue
                for indices_a, indices_b in steps(order, epoch, batch_size, processes):
                    assert partner_conflicts(indices_a, indices_b) == []
        shown = [order.indices(k, epoch) for k in range(n)]
        assert sorted(a for a, _ in shown) == list(range(n))  # every A once per epoch
        assert sorted(b for _, b in shown) == list(range(n))  # every B once per epoch
        # the strongest form: every window of n // 2 consecutive positions, wrapping around, is conflict-free
        for start in range(n):
            window = [order.indices((start + j) % n, epoch) for j in range(n // 2)]
            assert partner_conflicts([a for a, _ in window], [b for _, b in window]) == []


def test_distributed_sampler_steps_are_conflict_free():
    n, batch_size, replicas = 12, 3, 2
    order = UnpairedOrder(n, n, partnered=True, seed=0)
    per_rank = [
        list(DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False)) for rank in range(replicas)
    ]
    for start in range(0, n // replicas, batch_size):
        step = [order.indices(k, 1) for rank in per_rank for k in rank[start : start + batch_size]]
        assert partner_conflicts([a for a, _ in step], [b for _, b in step]) == []


def test_partner_conflicts_detects_a_naive_order():
    assert partner_conflicts([3, 1, 2], [2, 5]) == [2]
    naive = np.random.default_rng(0).permutation(10)  # same permutation, no shift: every item is its own partner
    assert partner_conflicts(naive[:4], naive[:4]) == sorted(naive[:4].tolist())


def test_order_is_seeded_per_epoch_and_unpartnered_sizes_may_differ():
    order, twin = UnpairedOrder(8, 8, True, seed=1), UnpairedOrder(8, 8, True, seed=1)
    assert [order.indices(k, 0) for k in range(8)] == [twin.indices(k, 0) for k in range(8)]
    assert [order.indices(k, 0) for k in range(8)] != [order.indices(k, 1) for k in range(8)]
    loose = UnpairedOrder(3, 5, partnered=False, seed=0)
    shown = [loose.indices(k, 0) for k in range(len(loose))]
    assert len(loose) == 5 and sorted(b for _, b in shown) == list(range(5)) and {a for a, _ in shown} == {0, 1, 2}
    with pytest.raises(DatasetError, match="equal sizes"):
        UnpairedOrder(3, 4, partnered=True)
    with pytest.raises(DatasetError, match="at least 2 pairs"):
        UnpairedOrder(1, 1, partnered=True)


def test_unpaired_from_paired_folder_through_a_dataloader(tmp_path, rng):
    for i in range(10):
        save_pair(tmp_path / f"{i}.png", noise(rng, 8, 8), noise(rng, 8, 8))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.warns(DatasetWarning, match="skipped 1 unreadable"):
        data = UnpairedImageDataset.from_paired_folder(tmp_path, direction="BtoA", load_size=10, crop_size=8)
    assert data.partnered and len(data) == 10 and data.max_items_per_step == 5
    assert data.images_a[0].half == "right" and data.images_b[0].half == "left"
    loader = DataLoader(data, batch_size=4, shuffle=False)
    for epoch in range(2):
        data.set_epoch(epoch)
        seen_a = []
        for batch in loader:
            assert batch["A"].shape[1:] == (3, 8, 8) and batch["A"].abs().max() <= 1
            assert partner_conflicts(batch["index_a"].tolist(), batch["index_b"].tolist()) == []
            assert not set(batch["path_a"]) & set(batch["path_b"])
            seen_a += batch["index_a"].tolist()
        assert sorted(seen_a) == list(range(10))


def test_unpaired_from_two_folders(tmp_path, rng):
    for domain, count in [("trainA", 3), ("trainB", 5)]:
        (tmp_path / domain).mkdir()
        for i in range(count):
            Image.fromarray(noise(rng, 12, 12)).save(tmp_path / domain / f"{i}.png")
    data = UnpairedImageDataset(tmp_path / "trainA", tmp_path / "trainB", load_size=12, crop_size=10, train=False)
    assert not data.partnered and len(data) == 5
    item = data[4]
    assert item["A"].shape == (3, 10, 10) and "trainB" in item["path_b"]
