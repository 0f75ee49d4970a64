"""Instance normalisation with global or local statistics (Test-time Local Converter, TLC).

AIN (AINDNet) and HIN (HINet) normalise each channel with the mean and variance of the whole
feature map. A model trained on 96-160 px patches thus sees different statistics on a 4000 px
photo, and whole-image inference comes out 0.6-2.0 dB worse. Chu et al. ("Improving Image
Restoration by Revisiting Global Information Aggregation", ECCV 2022) fix this at test time by
taking the statistics over a local window the size of the training patch. Here:

- ``instance_norm(x, window=k)``: per pixel, the mean and (biased) variance of the k x k window
  around it (k scaled to the feature's level by the caller). Near the borders the window is
  shifted to stay inside the map (TLC's replicate-padding of the valid statistics), so every
  window holds k x k values; a side shorter than k uses its whole length, and a window that
  covers the map gives exactly the global result.
- Box sums come from cumulative sums along W, then H (separable), in float32 after removing the
  per-channel global mean, which keeps the E[x^2] - E[x]^2 cancellation small.
- :func:`set_local_stats` sets the window of every such layer of a model from one size in
  input pixels (``None`` = global statistics, the networks as trained and released); each layer
  scales it by its level's down-sampling (``stats_scale``). No state-dict key changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _box_mean(x: Tensor, kh: int, kw: int) -> Tensor:
    """Mean over every kh x kw window fully inside ``x`` (valid positions only)."""
    s = F.pad(x.cumsum(-1), (1, 0))
    rows = s[..., kw:] - s[..., :-kw]
    s = F.pad(rows.cumsum(-2), (0, 0, 1, 0))
    return (s[..., kh:, :] - s[..., :-kh, :]) / (kh * kw)


def _spread(stat: Tensor, kh: int, kw: int) -> Tensor:
    """Valid-window statistics back to full size: border pixels take the nearest window."""
    top, left = kh // 2, kw // 2
    return F.pad(stat, (left, kw - 1 - left, top, kh - 1 - top), mode="replicate")


def moments(x: Tensor, window: int | None = None) -> tuple[Tensor, Tensor]:
    """Per-channel mean and biased variance of ``x`` (N, C, H, W), float32: global over H x W
    (shape N, C, 1, 1) or over the ``window`` x ``window`` neighbourhood of each pixel."""
    xf = x.float()
    mean = xf.mean(dim=(-2, -1), keepdim=True)
    h, w = xf.shape[-2:]
    kh, kw = (h, w) if window is None else (min(window, h), min(window, w))
    if kh == h and kw == w:
        var = (xf * xf).mean(dim=(-2, -1), keepdim=True) - mean.square()
        return mean, var.clamp_min(0.0)
    centred = xf - mean
    local = _box_mean(centred, kh, kw)
    var = _box_mean(centred * centred, kh, kw) - local.square()
    return _spread(local, kh, kw) + mean, _spread(var.clamp_min(0.0), kh, kw)


def instance_norm(x: Tensor, eps: float = 1e-5, window: int | None = None) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` per sample and channel, in float32; global statistics
    from the first two raw moments (``torch.var_mean`` runs 4-8x slower on CPU), or local ones
    over ``window`` (see the module docstring)."""
    mean, var = moments(x, window)
    scale = torch.rsqrt(var + eps)
    return torch.addcmul(-mean * scale, x.float(), scale)


class LocalStatsMixin:
    """A normalisation layer whose statistics may be local: ``stats_scale`` is its feature map's
    size relative to the model input (1, 1/2, 1/4, ...); ``window`` the side in feature pixels
    (None = global)."""

    stats_scale: float = 1.0
    window: int | None = None


class InstanceNorm2d(nn.InstanceNorm2d, LocalStatsMixin):
    """``nn.InstanceNorm2d`` (same parameters and keys) that can use local statistics."""

    def forward(self, x: Tensor) -> Tensor:
        if self.window is None:
            return super().forward(x)
        out = instance_norm(x, self.eps, self.window).to(x.dtype)
        if self.affine:
            out = out * self.weight[:, None, None] + self.bias[:, None, None]
        return out


def set_local_stats(model: nn.Module, size: int | None) -> int:
    """Give every local-statistics layer of ``model`` a window of ``size`` input pixels (scaled to
    its level, at least 2), or global statistics with ``None``. Returns how many layers were set."""
    if size is not None and size < 2:
        raise ValueError(f"local statistics need a window of at least 2 pixels, got {size}")
    count = 0
    for module in model.modules():
        if isinstance(module, LocalStatsMixin):
            module.window = None if size is None else max(2, round(size * module.stats_scale))
            count += 1
    return count


def local_stats_size(model: nn.Module) -> int | None:
    """The window (input pixels) the model's local-statistics layers use, None if global."""
    for module in model.modules():
        if isinstance(module, LocalStatsMixin) and module.window is not None:
            return round(module.window / module.stats_scale)
    return None
