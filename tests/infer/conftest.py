"""Tiny models and images shared by the inference tests (no bundled weights, CPU, < 1 s each)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from restorekit.models.output import RestorationOutput


class Pointwise(nn.Module):
    """A 1x1 convolution: every output pixel depends on its input pixel only."""

    def __init__(self, channels: int = 3, noise_map: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.noise_map = noise_map

    def forward(self, x: Tensor) -> RestorationOutput:
        image = self.conv(x)
        sigma = (x - 0.5).abs() * 0.1 if self.noise_map else None
        return RestorationOutput(image=image, stages=[image], noise_map=sigma)


class StatsDenoiser(nn.Module):
    """An untrained but real denoiser (Gaussian blur) whose strength is gated by instance-normed
    features, so, like HINet's HIN or AINDNet's AIN, its output depends on per-tile statistics."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        g = torch.exp(-((torch.arange(5) - 2.0) ** 2) / 2.0)
        kernel = (g[:, None] * g[None, :]) / g.sum() ** 2
        self.register_buffer("kernel", kernel.expand(channels, 1, 5, 5).clone())
        self.gate = nn.Conv2d(channels, channels, 3, padding=1)
        self.channels = channels

    def forward(self, x: Tensor) -> RestorationOutput:
        smooth = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), self.kernel, groups=self.channels)
        gate = torch.sigmoid(F.instance_norm(self.gate(x)))
        image = x + (smooth - x) * (0.8 + 0.2 * gate)
        return RestorationOutput(image=image, stages=[image], noise_map=gate * 0.05)


def psnr(a: Tensor, b: Tensor) -> float:
    return 10 * math.log10(1.0 / float(((a - b) ** 2).mean()))


@pytest.fixture
def clean() -> Tensor:
    """A smooth, textured 1x3x64x80 test image (similar statistics in every tile)."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 80), indexing="ij")
    planes = [torch.sin(20 * xx + 2 * yy), torch.cos(16 * yy), torch.sin(14 * (xx + yy))]
    return 0.5 + 0.3 * torch.stack(planes)[None]


@pytest.fixture
def noisy(clean: Tensor) -> Tensor:
    g = torch.Generator().manual_seed(0)
    return clean + 0.05 * torch.randn(clean.shape, generator=g)


@pytest.fixture
def pointwise() -> Pointwise:
    torch.manual_seed(0)
    return Pointwise(noise_map=True).eval()


@pytest.fixture
def stats_denoiser() -> StatsDenoiser:
    torch.manual_seed(0)
    return StatsDenoiser().eval()


@pytest.fixture
def psnr_fn():
    return psnr
