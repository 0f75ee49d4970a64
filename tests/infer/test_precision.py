"""Precision and device selection."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.infer.precision import autocast, check_precision, select_device
from restorekit.infer.restore import restore


def test_auto_device_on_this_machine() -> None:
    expected = "cuda" if torch.cuda.is_available() else None
    device = select_device("auto")
    assert device.type == (expected or device.type)
    assert select_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("device", ["cuda:7", "gpu", "mps"])
def test_unavailable_or_unknown_devices_are_user_errors(device: str) -> None:
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    if device == "mps" and torch.backends.mps.is_available():
        pytest.skip("MPS available")
    with pytest.raises(RestoreKitError):
        select_device(device)


def test_fp16_on_cpu_and_unknown_precisions_are_user_errors() -> None:
    with pytest.raises(RestoreKitError, match="fp16 needs a GPU"):
        check_precision("fp16", "cpu")
    with pytest.raises(RestoreKitError, match="unknown precision"):
        check_precision("int8", "cpu")


def test_bf16_autocast_on_cpu_runs_convolutions_in_bfloat16() -> None:
    conv = torch.nn.Conv2d(3, 3, 3, padding=1)
    with torch.no_grad(), autocast("bf16", "cpu"):
        assert conv(torch.rand(1, 3, 8, 8)).dtype == torch.bfloat16
    with torch.no_grad(), autocast("fp32", "cpu"):
        assert conv(torch.rand(1, 3, 8, 8)).dtype == torch.float32


def test_restore_in_bf16_is_float32_and_close(stats_denoiser, noisy, psnr_fn) -> None:
    ref = restore(stats_denoiser, noisy)
    out = restore(stats_denoiser, noisy, precision="bf16", tile=48, overlap=16)
    assert out.dtype == torch.float32
    assert psnr_fn(out, ref) > 35


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fp16_on_gpu(stats_denoiser, noisy, psnr_fn) -> None:
    model = stats_denoiser.cuda()
    ref = restore(model, noisy.cuda())
    out = restore(model, noisy.cuda(), precision="fp16", tile=48, overlap=16)
    assert out.dtype == torch.float32
    assert psnr_fn(out, ref) > 40
