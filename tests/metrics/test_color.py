"""BT.601 luma: MATLAB rgb2ycbcr / BasicSR bgr2ycbcr(y_only=True) numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorekit.metrics import to_y, to_y_torch


def test_black_white_and_primaries_on_the_255_scale() -> None:
    rgb = np.array([[0, 255, 255, 0, 0]], float), np.array([[0, 255, 0, 255, 0]], float)
    x = np.stack([rgb[0][0], rgb[1][0], np.array([0, 255, 0, 0, 255], float)])[:, None, :]
    # black, white, red, green, blue
    np.testing.assert_allclose(
        to_y(x, 255.0)[0], [16.0, 235.0, 16 + 65.481, 16 + 128.553, 16 + 24.966], atol=1e-12
    )


def test_same_scale_as_input_and_basicsr_float_convention() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((3, 4, 5))
    y1 = to_y(x, 1.0)
    # BasicSR: bgr2ycbcr on float [0,1] BGR -> (dot([B,G,R],[24.966,128.553,65.481]) + 16) / 255
    basicsr = (x[2] * 24.966 + x[1] * 128.553 + x[0] * 65.481 + 16.0) / 255.0
    np.testing.assert_allclose(y1, basicsr, atol=1e-12)
    np.testing.assert_allclose(to_y(x * 255, 255.0), y1 * 255, atol=1e-9)


def test_torch_matches_numpy() -> None:
    x = np.random.default_rng(1).random((2, 3, 4, 5))
    out = to_y_torch(torch.from_numpy(x), 1.0).numpy()
    assert out.shape == (2, 1, 4, 5)
    for i in range(2):
        np.testing.assert_allclose(out[i, 0], to_y(x[i], 1.0), atol=1e-12)
    with pytest.raises(ValueError, match="RGB"):
        to_y(x[0, :1], 1.0)
