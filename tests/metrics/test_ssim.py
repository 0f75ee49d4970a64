"""SSIM: agreement with scikit-image (Gaussian weights, sigma 1.5, population covariance)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import skimage.data
import torch
from skimage.metrics import structural_similarity

from restorekit.metrics import gaussian_window, psnr_torch, ssim, ssim_torch


def _skimage_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    """The reference: scikit-image with the settings that reproduce Wang et al. 2004."""
    return structural_similarity(
        x,
        y,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=-1 if x.ndim == 3 else None,
    )


def _noisy(clean: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, clean.shape)
    return np.clip(clean + noise, 0, 255).astype(np.uint8)


def _chw(a: np.ndarray) -> np.ndarray:
    return a.transpose(2, 0, 1) if a.ndim == 3 else a


IMAGES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": lambda: skimage.data.astronaut()[64:224, 96:256],
    "coffee": lambda: skimage.data.coffee()[100:228, 200:360],
    "camera": lambda: skimage.data.camera()[100:260, 150:290],
    "chelsea": lambda: skimage.data.chelsea()[50:170, 120:300],
}


@pytest.mark.parametrize("name", sorted(IMAGES))
@pytest.mark.parametrize("sigma", [5.0, 25.0])
def test_agrees_with_scikit_image_on_real_images(name: str, sigma: float) -> None:
    clean = IMAGES[name]()
    noisy = _noisy(clean, sigma, seed=len(name))
    expected = _skimage_ssim(clean, noisy, 255)
    assert ssim(_chw(clean), _chw(noisy), data_range=255) == pytest.approx(expected, abs=1e-6)
    # the same pixels on [0, 1] in float64 with data_range 1
    got = ssim(_chw(clean) / 255.0, _chw(noisy) / 255.0, data_range=1.0)
    assert got == pytest.approx(expected, abs=1e-6)


def test_crop_border_and_y_channel_against_scikit_image() -> None:
    clean = IMAGES["coffee"]()
    noisy = _noisy(clean, 15.0, seed=0)
    expected = _skimage_ssim(clean[4:-4, 4:-4], noisy[4:-4, 4:-4], 255)
    assert ssim(_chw(clean), _chw(noisy), crop_border=4) == pytest.approx(expected, abs=1e-6)
    weights = np.array([65.481, 128.553, 24.966]) / 255.0
    y_clean, y_noisy = clean @ weights + 16.0, noisy @ weights + 16.0
    expected = _skimage_ssim(y_clean, y_noisy, 255)
    assert ssim(_chw(clean), _chw(noisy), y_channel=True) == pytest.approx(expected, abs=1e-6)


def test_window_identity_and_size_limit() -> None:
    g = gaussian_window()
    assert g.shape == (11,) and g.sum() == pytest.approx(1.0) and g.argmax() == 5
    x = np.random.default_rng(0).random((3, 11, 11))
    assert ssim(x, x, data_range=1.0) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(x[:, :10], x[:, :10], data_range=1.0)


def test_torch_batch_matches_numpy() -> None:
    clean = np.stack([IMAGES["astronaut"]()[:48, :40], IMAGES["coffee"]()[:48, :40]])
    noisy = np.stack([_noisy(c, 20.0, seed=i) for i, c in enumerate(clean)])
    x = torch.from_numpy(clean.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    y = torch.from_numpy(noisy.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    for kwargs in ({}, {"crop_border": 3}, {"y_channel": True}):
        out = ssim_torch(x, y, 1.0, **kwargs)
        assert out.shape == (2,)
        for i in range(2):
            expected = ssim(_chw(clean[i]), _chw(noisy[i]), **kwargs)
            assert out[i].item() == pytest.approx(expected, abs=1e-5)
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim_torch(x[..., :10], y[..., :10])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    x = torch.rand(3, 3, 40, 36, generator=torch.Generator().manual_seed(0))
    y = (x + 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    for fn in (ssim_torch, psnr_torch):
        cpu = fn(x, y)
        gpu = fn(x.cuda(), y.cuda())
        assert gpu.device.type == "cuda"
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-6)
