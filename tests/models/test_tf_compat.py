"""TF 1.8 legacy bilinear resize and TF SAME average pooling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from restorekit.models.layers.tf_compat import (
    avg_pool2d_tf_same,
    resize_bilinear_tf_legacy,
    same_padding,
)


@pytest.mark.parametrize("s", [2, 4, 8])
def test_legacy_downscale_by_integer_factor_is_subsampling(s: int) -> None:
    x = torch.rand(2, 3, 8 * s, 5 * s)
    y = resize_bilinear_tf_legacy(x, (8, 5))
    assert torch.equal(y, x[..., ::s, ::s])


def test_legacy_upscale_is_top_left_aligned_and_clamped() -> None:
    x = torch.tensor([[[[0.0, 4.0]]]])  # 1 x 2 -> 1 x 4: src = dst * 2 / 4 = 0, 0.5, 1, 1.5
    y = resize_bilinear_tf_legacy(x, (1, 4))
    assert y.flatten().tolist() == [0.0, 2.0, 4.0, 4.0]
    # differs from PyTorch's half-pixel sampling
    assert not torch.equal(y, F.interpolate(x, size=(1, 4), mode="bilinear", align_corners=False))


def test_legacy_resize_non_integer_ratio_by_hand() -> None:
    x = torch.arange(5.0).reshape(1, 1, 5, 1) * 10  # rows 0, 10, 20, 30, 40
    y = resize_bilinear_tf_legacy(x, (3, 1))  # src = 0, 5/3, 10/3
    expected = torch.tensor([0.0, 50 / 3, 100 / 3]).reshape(1, 1, 3, 1)
    torch.testing.assert_close(y, expected)


def test_legacy_resize_same_size_is_identity_and_differentiable() -> None:
    x = torch.rand(1, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    assert resize_bilinear_tf_legacy(x, (6, 7)) is x
    assert torch.autograd.gradcheck(lambda t: resize_bilinear_tf_legacy(t, (9, 4)), (x,))


@pytest.mark.parametrize("size", [(7, 9), (6, 5), (1, 3), (8, 8)])
def test_same_pool_k2_equals_ceil_mode(size: tuple[int, int]) -> None:
    x = torch.rand(2, 3, *size)
    expected = F.avg_pool2d(x, 2, 2, ceil_mode=True)
    torch.testing.assert_close(avg_pool2d_tf_same(x, 2, 2), expected)


def test_same_padding_amounts() -> None:
    assert same_padding(8, 4, 4) == (0, 0)
    assert same_padding(5, 4, 4) == (1, 2)  # out 2, total 3: split both sides
    assert same_padding(6, 4, 4) == (1, 1)
    assert same_padding(7, 4, 4) == (0, 1)
    assert same_padding(7, 2, 2) == (0, 1)


def test_same_pool_k4_by_hand() -> None:
    # H = 5 (mod 4 = 1): pads 1 before, 2 after -> windows rows {0,1,2} and {3,4}
    # W = 6 (mod 4 = 2): pads 1 before, 1 after -> windows cols {0,1,2} and {3,4,5}
    x = torch.arange(30.0).reshape(1, 1, 5, 6)
    y = avg_pool2d_tf_same(x, 4, 4)
    rows, cols = [slice(0, 3), slice(3, 5)], [slice(0, 3), slice(3, 6)]
    expected = torch.tensor([[x[0, 0, r, c].mean() for c in cols] for r in rows])
    assert y.shape == (1, 1, 2, 2)
    torch.testing.assert_close(y[0, 0], expected)


def test_same_pool_without_padding_is_plain_avg_pool() -> None:
    x = torch.rand(1, 2, 16, 8)
    assert torch.equal(avg_pool2d_tf_same(x, 4, 4), F.avg_pool2d(x, 4, 4))
