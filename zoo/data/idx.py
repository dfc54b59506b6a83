"""The idx format of MNIST and Fashion-MNIST (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels, gzipped or not).

An idx file is a 4-byte magic number ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
data in row-major order. MNIST images are ``0x00000803`` (uint8, 3 dims), labels ``0x00000801`` (uint8, 1 dim).
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from zoo.data.errors import DatasetError
from zoo.data.paths import resolve_dataset

__all__ = ["FASHION_CLASSES", "MNIST_CLASSES", "load_mnist", "read_idx", "write_idx"]

MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an idx file (gzip detected from its content, not its name) into a native-endian numpy array.

    >>> images = read_idx("mnist/t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape, images.dtype
    ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"cannot read idx file {path}: {error.strerror or error}") from error
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise DatasetError(f"{path} is a truncated or corrupt gzip file ({error}); download it again") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DatasetError(
            f"{path} is not an idx file (magic 0x{raw[:4].hex() or 'empty'}); expected 0x00000803 (images) or "
            "0x00000801 (labels)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path} is truncated inside its header ({len(raw)} bytes); download it again")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_DTYPES[raw[2]])
    count = math.prod(shape)
    expected, found = count * dtype.itemsize, len(raw) - header
    if found != expected:
        problem = "is truncated" if found < expected else f"has {found - expected} extra bytes"
        raise DatasetError(
            f"{path} {problem}: its header says shape {shape} ({expected} data bytes) but it holds {found}; "
            "download it again"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an idx file, gzipped when ``path`` ends in ``.gz`` (used to make test fixtures)."""
    array = np.asarray(array)
    codes = {np.dtype(code).newbyteorder("="): key for key, code in _DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes or array.ndim > 255:
        raise DatasetError(f"cannot write {array.dtype} with {array.ndim} dims as idx; use uint8, int16/32, float32/64")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.dtype(_DTYPES[codes[native]])).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def load_mnist(
    root_or_name: str | Path = "mnist", split: str = "train", data_dir: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 ``[N, 28, 28]`` and labels int64 ``[N]`` of an MNIST-layout folder.

    ``root_or_name`` is a folder or a dataset name under the data root (``"mnist"``, ``"fashion-mnist"``); both use
    the file names ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``. ``split`` is ``"train"`` or ``"test"``.

    >>> images, labels = load_mnist("fashion-mnist", "test")  # doctest: +SKIP
    >>> FASHION_CLASSES[labels[0]]
    'Ankle boot'
    """
    if split not in _SPLIT_PREFIX:
        raise DatasetError(f"unknown split {split!r}; use 'train' or 'test'")
    folder = resolve_dataset(root_or_name, data_dir)
    prefix = _SPLIT_PREFIX[split]
    images = read_idx(_find_idx(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find_idx(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(f"{folder}: {prefix} images are {images.dtype} {images.shape}, expected uint8 [N, H, W]")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DatasetError(f"{folder}: {len(images)} {prefix} images but labels of shape {labels.shape}")
    return images, labels.astype(np.int64)


def _find_idx(folder: Path, stem: str) -> Path:
    candidates = [folder / f"{stem}.gz", folder / stem]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    names = f"{candidates[0].name} nor {candidates[1].name}"
    raise DatasetError(f"{folder} has neither {names}; is it an MNIST-layout folder?")
