"""TensorFlow 1.x operator semantics that PyTorch lacks, for parity with TF-released models.

AINDNet was released as a TF 1.8 checkpoint. Two of its operators differ from their PyTorch
namesakes on some sizes:

- ``tf.image.resize_bilinear`` (TF <= 1.13, ``align_corners=False``) samples source position
  ``dst * in / out`` (no half-pixel centres), unlike ``F.interpolate(align_corners=False)``;
- ``tf.nn.avg_pool(padding="SAME")`` pads ``ceil`` windows on both sides (more after than before)
  and leaves padded cells out of the average, unlike ``F.avg_pool2d(padding=...)``.

Both functions here are differentiable, batched and run on any device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _legacy_axis(
    in_size: int, out_size: int, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """Lower/upper source indices and lerp weights along one axis, computed in float32 as TF 1.8."""
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    src = torch.arange(out_size, dtype=torch.float32) * scale
    lower = src.floor().long().clamp_(max=in_size - 1)
    upper = (lower + 1).clamp_(max=in_size - 1)
    frac = src - lower.float()
    return lower.to(device), upper.to(device), frac.to(device)


def resize_bilinear_tf_legacy(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Resize (N, C, H, W) to ``size`` = (height, width) like TF 1.8 ``tf.image.resize_bilinear``.

    Source coordinate ``src = dst * in / out``; ``i0 = floor(src)``, ``i1 = min(i0 + 1, in - 1)``;
    interpolate along width first, then height, as the TF kernel does. Downscaling by an integer
    factor ``s`` that divides the size therefore equals ``x[..., ::s, ::s]`` (no averaging), and
    upscaling is top-left aligned with the last rows/columns clamped.
    """
    out_h, out_w = int(size[0]), int(size[1])
    in_h, in_w = x.shape[-2:]
    if (out_h, out_w) == (in_h, in_w):
        return x
    y0, y1, fy = _legacy_axis(in_h, out_h, x.device)
    x0, x1, fx = _legacy_axis(in_w, out_w, x.device)
    fx = fx.to(x.dtype)
    fy = fy.to(x.dtype).unsqueeze(-1)

    def lerp_width(rows: Tensor) -> Tensor:
        left = rows.index_select(-1, x0)
        right = rows.index_select(-1, x1)
        return left + (right - left) * fx

    top = lerp_width(x.index_select(-2, y0))
    bottom = lerp_width(x.index_select(-2, y1))
    return top + (bottom - top) * fy


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF ``padding="SAME"`` pads (before, after) on one axis; output size ``ceil(size/stride)``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def avg_pool2d_tf_same(x: Tensor, kernel: int, stride: int) -> Tensor:
    """Average-pool (N, C, H, W) like ``tf.nn.avg_pool(..., padding="SAME")``.

    The output is ``ceil(H / stride) x ceil(W / stride)``; windows hanging over the border average
    only the cells inside the image. Equals ``F.avg_pool2d(x, kernel, stride)`` when no padding is
    needed, and ``F.avg_pool2d(..., ceil_mode=True)`` for ``kernel == stride == 2``.
    """
    top, bottom = same_padding(x.shape[-2], kernel, stride)
    left, right = same_padding(x.shape[-1], kernel, stride)
    if top == bottom == left == right == 0:
        return F.avg_pool2d(x, kernel, stride)
    pads = (left, right, top, bottom)
    sums = F.avg_pool2d(F.pad(x, pads), kernel, stride)
    ones = x.new_ones((1, 1, *x.shape[-2:]))
    counts = F.avg_pool2d(F.pad(ones, pads), kernel, stride)
    return sums / counts
