"""Readers on the real datasets of ../shared/data; skipped without them (failed under ZOO_REQUIRE_DATA=1)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.shared_data import missing
from zoo.data import DatasetError, PairedImageDataset, UnpairedImageDataset, dataset_dir, load_mnist

pytestmark = pytest.mark.realdata


def real(name: str):
    try:
        return dataset_dir(name)
    except DatasetError as error:
        missing(error)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_mnist_layout_counts(name):
    folder = real(name)
    for split, count in [("train", 60000), ("test", 10000)]:
        images, labels = load_mnist(folder, split)
        assert images.shape == (count, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (count,) and set(np.unique(labels)) == set(range(10))


def test_facades_train():
    data = PairedImageDataset(real("facades/train"), direction="BtoA")
    assert len(data) == 400
    item = data[0]
    assert item["A"].shape == item["B"].shape == (3, 256, 256)


def test_maps_train_as_unpaired_domains():
    data = UnpairedImageDataset.from_paired_folder(real("maps/train"), direction="AtoB", train=False)
    assert len(data) == 183 and data.max_items_per_step == 91
