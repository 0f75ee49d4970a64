"""SSIM (Wang et al. 2004) with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03.

Definition (the one the restoration literature calls "MATLAB SSIM"): local means, variances and
covariance are Gaussian-weighted (population, not sample, statistics); the SSIM map is kept only
where the whole window lies inside the image (a 5-pixel border is dropped) and averaged; colour
images are scored per channel and the channel scores averaged; float64 throughout. This equals
Wang's reference ``ssim_index.m`` (``filter2(window, img, 'valid')``, no downsampling),
BasicSR/KAIR ``calculate_ssim`` and scikit-image's
``structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=...)`` (per channel with ``channel_axis``), which the tests check to 1e-6.

It is not MathWorks' built-in ``ssim`` (Image Processing Toolbox), which filters with
``imgaussfilt`` and replicate padding and averages the whole map (no border dropped), and which
treats an H x W x 3 array as a volume (3-D Gaussian across channels). Protocols that used that
function (e.g. SIDD's ``evaluate_sidd.m``) differ slightly; they name their variant.
Images smaller than 11 x 11 (after ``crop_border``) have no valid window and raise ValueError.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from restorekit.metrics.common import prepare_pair, prepare_pair_torch

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03

_Array = TypeVar("_Array", np.ndarray, torch.Tensor)


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA) -> np.ndarray:
    """The normalised 1-D Gaussian (float64); its outer product is the 2-D window."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-0.5 * (x / sigma) ** 2)
    return g / g.sum()


def ssim(
    x: np.ndarray,
    y: np.ndarray,
    *,
    data_range: float = 255.0,
    crop_border: int = 0,
    y_channel: bool = False,
) -> float:
    """Mean SSIM of two (C, H, W) or (H, W) arrays (channels averaged), see module docstring."""
    a, b = prepare_pair(x, y, data_range=data_range, crop_border=crop_border, y_channel=y_channel)
    _check_size(a.shape[-2:])
    return float(np.mean([_ssim_map(a[c], b[c], data_range).mean() for c in range(a.shape[0])]))


def _valid_filter(image: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of a 2-D image with the 1-D window along both axes."""
    windows = np.lib.stride_tricks.sliding_window_view(image, g.size, axis=0)
    rows = windows @ g
    windows = np.lib.stride_tricks.sliding_window_view(rows, g.size, axis=1)
    return windows @ g


def _ssim_map(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    g = gaussian_window()
    mu_a, mu_b = _valid_filter(a, g), _valid_filter(b, g)
    var_a = _valid_filter(a * a, g) - mu_a**2
    var_b = _valid_filter(b * b, g) - mu_b**2
    cov = _valid_filter(a * b, g) - mu_a * mu_b
    return _ssim_formula(mu_a, mu_b, var_a, var_b, cov, data_range)


def _ssim_formula(
    mu_a: _Array, mu_b: _Array, var_a: _Array, var_b: _Array, cov: _Array, data_range: float
) -> _Array:
    """The SSIM map from local means, variances and covariance (numpy arrays or tensors)."""
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )


def _check_size(size: tuple[int, ...]) -> None:
    """SSIM has no valid window on images smaller than the window."""
    if min(size) < WINDOW:
        raise ValueError(f"SSIM needs images of at least {WINDOW}x{WINDOW}, got {tuple(size)}")


def ssim_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    *,
    crop_border: int = 0,
    y_channel: bool = False,
) -> torch.Tensor:
    """Mean SSIM per image of two (N, C, H, W) batches, shape (N,), same definition as ``ssim``."""
    a, b = prepare_pair_torch(
        x, y, data_range=data_range, crop_border=crop_border, y_channel=y_channel
    )
    _check_size(a.shape[-2:])
    channels = a.shape[1]
    g = torch.as_tensor(gaussian_window(), dtype=a.dtype, device=a.device)
    stack = torch.cat([a, b, a * a, b * b, a * b], dim=1)
    groups = stack.shape[1]
    stack = F.conv2d(stack, g.view(1, 1, -1, 1).expand(groups, 1, -1, 1), groups=groups)
    stack = F.conv2d(stack, g.view(1, 1, 1, -1).expand(groups, 1, 1, -1), groups=groups)
    mu_a, mu_b, aa, bb, ab = stack.split(channels, dim=1)
    smap = _ssim_formula(mu_a, mu_b, aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b, data_range)
    return smap.flatten(1).mean(dim=1)
