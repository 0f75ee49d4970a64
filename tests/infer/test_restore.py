"""restore(): whole, tiled, automatic tiles and TTA behind one call."""

from __future__ import annotations

import torch

from restorekit.infer import memory
from restorekit.infer.restore import restore, restore_output


def test_whole_tiled_auto_and_tta_agree_on_a_pointwise_model(pointwise, noisy) -> None:
    whole = restore(pointwise, noisy)
    assert torch.equal(whole, pointwise(noisy).image)
    for kwargs in ({"tile": 32, "overlap": 8}, {"tile": "auto"}, {"tta": True, "tile": 40}):
        torch.testing.assert_close(restore(pointwise, noisy, **kwargs), whole)


def test_auto_tiles_when_the_budget_is_small(stats_denoiser, noisy, psnr_fn, monkeypatch) -> None:
    monkeypatch.setattr(memory, "MIN_TILE", 16)
    whole = restore_output(stats_denoiser, noisy)
    small = restore_output(stats_denoiser, noisy, tile="auto", max_memory=150_000, overlap=8)
    assert psnr_fn(small.image, whole.image) > 35
    assert not torch.equal(small.image, whole.image)  # it did tile
    assert small.noise_map is not None and small.noise_map.shape == (1, 3, 64, 80)


def test_restore_runs_without_autograd(stats_denoiser, noisy) -> None:
    out = restore(stats_denoiser, noisy, tile=48)
    assert not out.requires_grad
