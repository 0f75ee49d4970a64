"""PSNR: hand-computed values, scikit-image agreement, options and the torch version."""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.data
import torch
from skimage.metrics import peak_signal_noise_ratio

from restorekit.metrics import psnr, psnr_torch


def test_hand_computed_values() -> None:
    x = np.zeros((2, 2))
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    # MSE = (1 + 4 + 9 + 16) / 4 = 7.5;  PSNR = 10 log10(255^2 / 7.5) = 10 log10(8670)
    # = 39.3801909747621029... (30-digit decimal arithmetic)
    assert psnr(x, y, data_range=255) == pytest.approx(39.38019097476210, abs=1e-12)
    # same pixels on [0, 1] with data_range 1 give the same number
    assert psnr(x / 255, y / 255, data_range=1.0) == pytest.approx(39.38019097476210, abs=1e-9)
    # one pure-red pixel against black, Y channel: dY = 65.481 / 255 -> 20 log10(255 / 65.481)
    red = np.array([1.0, 0.0, 0.0]).reshape(3, 1, 1)
    assert psnr(red, np.zeros_like(red), data_range=1.0, y_channel=True) == pytest.approx(
        11.80849754538814, abs=1e-9
    )
    assert psnr(y, y, data_range=255) == math.inf


def test_uint8_inputs_are_computed_in_float64() -> None:
    x = np.array([[0, 255]], np.uint8)
    y = np.array([[255, 0]], np.uint8)  # uint8 subtraction would wrap around
    assert psnr(x, y, data_range=255) == pytest.approx(0.0, abs=1e-12)


def test_crop_border() -> None:
    x = np.zeros((1, 6, 6))
    y = np.zeros((1, 6, 6))
    y[:, 0, :] = 100.0  # only in the border
    y[:, 2, 2] = 1.0
    # after cropping 1 pixel: 4x4 = 16 pixels, one differs by 1 -> MSE 1/16
    assert psnr(x, y, data_range=255, crop_border=1) == pytest.approx(10 * math.log10(255**2 * 16))
    with pytest.raises(ValueError, match="crop_border"):
        psnr(x, y, data_range=255, crop_border=3)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "camera"])
def test_agrees_with_scikit_image(name: str) -> None:
    clean = getattr(skimage.data, name)()[:96, :128]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 12, clean.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    expected = peak_signal_noise_ratio(clean, noisy, data_range=255)
    chw = (lambda a: a.transpose(2, 0, 1)) if clean.ndim == 3 else (lambda a: a)
    assert psnr(chw(clean), chw(noisy), data_range=255) == pytest.approx(expected, abs=1e-10)


def test_shape_checks() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.zeros((3, 4, 4)), np.zeros((3, 4, 5)), data_range=1.0)
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        psnr(np.zeros((16, 16, 3)), np.zeros((16, 16, 3)), data_range=1.0)
    with pytest.raises(ValueError, match="data_range"):
        psnr(np.zeros((4, 4)), np.zeros((4, 4)), data_range=0)


def test_torch_batch_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    clean = rng.random((2, 3, 24, 20)).astype(np.float32)
    noisy = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
    for kwargs in ({}, {"crop_border": 2}, {"y_channel": True}):
        out = psnr_torch(torch.from_numpy(clean), torch.from_numpy(noisy), 1.0, **kwargs)
        assert out.shape == (2,)
        for i in range(2):
            expected = psnr(clean[i], noisy[i], data_range=1.0, **kwargs)
            assert out[i].item() == pytest.approx(expected, abs=1e-5)
    same = psnr_torch(torch.from_numpy(clean), torch.from_numpy(clean))
    assert torch.isinf(same).all()
