"""Dataset readers and deterministic synthetic generators, shared by training and evaluation.

>>> from zoo.data import ArrayImageDataset, load_mnist
>>> data = ArrayImageDataset(*load_mnist("mnist", "train"), signed=True)  # doctest: +SKIP
"""

from zoo.data.arrays import ArrayImageDataset, ArrayPairedDataset, ArrayUnpairedDataset
from zoo.data.errors import DatasetError, DatasetWarning
from zoo.data.gtsrb import SIGN_CLASS_IDS, SIGN_CLASSES, SIGN_SIZE, load_gtsrb4
from zoo.data.idx import FASHION_CLASSES, MNIST_CLASSES, load_mnist, read_idx, write_idx
from zoo.data.images import (
    IMAGE_EXTENSIONS,
    dihedral,
    image_to_tensor,
    list_images,
    load_image,
    readable_images,
    split_pair,
)
from zoo.data.labelled import class_names, image_shape, is_signs, load_labelled
from zoo.data.pairs import PAIRED_HALVES, PAIRED_TASK_DIRECTION, ImageRef, PairedImageDataset, UnpairedImageDataset
from zoo.data.patches import DegradedPatchDataset, ImagePatchDataset
from zoo.data.paths import ENV_VAR, data_root, dataset_dir, resolve_dataset, resolve_datasets
from zoo.data.sampling import EpochMixin, UnpairedOrder, item_rng, partner_conflicts
from zoo.data.synthetic import (
    BACKGROUND,
    GREEN,
    VIOLET,
    circles_and_squares,
    circles_and_squares_dataset,
    circles_to_rectangles,
    circles_to_rectangles_dataset,
    shape_mask,
    sine_points,
    vertical_lines,
)

__all__ = [
    "BACKGROUND",
    "ENV_VAR",
    "FASHION_CLASSES",
    "GREEN",
    "IMAGE_EXTENSIONS",
    "MNIST_CLASSES",
    "PAIRED_HALVES",
    "PAIRED_TASK_DIRECTION",
    "SIGN_CLASSES",
    "SIGN_CLASS_IDS",
    "SIGN_SIZE",
    "VIOLET",
    "ArrayImageDataset",
    "ArrayPairedDataset",
    "ArrayUnpairedDataset",
    "DatasetError",
    "DatasetWarning",
    "DegradedPatchDataset",
    "EpochMixin",
    "ImagePatchDataset",
    "ImageRef",
    "PairedImageDataset",
    "UnpairedImageDataset",
    "UnpairedOrder",
    "circles_and_squares",
    "circles_and_squares_dataset",
    "circles_to_rectangles",
    "circles_to_rectangles_dataset",
    "class_names",
    "data_root",
    "dataset_dir",
    "dihedral",
    "image_shape",
    "image_to_tensor",
    "is_signs",
    "item_rng",
    "list_images",
    "load_gtsrb4",
    "load_image",
    "load_labelled",
    "load_mnist",
    "partner_conflicts",
    "read_idx",
    "readable_images",
    "resolve_dataset",
    "resolve_datasets",
    "shape_mask",
    "sine_points",
    "split_pair",
    "vertical_lines",
    "write_idx",
]  # fmt: skip
