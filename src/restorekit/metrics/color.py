"""BT.601 luma (Y of YCbCr) as MATLAB ``rgb2ycbcr`` and BasicSR's ``bgr2ycbcr(y_only=True)``.

For RGB in [0, 1]: ``Y = 16 + 65.481 R + 128.553 G + 24.966 B``, i.e. Y in [16, 235] on the
0-255 scale. ``to_y`` takes values in [0, data_range] and returns Y on the same scale: with
``data_range=255`` Y lies in [16, 235], with ``data_range=1`` in [16/255, 235/255], exactly what
BasicSR's ``to_y_channel``/``bgr2ycbcr`` give for float inputs. Y is not rounded: MATLAB's
``rgb2ycbcr`` on a uint8 image returns uint8 (rounded) Y, which shifts PSNR by a few hundredths
of a dB; round the result yourself to reproduce that variant. Channel order here is RGB.
"""

from __future__ import annotations

import numpy as np
import torch

# Weights for R, G, B on [0, 1] inputs giving Y on the 0-255 scale (ITU-R BT.601, studio swing).
Y_WEIGHTS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0


def to_y(x_chw: np.ndarray, data_range: float) -> np.ndarray:
    """Y (H, W) float64 of an RGB (3, H, W) array with values in [0, data_range], same scale."""
    x = np.asarray(x_chw, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(f"to_y needs an RGB (3, H, W) array, got shape {x.shape}")
    weights = np.array(Y_WEIGHTS) / 255.0  # on [0, data_range] inputs, Y on the same scale
    return np.tensordot(weights, x, axes=1) + Y_OFFSET * (data_range / 255.0)


def to_y_torch(x: torch.Tensor, data_range: float) -> torch.Tensor:
    """Y (N, 1, H, W) of an RGB (N, 3, H, W) tensor with values in [0, data_range], same scale."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"to_y_torch needs an RGB (N, 3, H, W) tensor, got {tuple(x.shape)}")
    weights = torch.tensor(Y_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1) / 255.0
    return (x * weights).sum(dim=1, keepdim=True) + Y_OFFSET * (data_range / 255.0)
