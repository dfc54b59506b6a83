from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data import DatasetError, DatasetWarning, dihedral, image_to_tensor, list_images, load_image, readable_images

from .helpers import noise


def test_list_images_filters_and_sorts_naturally(tmp_path):
    for name in ["10.jpg", "2.PNG", "1.bmp", "a.tif", "notes.txt", "b.jpeg"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["1.bmp", "2.PNG", "10.jpg", "a.tif", "b.jpeg"]
    with pytest.raises(DatasetError, match="does not exist"):
        list_images(tmp_path / "absent")


def test_load_image_applies_exif_orientation(tmp_path, rng):
    pixels = noise(rng, 4, 6)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.fromarray(pixels).save(tmp_path / "rotated.png", exif=exif)
    image = load_image(tmp_path / "rotated.png", "RGB")
    assert image.size == (4, 6)  # width and height swapped
    np.testing.assert_array_equal(np.asarray(image), np.rot90(pixels, k=-1))
    assert load_image(tmp_path / "rotated.png", "L").mode == "L"


def test_unreadable_files_raise_or_are_skipped(tmp_path, rng):
    Image.fromarray(noise(rng, 64, 64)).save(tmp_path / "good.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "good.jpg").read_bytes()[:600])
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"cut\.jpg"):
        load_image(tmp_path / "cut.jpg")
    with pytest.warns(DatasetWarning, match=r"skipped 2 unreadable image\(s\) in .*: cut\.jpg \(and 1 more\)"):
        assert readable_images(list_images(tmp_path), tmp_path) == [tmp_path / "good.jpg"]


def test_to_tensor_ranges_and_layout():
    gray = np.array([[0, 255]], dtype=np.uint8)
    assert torch.equal(image_to_tensor(gray), torch.tensor([[[0.0, 1.0]]]))
    assert torch.equal(image_to_tensor(gray, signed=True), torch.tensor([[[-1.0, 1.0]]]))
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    rgb[..., 1] = 255
    tensor = image_to_tensor(Image.fromarray(rgb))
    assert tensor.shape == (3, 2, 3) and tensor.dtype == torch.float32
    assert tensor[1].eq(1).all() and tensor[0].eq(0).all()


def test_dihedral_gives_eight_distinct_transforms(rng):
    square = noise(rng, 5, 5, channels=1)
    outputs = {dihedral(square, t).tobytes() for t in range(8)}
    assert len(outputs) == 8
    np.testing.assert_array_equal(dihedral(square, 0), square)
    assert dihedral(noise(rng, 4, 4), 5).flags["C_CONTIGUOUS"]
