"""Patch size against image sizes, and the memory of one training step, before training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from restorekit.data import build_dataset
from restorekit.errors import RestoreKitError
from restorekit.models import build_model
from restorekit.train.budget import (
    check_patch_size,
    check_step_memory,
    file_image_sizes,
    step_memory,
)


def test_patch_size_against_the_smallest_image() -> None:
    sizes = [("big.png", 300, 200), ("small.png", 48, 64)]
    check_patch_size(48, sizes, "patch_size")
    check_patch_size(None, sizes, "patch_size")
    check_patch_size(1000, [], "patch_size")  # sizes unknown: nothing to check
    with pytest.raises(RestoreKitError) as err:
        check_patch_size(49, sizes, "data.train.kwargs.patch_size")
    assert str(err.value) == (
        "data.train.kwargs.patch_size 49 is larger than the smallest training image "
        "('small.png', 64x48 px): patches would be mostly mirrored padding; use at most 48"
    )


def test_file_image_sizes_read_the_headers(ci_dir: Path) -> None:
    dataset = build_dataset("paired_folder", root="ci_data/pairs", patch_size=32)
    sizes = file_image_sizes(dataset)
    assert len(sizes) == 8 and {(h, w) for _, h, w in sizes} == {(40, 40)}
    assert file_image_sizes(torch.utils.data.TensorDataset(torch.zeros(2))) == []


def test_step_memory_scales_with_batch_and_patch_and_keeps_the_rng() -> None:
    torch.manual_seed(0)
    model = build_model("hinet-1x", wf=4, depth=3).train()
    params = list(model.parameters())
    state = torch.get_rng_state()
    small = step_memory(model, 3, 1, 32, params)
    assert torch.equal(torch.get_rng_state(), state)
    big = step_memory(model, 3, 4, 64, params)
    weights = 3 * sum(p.numel() * 4 for p in params)
    assert small > weights and 10 < (big - weights) / (small - weights) < 20
    assert all(p.grad is None for p in params)
    assert step_memory(model, 3, 1, 32, params, ema=True) == small + weights // 3


def test_step_over_budget_is_one_line() -> None:
    check_step_memory(100, 100, "batch_size 2 x patch_size 32", "max_memory")
    with pytest.raises(RestoreKitError) as err:
        check_step_memory(3 * 2**30, 2**26, "batch_size 8 x patch_size 1000", "max_memory")
    assert str(err.value) == (
        "one training step of batch_size 8 x patch_size 1000 px needs about 3.0 GB, more than "
        "the 64 MB budget (max_memory); lower the batch or patch size"
    )
