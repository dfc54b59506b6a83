from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from zoo.data import FASHION_CLASSES, MNIST_CLASSES, DatasetError, load_mnist, read_idx, write_idx


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx layout written by hand (independent of ``write_idx``): 0, 0, 0x08 (uint8), ndim, sizes, data."""
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def tiny_mnist(tmp_path, rng):
    images = {split: rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8) for split, n in [("train", 5), ("t10k", 3)]}
    labels = {split: rng.integers(0, 10, size=len(images[split]), dtype=np.uint8) for split in images}
    # train files gzipped, test files plain: both layouts occur in the wild
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images["train"])))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels["train"])))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images["t10k"]))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels["t10k"]))
    return tmp_path, images, labels


def test_read_idx_plain_and_gzip(tiny_mnist):
    folder, images, labels = tiny_mnist
    np.testing.assert_array_equal(read_idx(folder / "train-images-idx3-ubyte.gz"), images["train"])
    np.testing.assert_array_equal(read_idx(folder / "t10k-labels-idx1-ubyte"), labels["t10k"])


def test_load_mnist_splits(tiny_mnist):
    folder, images, labels = tiny_mnist
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        x, y = load_mnist(folder, split)
        assert x.dtype == np.uint8 and x.shape == images[prefix].shape
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y, labels[prefix])


def test_load_mnist_bad_split_and_missing_files(tiny_mnist, tmp_path):
    folder, _, _ = tiny_mnist
    with pytest.raises(DatasetError, match="'val'"):
        load_mnist(folder, "val")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz"):
        load_mnist(tmp_path / "empty")


def test_write_idx_round_trip(tmp_path):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    for name in ["a.idx", "a.idx.gz"]:
        back = read_idx(write_idx(tmp_path / name, array))
        assert back.dtype == np.int32
        np.testing.assert_array_equal(back, array)


def test_truncated_files_give_clear_errors(tiny_mnist, tmp_path):
    folder, _, _ = tiny_mnist
    raw = (folder / "t10k-images-idx3-ubyte").read_bytes()
    (tmp_path / "cut").write_bytes(raw[:-10])
    with pytest.raises(DatasetError, match=r"truncated.*\(3, 28, 28\)"):
        read_idx(tmp_path / "cut")
    (tmp_path / "cut-header").write_bytes(raw[:9])
    with pytest.raises(DatasetError, match="truncated inside its header"):
        read_idx(tmp_path / "cut-header")
    packed = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DatasetError, match="truncated or corrupt gzip"):
        read_idx(tmp_path / "cut.gz")


def test_bad_magic_and_missing_file(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(DatasetError, match="not an idx file"):
        read_idx(tmp_path / "bad")
    with pytest.raises(DatasetError, match="cannot read idx file"):
        read_idx(tmp_path / "absent")


def test_class_names():
    assert "".join(MNIST_CLASSES) == "0123456789" and len(MNIST_CLASSES) == 10
    assert len(FASHION_CLASSES) == 10 and FASHION_CLASSES[9] == "Ankle boot"
