"""Input checks shared by the metrics: shapes, border crop, Y channel, compute precision."""

from __future__ import annotations

import numpy as np
import torch

from restorekit.metrics.color import to_y, to_y_torch


def prepare_pair(
    x: np.ndarray, y: np.ndarray, *, data_range: float, crop_border: int, y_channel: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 (C, H, W) arrays, border-cropped and reduced to Y if asked."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.ndim != 3:
        raise ValueError(f"expected (C, H, W) or (H, W) arrays, got shape {a.shape}")
    if a.shape[0] > 4 and a.shape[2] <= 4:
        raise ValueError(f"shape {a.shape} looks like (H, W, C); metrics take (C, H, W)")
    _check_options(data_range, crop_border, a.shape[-2:])
    if crop_border:
        a = a[:, crop_border:-crop_border, crop_border:-crop_border]
        b = b[:, crop_border:-crop_border, crop_border:-crop_border]
    if y_channel:
        a, b = to_y(a, data_range)[None], to_y(b, data_range)[None]
    return a, b


def prepare_pair_torch(
    x: torch.Tensor, y: torch.Tensor, *, data_range: float, crop_border: int, y_channel: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two (N, C, H, W) tensors in float64 (float32 on MPS), cropped and reduced to Y if asked."""
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}")
    if x.ndim != 4:
        raise ValueError(f"expected (N, C, H, W) tensors, got shape {tuple(x.shape)}")
    _check_options(data_range, crop_border, tuple(x.shape[-2:]))
    dtype = torch.float32 if x.device.type == "mps" else torch.float64
    a, b = x.detach().to(dtype), y.detach().to(dtype)
    if crop_border:
        a = a[..., crop_border:-crop_border, crop_border:-crop_border]
        b = b[..., crop_border:-crop_border, crop_border:-crop_border]
    if y_channel:
        a, b = to_y_torch(a, data_range), to_y_torch(b, data_range)
    return a, b


def _check_options(data_range: float, crop_border: int, size: tuple[int, ...]) -> None:
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    if crop_border < 0 or 2 * crop_border >= min(size):
        raise ValueError(f"crop_border {crop_border} leaves nothing of a {size} image")
