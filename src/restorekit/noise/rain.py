"""Synthetic rain streaks: a streak layer ``S`` blended over the clean background ``B``.

The image model is the additive one of Yang et al., "Deep Joint Rain Detection and Removal from
a Single Image" (CVPR 2017, eq. 1, the light-rain model behind Rain100L): ``O = B + S``, clipped
to [0, 1] as an 8-bit file saturates (``blend="add"``). ``blend="screen"`` uses
``O = 1 - (1 - B)(1 - S)``, the layer mode of the Photoshop rain recipe that synthetic rain sets
are commonly made with; it never saturates and brightens dark areas more than bright ones.

The streak layer is built the way that recipe builds it, batched on the input's device:

1. sparse seeds: each pixel of a canvas larger than the image by the kernel radius (so streaks
   enter across the borders) is a seed with probability ``density``, of brightness U(0, 1];
2. a directional blur: one line kernel per image (:func:`line_kernels`, normalised to sum 1),
   at ``angle`` degrees from vertical, ``length`` pixels long, with a Gaussian cross-section of
   standard deviation ``width`` pixels, applied as one grouped ``conv2d``;
3. contrast: rescaled so that a lone full-brightness seed peaks at 1, clipped at 1 where streaks
   overlap (the recipe's levels step), times ``intensity``.

``S`` is the same for every channel (rain is achromatic). The default ranges were set so that
the streaks resemble Rain100L's: on its clean targets they give a Y-channel PSNR of about 26.7 dB
(Rain100L's own inputs: 26.9 dB), with a similar share of streak pixels.

The result's ``noise_map`` carries ``S`` itself (N, C, H, W, [0, 1] units), the ground-truth
streak layer a rain-layer loss or a rain-detection head can use; with ``blend="add"`` the rainy
image is ``clip(B + noise_map)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import (
    NoiseModel,
    NoiseResult,
    Params,
    Range,
    as_range,
    check_batch,
    range_config,
    spatial,
    uniform,
)
from restorekit.noise.registry import register_noise

BLENDS = ("add", "screen")


def line_kernels(angle: Tensor, length: Tensor, width: Tensor, size: int) -> Tensor:
    """(N, size, size) line kernels, each non-negative and summing to 1.

    Kernel n is a segment through the centre at ``angle[n]`` degrees from vertical (positive:
    the lower end to the right), ``length[n]`` pixels long with linearly anti-aliased ends, and a
    Gaussian cross-section of standard deviation ``width[n]`` pixels integrated over each pixel,
    so thin lines stay smooth at any angle.
    """
    half = size // 2
    axis = torch.arange(-half, half + 1, dtype=torch.float32, device=angle.device)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    theta = torch.deg2rad(angle.float()).view(-1, 1, 1)
    along = x * theta.sin() + y * theta.cos()
    across = x * theta.cos() - y * theta.sin()
    w = width.float().view(-1, 1, 1) * math.sqrt(2.0)
    profile = 0.5 * (torch.erf((across + 0.5) / w) - torch.erf((across - 0.5) / w))
    ends = (length.float().view(-1, 1, 1) / 2 + 0.5 - along.abs()).clamp(0.0, 1.0)
    kernel = profile * ends
    return kernel / kernel.sum(dim=(1, 2), keepdim=True)


def kernel_size(length: Tensor, width: Tensor) -> int:
    """The odd kernel side that holds every line of the batch, up to 3 widths across."""
    radius = math.ceil(float(length.max()) / 2 + 3 * float(width.max()) + 1)
    return 2 * radius + 1


@register_noise("rain_streaks")
class RainStreaks(NoiseModel):
    """Rain streaks (Yang et al. 2017's ``O = B + S``), one direction and look per image.

    Each argument is a number or a ``[low, high]`` range drawn uniformly per image:
    ``angle`` in degrees from vertical, ``length`` and ``width`` in pixels (``width`` is the
    standard deviation of the streak's cross-section), ``density`` the fraction of pixels that
    seed a streak, ``intensity`` the brightness a lone streak adds ([0, 1] units). ``blend``:
    "add" (``clip(B + S)``) or "screen" (``1 - (1 - B)(1 - S)``).
    """

    def __init__(
        self,
        angle: Range = (-30.0, 30.0),
        length: Range = (15.0, 50.0),
        width: Range = (0.3, 0.8),
        density: Range = (0.001, 0.004),
        intensity: Range = (0.2, 0.5),
        blend: str = "add",
    ) -> None:
        self.angle = as_range(angle, "rain_streaks angle", minimum=-90.0)
        if self.angle[1] > 90.0:
            raise RestoreKitError(f"rain_streaks angle must be within [-90, 90], got {angle!r}")
        self.length = as_range(length, "rain_streaks length", minimum=1.0)
        self.width = as_range(width, "rain_streaks width", minimum=0.1)
        self.density = as_range(density, "rain_streaks density")
        self.intensity = as_range(intensity, "rain_streaks intensity")
        if self.density[1] > 1.0 or self.intensity[1] > 1.0:
            raise RestoreKitError("rain_streaks density and intensity must be at most 1")
        if blend not in BLENDS:
            raise RestoreKitError(f"rain_streaks blend must be one of {BLENDS}, got {blend!r}")
        self.blend = blend

    def config(self) -> dict[str, Any]:
        return {
            "angle": range_config(self.angle),
            "length": range_config(self.length),
            "width": range_config(self.width),
            "density": range_config(self.density),
            "intensity": range_config(self.intensity),
            "blend": self.blend,
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        ranges = {
            "angle": self.angle,
            "length": self.length,
            "width": self.width,
            "density": self.density,
            "intensity": self.intensity,
        }
        return {k: uniform((batch_size,), *r, generator, device) for k, r in ranges.items()}

    def streaks(
        self, shape: tuple[int, int, int], params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Tensor:
        """The streak layer S (N, 1, H, W) in [0, intensity] for ``shape`` = (N, H, W)."""
        n, h, w = shape
        device = params["angle"].device
        size = kernel_size(params["length"], params["width"])
        kernel = line_kernels(params["angle"], params["length"], params["width"], size)
        pad = size - 1
        density = spatial(params["density"]).float()
        u = uniform((n, 1, h + pad, w + pad), 0.0, 1.0, generator, device)
        seeds = torch.where(u < density, 1.0 - u / density.clamp(min=1e-12), 0.0)
        layer = F.conv2d(seeds.view(1, n, h + pad, w + pad), kernel.unsqueeze(1), groups=n)
        peak = kernel.amax(dim=(1, 2)).view(n, 1, 1, 1)
        layer = (layer.view(n, 1, h, w) / peak).clamp_(max=1.0)
        return layer * spatial(params["intensity"]).float()

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what="rain_streaks")
        n, _, h, w = x.shape
        moved = {k: v.to(x.device) for k, v in params.items()}
        layer = self.streaks((n, h, w), moved, generator).to(x.dtype).expand_as(x).contiguous()
        if self.blend == "add":
            rainy = (x + layer).clamp_(0.0, 1.0)
        else:
            rainy = 1.0 - (1.0 - x) * (1.0 - layer)
        return NoiseResult(rainy, layer, dict(params))
