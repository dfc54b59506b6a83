from __future__ import annotations

import numpy as np
import pytest
import torch

from zoo.data import ArrayImageDataset, ArrayPairedDataset, ArrayUnpairedDataset, DatasetError, partner_conflicts


def test_gray_and_colour_images_with_labels():
    gray = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    data = ArrayImageDataset(gray, labels=[3, 7])
    item = data[1]
    assert item["image"].shape == (1, 4, 4) and item["image"].dtype == torch.float32
    assert item["label"].dtype == torch.int64 and int(item["label"]) == 7
    assert torch.allclose(item["image"][0, 0, 0], torch.tensor(16 / 255))
    colour = ArrayImageDataset(torch.zeros(3, 5, 5, 3, dtype=torch.uint8), signed=True)
    assert colour[0]["image"].shape == (3, 5, 5) and colour[0]["image"].eq(-1).all() and "label" not in colour[0]
    flipped = ArrayImageDataset(gray, transform=lambda t: t.flip(-1))
    assert torch.equal(flipped[0]["image"], data[0]["image"].flip(-1))


def test_bad_arrays_are_rejected():
    with pytest.raises(DatasetError, match="uint8"):
        ArrayImageDataset(np.zeros((2, 4, 4), dtype=np.float32))
    with pytest.raises(DatasetError, match="labels"):
        ArrayImageDataset(np.zeros((2, 4, 4), dtype=np.uint8), labels=[1])
    with pytest.raises(DatasetError, match="equal lengths"):
        ArrayPairedDataset(np.zeros((2, 4, 4), dtype=np.uint8), np.zeros((3, 4, 4), dtype=np.uint8))


def test_paired_and_partnered_unpaired_arrays():
    images = np.arange(10, dtype=np.uint8)[:, None, None, None].repeat(2, 1).repeat(2, 2).repeat(3, 3)
    paired = ArrayPairedDataset(images, images)
    assert paired[4]["index"] == 4 and torch.equal(paired[4]["A"], paired[4]["B"])
    unpaired = ArrayUnpairedDataset(images, images, partnered=True, seed=1)
    assert unpaired.max_items_per_step == 5
    batch = [unpaired[k] for k in range(5)]
    assert partner_conflicts([i["index_a"] for i in batch], [i["index_b"] for i in batch]) == []
