"""One training step of each script, the image pool, and the unpaired sampler's never-pair-partners rule."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch

from train import engine
from train import pix2pix as p2p
from train.cyclegan import CycleGANTask, ImagePool
from train.cyclegan import add_flags as cyclegan_flags


def make_args(add_flags, argv: list[str]) -> argparse.Namespace:
    parser = engine.base_parser("test")
    add_flags(parser)
    return engine.parse_args(parser, argv)


def snapshot(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items() if v.is_floating_point()}


def changed(before: dict[str, torch.Tensor], net: torch.nn.Module) -> bool:
    after = net.state_dict()
    return any(not torch.equal(before[k], after[k]) for k in before)


def first_batch(task, size: int) -> dict:
    data = task.dataset()
    items = [data[i] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in ("A", "B")}


@pytest.mark.parametrize("gan_mode", ["vanilla", "lsgan"])
def test_pix2pix_step_updates_both_nets_and_stays_finite(accelerator, gan_mode):
    torch.manual_seed(0)
    args = make_args(p2p.add_flags, ["--dataset", "shapes", "--resolution", "32", "--ngf", "4", "--ndf", "4",
                                     "--synthetic-count", "4", "--gan-mode", gan_mode])  # fmt: skip
    task = p2p.Pix2PixTask(args)
    task.build()
    assert set(task.nets) == {"G", "D"} and task.nets["D"].config.in_channels == 6  # conditional: A and B stacked
    before = {k: snapshot(v) for k, v in task.nets.items()}
    logs = task.training_step(first_batch(task, 2), accelerator, 0)
    assert {"g_l1", "g_gan", "d_real", "d_fake", "d_acc_real", "d_acc_fake"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    assert 0.0 <= logs["d_acc_real"] <= 1.0 and 0.0 <= logs["d_acc_fake"] <= 1.0
    assert changed(before["G"], task.nets["G"]) and changed(before["D"], task.nets["D"])
    assert all(p.requires_grad for p in task.nets["D"].parameters())  # unfrozen again for the next D step


def test_l1_only_baseline_has_no_discriminator(accelerator):
    args = make_args(p2p.add_flags, ["--dataset", "shapes", "--resolution", "32", "--ngf", "4",
                                     "--synthetic-count", "4", "--objective", "l1"])  # fmt: skip
    task = p2p.Pix2PixTask(args)
    task.build()
    assert set(task.nets) == {"G"}
    before = snapshot(task.nets["G"])
    logs = task.training_step(first_batch(task, 2), accelerator, 0)
    assert set(logs) == {"g_l1"} and np.isfinite(logs["g_l1"])
    assert changed(before, task.nets["G"])
    assert p2p.method_label(args) == "L1-only U-Net"
    args.skips, args.upsampling = False, "nearest"
    assert "UpSampling2D" in p2p.method_label(args) and "no skips" in p2p.method_label(args)


def test_cyclegan_step_updates_all_four_nets_and_fills_the_pools(accelerator):
    torch.manual_seed(0)
    args = make_args(cyclegan_flags, ["--dataset", "shapes", "--resolution", "32", "--ngf", "4", "--ndf", "4",
                                      "--n-blocks", "1", "--synthetic-count", "4", "--pool-size", "3"])  # fmt: skip
    assert (args.gan_mode, args.norm, args.cycle_weight, args.identity_weight) == ("lsgan", "instance", 10.0, 0.5)
    task = CycleGANTask(args)
    task.build()
    assert CycleGANTask.shuffle is False
    before = {k: snapshot(v) for k, v in task.nets.items()}
    logs = task.training_step(first_batch(task, 2), accelerator, 0)
    expected = {"g_AB_gan", "g_BA_gan", "cycle_A", "cycle_B", "idt_A", "idt_B", "d_A", "d_B",
                "d_A_acc_real", "d_A_acc_fake", "d_B_acc_real", "d_B_acc_fake"}  # fmt: skip
    assert expected <= set(logs) and all(np.isfinite(v) for v in logs.values())
    assert all(changed(before[k], task.nets[k]) for k in task.nets)
    assert len(task.pools["A"]) == len(task.pools["B"]) == 2
    state = task.state_tensors()
    assert state["pool_A.images"].shape == (2, 3, 32, 32)


# ----------------------------------------------------------------------------------------------------- image pool
def numbered(values) -> torch.Tensor:
    """Images whose every pixel holds their id, so a returned image tells where it came from."""
    return torch.tensor(values, dtype=torch.float32)[:, None, None, None].expand(-1, 1, 2, 2).clone()


def test_pool_returns_inputs_until_full_then_stored_images_half_of_the_time():
    pool = ImagePool(size=10, seed=0)
    first = numbered(range(10))
    assert torch.equal(pool.query(first), first) and len(pool) == 10
    stored_seen, queries = 0, 4000
    seen_ids: set[int] = set(range(10))
    for value in range(10, 10 + queries):
        out = pool.query(numbered([value]))
        returned = int(out[0, 0, 0, 0])
        assert returned == value or returned in seen_ids  # never an invented image
        stored_seen += returned != value
        seen_ids.add(value)
        assert len(pool) == 10 and pool.images.shape[0] == 10  # bounded
    assert 0.45 < stored_seen / queries < 0.55


def test_pool_of_size_zero_is_a_pass_through():
    pool = ImagePool(size=0)
    images = torch.rand(3, 3, 4, 4)
    assert pool.query(images) is images and len(pool) == 0


def test_pool_state_round_trip_through_safetensors(tmp_path):
    from safetensors.torch import load_file, save_file

    pool = ImagePool(size=5, seed=3)
    pool.query(torch.rand(7, 3, 4, 4))
    save_file(pool.state_tensors("pool_A"), str(tmp_path / "pool.safetensors"))
    restored = ImagePool(size=5, seed=99)
    restored.load_state_tensors(load_file(str(tmp_path / "pool.safetensors")), "pool_A")
    assert len(restored) == 5 and torch.equal(restored.images, pool.images)
    probe = torch.rand(20, 3, 4, 4)
    assert torch.equal(restored.query(probe), pool.query(probe))  # same stored images and the same random draws
    empty = ImagePool(size=5)
    empty.load_state_tensors(ImagePool(size=5).state_tensors("p"), "p")
    assert len(empty) == 0 and empty.images is None


# ------------------------------------------------------------------------------------------------ unpaired sampler
@pytest.mark.parametrize("batch_size", [1, 2, 4])
def test_unpaired_folder_never_shows_partners_in_one_step(tiny_pairs, batch_size):
    from zoo.data import partner_conflicts

    args = make_args(cyclegan_flags, ["--dataset", str(tiny_pairs), "--resolution", "32", "--direction", "BtoA",
                                      "--train-batch-size", str(batch_size)])  # fmt: skip
    task = CycleGANTask(args)
    task.build()
    data = task.dataset()
    assert data.partnered and data.max_items_per_step == 4
    # the engine's loader: a sequential sampler (task.shuffle is False) and set_epoch on the dataset
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=task.shuffle, drop_last=True)
    for epoch in range(6):
        data.set_epoch(epoch)
        seen_a = []
        for batch in loader:
            assert partner_conflicts(batch["index_a"].tolist(), batch["index_b"].tolist()) == []
            seen_a += batch["index_a"].tolist()
        if batch_size == 1:
            assert sorted(seen_a) == list(range(8))  # every image once per epoch


def test_too_large_a_batch_for_split_pairs_is_refused(tiny_pairs):
    args = make_args(cyclegan_flags, ["--dataset", str(tiny_pairs), "--resolution", "32", "--train-batch-size", "5"])
    task = CycleGANTask(args)
    task.build()
    with pytest.raises(engine.TrainingError, match="partner"):
        task.dataset()
    task.args.train_batch_size, task.args.train_limit = 2, 4  # 4 pairs: at most 2 items per step
    data = task.dataset()
    assert len(data) == 4 and data.partnered and data.max_items_per_step == 2
