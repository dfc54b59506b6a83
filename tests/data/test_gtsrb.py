"""The GTSRB signs reader (``zoo.data.load_gtsrb4``): ROI crops at 32x32, labels in the numeric order of the class
ids, one-line errors; and the shared gtsrb4 folder itself when it is on this machine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.shared_data import missing
from tests.support.signs import COLOURS, SURROUND, write_gtsrb_folder
from zoo.data import (
    SIGN_CLASSES,
    DatasetError,
    class_names,
    image_shape,
    load_gtsrb4,
    load_labelled,
)


@pytest.fixture
def signs(tmp_path):
    return write_gtsrb_folder(tmp_path / "gtsrb4")


def test_signs_are_roi_crops_labelled_by_class_id_order(signs):
    images, labels = load_gtsrb4(signs, "train")
    assert images.shape == (24, 32, 32, 3) and images.dtype == np.uint8 and labels.dtype == np.int64
    assert list(np.bincount(labels)) == [6, 6, 6, 6]
    assert list(labels[:6]) == [0] * 6 and list(labels[-6:]) == [3] * 6  # class 16 is label 3, not 1 (string order)
    for image, label in zip(images, labels, strict=True):
        centre = image[12:20, 12:20].reshape(-1, 3).mean(axis=0)
        assert np.abs(centre - COLOURS[label]).max() < 12, (label, centre)
        # the green surround lies outside the ROI box: nothing of it is left after the crop
        green = (image[..., 1] > 200) & (image[..., 0] < 60) & (image[..., 2] < 60)
        assert not green.any(), SURROUND
    test_images, test_labels = load_gtsrb4(signs, "test", size=16)
    assert test_images.shape == (12, 16, 16, 3) and list(np.bincount(test_labels)) == [3, 3, 3, 3]


def test_labelled_sets_dispatch_by_name(signs):
    images, labels = load_labelled(signs, "test")
    assert images.shape[1:] == (32, 32, 3) and len(labels) == 12
    assert class_names(signs) == SIGN_CLASSES == ["speed limit 30", "speed limit 100", "stop", "no trucks"]
    assert image_shape("gtsrb4") == (3, 32) and image_shape("mnist") == (1, 28)
    assert class_names("fashion-mnist")[7] == "Sneaker" and class_names(None)[3] == "3"


def test_bad_rows_are_one_line_errors(signs):
    table = signs / "labels" / "train.csv"
    text = table.read_text()
    table.write_text(text.replace(",16,class 16", ",15,class 15", 1))
    with pytest.raises(DatasetError, match=r"train.csv line \d+: class_id 15 is not one of the four classes"):
        load_gtsrb4(signs, "train")
    (signs / "labels" / "test.csv").unlink()
    with pytest.raises(DatasetError, match=r"cannot read .*test\.csv"):
        load_gtsrb4(signs, "test")
    with pytest.raises(DatasetError, match="unknown split"):
        load_gtsrb4(signs, "val")


@pytest.mark.realdata  # reads ../shared/data/gtsrb4
def test_the_shared_gtsrb4_folder():
    try:
        train_images, train_labels = load_gtsrb4("gtsrb4", "train")
        _, test_labels = load_gtsrb4("gtsrb4", "test")
    except DatasetError as error:
        missing(error)
    # the counts of ../shared/data/gtsrb4/README.md: speed limit 30, speed limit 100, stop, no trucks
    assert list(np.bincount(train_labels)) == [1110, 720, 390, 210]
    assert list(np.bincount(test_labels)) == [240, 150, 88, 50]
    assert train_images.shape == (2430, 32, 32, 3) and 20 < train_images.mean() < 235
