"""Instance norm with global or local (TLC) statistics, and its switch on whole models."""

import pytest
import torch

from restorekit.models import build_model
from restorekit.models.layers.norm import (
    instance_norm,
    local_stats_size,
    moments,
    set_local_stats,
)


def _brute_local(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean/var of the k x k window around each pixel, shifted to stay inside the map."""
    h, w = x.shape[-2:]
    kh, kw = min(k, h), min(k, w)
    mean, var = torch.empty_like(x), torch.empty_like(x)
    for i in range(h):
        top = min(max(i - kh // 2, 0), h - kh)
        for j in range(w):
            left = min(max(j - kw // 2, 0), w - kw)
            patch = x[:, :, top : top + kh, left : left + kw].double()
            mean[:, :, i, j] = patch.mean(dim=(-2, -1)).float()
            var[:, :, i, j] = patch.var(dim=(-2, -1), unbiased=False).float()
    return mean, var


@pytest.mark.parametrize(("size", "k"), [((9, 13), 4), ((8, 8), 5), ((6, 11), 3), ((5, 7), 20)])
def test_local_moments_match_brute_force(size: tuple[int, int], k: int) -> None:
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(0)) * 3 + 5
    mean, var = moments(x, k)
    ref_mean, ref_var = _brute_local(x, k)
    torch.testing.assert_close(mean.expand_as(x), ref_mean, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(var.expand_as(x), ref_var, atol=1e-3, rtol=1e-4)


def test_window_covering_the_map_is_the_global_result() -> None:
    x = torch.randn(1, 4, 12, 10, generator=torch.Generator().manual_seed(1))
    assert torch.equal(instance_norm(x, window=12), instance_norm(x))
    assert torch.equal(instance_norm(x, window=500), instance_norm(x))
    assert not torch.allclose(instance_norm(x, window=6), instance_norm(x))


def test_local_statistics_on_a_large_offset_stay_accurate() -> None:
    """Features with a large mean and small variance: the mean shift avoids cancellation."""
    x = 1000 + torch.randn(1, 2, 64, 64, generator=torch.Generator().manual_seed(2))
    _, var = moments(x, 16)
    assert var.mean().item() == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize(("name", "kwargs"), [("aindnet", {"width": 4}), ("hinet", {"wf": 4})])
def test_models_switch_between_global_and_local(name: str, kwargs: dict) -> None:
    torch.manual_seed(0)
    model = build_model(name, **kwargs).eval()
    keys = set(model.state_dict())
    x = torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        base = model(x).image
        assert set_local_stats(model, 64) > 0 and local_stats_size(model) == 64
        covering = model(x).image  # 64 px windows cover the 48 x 64 input at every level
        set_local_stats(model, 16)
        local = model(x).image
        set_local_stats(model, None)
        again = model(x).image
    assert local_stats_size(model) is None and set(model.state_dict()) == keys
    torch.testing.assert_close(covering, base, atol=2e-5, rtol=1e-4)
    assert not torch.allclose(local, base, atol=1e-4)
    assert torch.equal(again, base)


def test_local_statistics_backpropagate() -> None:
    model = build_model("hinet", wf=4, depth=2)
    set_local_stats(model, 8)
    model(torch.rand(1, 3, 16, 16)).image.mean().backward()
    assert model.down_path_1[0].norm.weight.grad is not None


def test_bad_window() -> None:
    with pytest.raises(ValueError):
        set_local_stats(build_model("hinet", wf=4, depth=2), 1)
