"""PSNR in float64: ``10 log10(data_range^2 / MSE)`` over all pixels and channels.

``data_range`` is the peak of the value scale (255 for 0-255 data, 1 for [0, 1]); it is never
guessed from the data (BasicSR guesses from ``img.max()``, which scores outputs over 1.0 with a
peak of 255). Identical images give ``inf``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from restorekit.metrics.common import prepare_pair, prepare_pair_torch


def psnr(
    x: np.ndarray,
    y: np.ndarray,
    *,
    data_range: float,
    crop_border: int = 0,
    y_channel: bool = False,
) -> float:
    """PSNR (dB) of two (C, H, W) or (H, W) arrays; ``y_channel`` compares BT.601 luma of RGB."""
    a, b = prepare_pair(x, y, data_range=data_range, crop_border=crop_border, y_channel=y_channel)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def psnr_torch(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    *,
    crop_border: int = 0,
    y_channel: bool = False,
) -> torch.Tensor:
    """PSNR (dB) per image of two (N, C, H, W) batches, shape (N,), computed in float64."""
    a, b = prepare_pair_torch(
        x, y, data_range=data_range, crop_border=crop_border, y_channel=y_channel
    )
    mse = (a - b).square().flatten(1).mean(dim=1)
    return 10.0 * torch.log10(data_range**2 / mse)
