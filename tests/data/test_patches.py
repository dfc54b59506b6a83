from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data import DatasetError, DatasetWarning, ImagePatchDataset, image_to_tensor

from .helpers import noise


@pytest.fixture
def photos(tmp_path, rng):
    Image.fromarray(noise(rng, 30, 40)).save(tmp_path / "1.png")
    Image.fromarray(noise(rng, 24, 24)).save(tmp_path / "2.bmp")
    Image.fromarray(noise(rng, 20, 36, channels=1)).save(tmp_path / "3.png")
    Image.fromarray(noise(rng, 10, 10)).save(tmp_path / "small.png")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage")
    return tmp_path


def build(folder, **kwargs):
    with pytest.warns(DatasetWarning) as caught:
        data = ImagePatchDataset(folder, **kwargs)
    messages = sorted(str(w.message) for w in caught)
    assert any("skipped 1 unreadable image(s)" in m and "corrupt.jpg" in m for m in messages)
    assert any("skipped 1 smaller than 16x16 image(s)" in m and "small.png" in m for m in messages)
    return data


@pytest.mark.parametrize(("mode", "channels"), [("L", 1), ("RGB", 3)])
def test_shapes_and_range(photos, mode, channels):
    data = build(photos, patch_size=16, mode=mode, patches_per_image=2)
    assert len(data) == 6 and len(data.images) == 3
    item = data[5]
    assert set(item) == {"image"}
    assert item["image"].shape == (channels, 16, 16) and item["image"].dtype == torch.float32
    assert item["image"].min() >= 0 and item["image"].max() <= 1


@pytest.mark.parametrize("scale", [2, 4])
def test_lr_is_the_bicubic_downscale_of_the_patch(photos, scale):
    data = build(photos, patch_size=16, mode="RGB", scale=scale)
    item = data[0]
    assert item["lr"].shape == (3, 16 // scale, 16 // scale)
    hr = (item["image"] * 255).round().byte().permute(1, 2, 0).numpy()
    expected = image_to_tensor(Image.fromarray(hr).resize((16 // scale,) * 2, Image.Resampling.BICUBIC))
    assert torch.equal(item["lr"], expected)


def test_patch_size_must_divide_by_scale(photos):
    with pytest.raises(DatasetError, match="multiple of scale 4"):
        ImagePatchDataset(photos, patch_size=18, scale=4)


def test_deterministic_per_seed_epoch_and_index(photos):
    first, second = build(photos, patch_size=16, seed=7), build(photos, patch_size=16, seed=7)
    other = build(photos, patch_size=16, seed=8)
    assert all(torch.equal(first[k]["image"], second[k]["image"]) for k in range(len(first)))
    assert not all(torch.equal(first[k]["image"], other[k]["image"]) for k in range(len(first)))
    before = first[0]["image"]
    first.set_epoch(1)
    assert not torch.equal(first[0]["image"], before)


def test_without_augment_a_patch_is_a_plain_crop(photos):
    data = build(photos, patch_size=16, mode="L", augment=False)
    patch = (data[1]["image"][0] * 255).round().byte().numpy()
    source = data.images[1]
    windows = np.lib.stride_tricks.sliding_window_view(source, (16, 16))
    assert (windows == patch).all(axis=(2, 3)).any()


def test_list_of_files_and_nothing_usable(photos, tmp_path):
    data = ImagePatchDataset([photos / "1.png", photos / "2.bmp"], patch_size=8, mode="RGB")
    assert len(data) == 2
    with pytest.warns(DatasetWarning), pytest.raises(DatasetError, match="at least 64 px"):
        ImagePatchDataset(photos, patch_size=64)
