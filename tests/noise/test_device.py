"""Device propagation: every pipeline runs where its input lives (CUDA tests skip without a GPU)."""

from __future__ import annotations

import pytest
import torch

from restorekit.noise import build_noise, cbdnet

NAMES = [
    "awgn",
    "poisson_gaussian",
    "cbdnet_gaussian",
    "cbdnet",
    "unprocess",
    "rain_streaks",
    "motion_blur",
]

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize("name", NAMES)
def test_outputs_stay_on_the_input_device(name: str) -> None:
    x = torch.rand(2, 3, 32, 32, device="cuda")
    out = build_noise(name)(x, torch.Generator("cuda").manual_seed(0))
    assert out.noisy.device == out.noise_map.device == x.device
    assert all(v.device == x.device for v in out.params.values())
    again = build_noise(name)(x, torch.Generator("cuda").manual_seed(0))
    assert torch.equal(out.noisy, again.noisy)


@pytest.mark.gpu
@cuda
def test_cpu_generator_with_cuda_input_and_default_generator() -> None:
    x = torch.rand(2, 3, 32, 32, device="cuda")
    out = build_noise("cbdnet")(x, torch.Generator().manual_seed(0))
    assert out.noisy.device == x.device
    torch.cuda.manual_seed(3)
    first = cbdnet(x)
    torch.cuda.manual_seed(3)
    assert torch.equal(cbdnet(x).noisy, first.noisy)


@pytest.mark.gpu
@cuda
def test_cuda_matches_cpu_without_noise() -> None:
    x = torch.rand(3, 3, 32, 32)
    fixed = {"sigma_s": 0.0, "sigma_c": 0.0, "crf": torch.tensor([1, 2, 3])}
    bayer = torch.tensor([0, 3, 4])
    cpu = cbdnet(x, bayer=bayer, generator=torch.Generator(), **fixed)
    gpu = cbdnet(x.cuda(), bayer=bayer.cuda(), generator=torch.Generator("cuda"), **fixed)
    torch.testing.assert_close(gpu.noisy.cpu(), cpu.noisy, atol=1e-3, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_cpu_outputs_on_cpu(name: str) -> None:
    x = torch.rand(1, 3, 16, 16)
    out = build_noise(name)(x, torch.Generator().manual_seed(0))
    assert out.noisy.device.type == "cpu" and out.noisy.dtype == torch.float32
