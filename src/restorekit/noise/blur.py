"""Camera-shake motion blur: Boracchi & Foi's random trajectories, rasterised into kernels.

Boracchi & Foi, "Modeling the Performance of Image Restoration From Motion Blur" (IEEE TIP 2012)
model the camera's path during the exposure as a random walk with inertia. Per image, with
``step = length / (samples - 1)``, the velocity ``v`` (kept at length ``step``) and the position
``p`` evolve as

    dv = shake + anxiety * (g * n - c * p) * step,   v <- step * (v + dv) / |v + dv|,   p += v

where ``n`` is a complex standard normal (Gaussian shake of strength ``g ~ U[0, 10]``), the
centripetal term ``c ~ U[0, 0.7]`` keeps the path compact, and with probability
``anxiety * U[0, 0.2]`` per step an impulsive shake ``2 v exp(i (pi + U[-0.5, 0.5]))`` nearly
reverses the motion; the first direction is uniform. ``anxiety = 0`` gives linear motion.
The paper draws ``anxiety ~ U[0, 0.1]``, near whose top a 25-pixel path coils into a blob of 2
to 4 pixels; the default here is U[0, 0.005], over which the extent of a 25-pixel path spans
about 9 to 25 pixels (the long, curved kernels of hand shake), with the paper's 2000 samples
per path. The samples are spread over the pixel grid with bilinear weights (sub-pixel
rasterisation) into a ``kernel_size`` square, centred on the path's centre of mass (moved the
least needed to fit), and normalised to sum 1.

``apply`` convolves each image with its kernel (replicate padding: the scene beyond the border
continues its edge pixels), adds white Gaussian noise of ``sigma`` per image and, with ``clip``,
clips to [0, 1]. For 8-bit inputs, as GoPro's files hold them, wrap the model in ``stored``.
The ``noise_map`` is the per-pixel noise standard deviation (``sigma``; zero without noise);
``params["kernel"]`` holds the (N, K, K) kernels for kernel-aware losses or models.
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
    randn,
    range_config,
    spatial,
    uniform,
)
from restorekit.noise.registry import register_noise

CENTRIPETAL = 0.7
"""Upper end of the centripetal coefficient ``c`` (Boracchi & Foi's default)."""
SHAKE_PROBABILITY = 0.2
"""Upper end of the per-step impulsive-shake probability, before the ``anxiety`` factor."""
GAUSSIAN_SHAKE = 10.0
"""Upper end of the Gaussian shake strength ``g``."""


def shake_trajectories(
    length: Tensor, anxiety: Tensor, samples: int, generator: torch.Generator
) -> Tensor:
    """(N, samples) complex camera positions in pixels, path length ``length[n]`` each.

    Computed on the generator's device, one vectorised step per sample.
    """
    device = generator.device
    n = length.shape[0]
    length, anxiety = length.to(device).double(), anxiety.to(device).double()

    def draw(*shape: int) -> Tensor:
        return torch.rand(shape, generator=generator, device=device, dtype=torch.float64)

    centripetal = CENTRIPETAL * draw(n)
    p_shake = SHAKE_PROBABILITY * draw(n) * anxiety
    g_shake = GAUSSIAN_SHAKE * draw(n)
    step = length / (samples - 1)
    v = step * torch.polar(torch.ones(n, dtype=torch.float64, device=device), 2 * math.pi * draw(n))
    shakes = draw(samples - 1, n) < p_shake
    turns = torch.polar(torch.ones_like(step), math.pi + draw(samples - 1, n) - 0.5)
    normal = torch.randn(
        (samples - 1, n, 2), generator=generator, device=device, dtype=torch.float64
    )
    normal = torch.view_as_complex(normal)
    positions = [torch.zeros(n, dtype=torch.complex128, device=device)]
    for t in range(samples - 1):
        p = positions[-1]
        dv = anxiety * (g_shake * normal[t] - centripetal * p) * step
        dv = dv + torch.where(shakes[t], 2 * v * turns[t], 0)
        v = v + dv
        v = v / v.abs().clamp(min=1e-12) * step
        positions.append(p + v)
    return torch.stack(positions, dim=1)


def rasterize(path: Tensor, size: int) -> Tensor:
    """(N, size, size) float32 kernels from (N, T) complex positions, each summing to 1.

    The path is centred on its centre of mass, shifted the least needed to lie inside the
    square, and every sample splats onto its four neighbouring pixels with bilinear weights.
    """
    n = path.shape[0]
    coords = torch.stack((path.real, path.imag))  # (2, N, T): x, y
    coords = coords - coords.mean(dim=2, keepdim=True) + (size - 1) / 2
    low = coords.amin(dim=2, keepdim=True)
    high = coords.amax(dim=2, keepdim=True)
    if bool((high - low > size - 1).any()):
        raise RestoreKitError(f"motion_blur: a trajectory does not fit a {size}-pixel kernel")
    coords = coords - low.clamp(max=0) - (high - (size - 1)).clamp(min=0)
    base = coords.floor().clamp(0, size - 2)
    frac = (coords - base).clamp(0.0, 1.0)
    x0, y0 = base.long()
    fx, fy = frac
    kernel = torch.zeros(n, size * size, dtype=path.real.dtype, device=path.device)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            kernel.scatter_add_(1, (y0 + dy) * size + x0 + dx, wy * wx)
    kernel = kernel.view(n, size, size)
    return (kernel / kernel.sum(dim=(1, 2), keepdim=True)).float()


def blur(x: Tensor, kernel: Tensor) -> Tensor:
    """Convolve image n of ``x`` (N, C, H, W) with ``kernel[n]`` (N, K, K), replicate padding."""
    n, c, h, w = x.shape
    size = kernel.shape[-1]
    half = size // 2
    padded = F.pad(x, (half, half, half, half), mode="replicate")
    weight = kernel.flip(-2, -1).to(x.dtype).repeat_interleave(c, dim=0).unsqueeze(1)
    out = F.conv2d(padded.reshape(1, n * c, h + 2 * half, w + 2 * half), weight, groups=n * c)
    return out.view(n, c, h, w)


@register_noise("motion_blur")
class MotionBlur(NoiseModel):
    """Random camera-shake blur (Boracchi & Foi 2012) plus mild Gaussian noise, per image.

    ``length`` (path length in pixels), ``anxiety`` (shake strength) and ``sigma`` (noise std,
    [0, 1] units) are numbers or ``[low, high]`` ranges drawn per image; ``kernel_size`` (odd)
    must exceed the longest path by 2; ``samples`` is the number of trajectory points (2000 in
    the paper; the shake acts per sample, so fewer give smoother paths).
    """

    def __init__(
        self,
        length: Range = (3.0, 25.0),
        anxiety: Range = (0.0, 0.005),
        sigma: Range = (0.0, 0.01),
        kernel_size: int = 31,
        samples: int = 2000,
        clip: bool = False,
    ) -> None:
        self.length = as_range(length, "motion_blur length")
        self.anxiety = as_range(anxiety, "motion_blur anxiety")
        self.sigma = as_range(sigma, "motion_blur sigma")
        if kernel_size < 3 or kernel_size % 2 == 0:
            raise RestoreKitError(f"motion_blur kernel_size must be odd and >= 3: {kernel_size}")
        if self.length[1] > kernel_size - 2:
            raise RestoreKitError(
                f"motion_blur length {self.length[1]} needs kernel_size >= "
                f"{math.ceil(self.length[1]) + 2}, got {kernel_size}"
            )
        if samples < 2:
            raise RestoreKitError(f"motion_blur samples must be >= 2, got {samples}")
        self.kernel_size = int(kernel_size)
        self.samples = int(samples)
        self.clip = bool(clip)

    def config(self) -> dict[str, Any]:
        return {
            "length": range_config(self.length),
            "anxiety": range_config(self.anxiety),
            "sigma": range_config(self.sigma),
            "kernel_size": self.kernel_size,
            "samples": self.samples,
            "clip": self.clip,
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        length = uniform((batch_size,), *self.length, generator, generator.device)
        anxiety = uniform((batch_size,), *self.anxiety, generator, generator.device)
        sigma = uniform((batch_size,), *self.sigma, generator, device)
        path = shake_trajectories(length, anxiety, self.samples, generator)
        kernel = rasterize(path, self.kernel_size).to(device)
        return {
            "length": length.to(device),
            "anxiety": anxiety.to(device),
            "sigma": sigma,
            "kernel": kernel,
        }

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what="motion_blur")
        kernel = params["kernel"].to(x.device)
        n, size = x.shape[0], kernel.shape[-1]
        if kernel.shape != (n, size, size) or size % 2 == 0:
            raise RestoreKitError(
                f"motion_blur: need {n} odd square kernels, got {tuple(kernel.shape)}"
            )
        sigma = spatial(params["sigma"]).to(x.device, x.dtype)
        noise = randn(x.shape, generator, x.device, x.dtype)
        blurred = torch.addcmul(blur(x, kernel), noise, sigma)
        if self.clip:
            blurred.clamp_(0.0, 1.0)
        return NoiseResult(blurred, sigma.expand_as(x).contiguous(), dict(params))

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        """Per-image values without the kernel (a K x K array is no log line)."""
        return {k: v[index].tolist() for k, v in params.items() if k != "kernel"}
