"""restore(): whole, tiled, automatic tiles and TTA behind one call."""

from __future__ import annotations

import torch

from restorekit.infer import memory
from restorekit.infer.ensemble import Ensemble
from restorekit.infer.loading import model_max_tile
from restorekit.infer.restore import restore, restore_output
from restorekit.infer.tiling import tiled_forward
from restorekit.models.spec import ModelSpec


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


def test_auto_honours_the_model_max_tile(stats_denoiser, noisy) -> None:
    """A model trained on small patches declares max_tile; "auto" never hands it more."""
    stats_denoiser.spec = ModelSpec("stats", max_tile=32)
    assert model_max_tile(stats_denoiser) == 32
    auto = restore(stats_denoiser, noisy, tile="auto", overlap=8)
    torch.testing.assert_close(auto, tiled_forward(stats_denoiser, noisy, 32, 8).image)
    assert not torch.equal(auto, restore(stats_denoiser, noisy))  # whole differs
    assert torch.equal(restore(stats_denoiser, noisy, tile=None), restore(stats_denoiser, noisy))


def test_ensemble_max_tile_is_the_smallest(stats_denoiser, pointwise) -> None:
    stats_denoiser.spec = ModelSpec("stats", max_tile=48)
    assert model_max_tile(pointwise) is None
    assert model_max_tile(Ensemble([pointwise, stats_denoiser])) == 48
