"""Precision and device selection."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.infer import precision as precision_module
from restorekit.infer.precision import (
    EMULATED_BF16,
    PRECISIONS,
    autocast,
    check_precision,
    choose_precision,
    reduced_precision,
    select_device,
    warn_emulated_bf16,
)
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


@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch):
    """Pretend the CPU has native bf16 (True) or not (False); the warning may fire again."""

    def set_native(value: bool) -> None:
        monkeypatch.setattr(precision_module, "native_bf16", lambda: value)
        warn_emulated_bf16.cache_clear()

    yield set_native
    warn_emulated_bf16.cache_clear()


def test_one_precision_list_with_auto_first() -> None:
    from restorekit.eval import runner

    assert PRECISIONS[0] == "auto"
    assert runner.PRECISIONS is PRECISIONS


@pytest.mark.parametrize(("has_bf16", "expected"), [(True, "bf16"), (False, None)])
def test_auto_tries_bf16_only_on_cpus_with_native_bf16(native, has_bf16, expected) -> None:
    native(has_bf16)
    assert reduced_precision("cpu") == expected
    assert reduced_precision("meta") is None


def test_explicit_precisions_are_kept(native, stats_denoiser, noisy) -> None:
    native(True)
    for chosen in ("fp32", "bf16"):
        assert choose_precision(stats_denoiser, noisy, chosen) == chosen
    with pytest.raises(RestoreKitError, match="fp16 needs a GPU"):
        choose_precision(stats_denoiser, noisy, "fp16")


def test_auto_is_fp32_without_native_bf16_and_runs_no_probe(native, noisy, monkeypatch) -> None:
    native(False)
    monkeypatch.setattr(precision_module, "probe_psnr", lambda *a: pytest.fail("probed"))
    assert choose_precision(nn.Identity(), noisy) == "fp32"


def test_auto_follows_the_probe(native, noisy, stats_denoiser, monkeypatch) -> None:
    native(True)
    # a model whose bf16 output equals its fp32 output passes the probe
    assert choose_precision(nn.Identity(), noisy) == "bf16"
    # a real denoiser's bf16 rounding stays well under the 70 dB the 0.05 dB rule needs
    psnr = precision_module.probe_psnr(stats_denoiser, noisy, "bf16")
    assert 30 < psnr < precision_module.PROBE_PSNR_DB
    assert choose_precision(stats_denoiser, noisy) == "fp32"
    monkeypatch.setattr(precision_module, "probe_psnr", lambda *a: 70.0)
    assert choose_precision(stats_denoiser, noisy) == "bf16"


def test_restore_resolves_auto(native, stats_denoiser, noisy) -> None:
    native(False)
    auto = restore(stats_denoiser, noisy, precision="auto", tile=48, overlap=16)
    assert torch.equal(auto, restore(stats_denoiser, noisy, tile=48, overlap=16))
    with pytest.raises(ValueError, match="choose_precision"), autocast("auto", "cpu"):
        pass


def test_bf16_on_a_cpu_without_it_warns_once_and_runs(native, caplog) -> None:
    native(False)
    conv = torch.nn.Conv2d(3, 3, 3, padding=1)
    with caplog.at_level(logging.WARNING, logger="restorekit"):
        for _ in range(3):
            with torch.no_grad(), autocast("bf16", "cpu"):
                assert conv(torch.rand(1, 3, 8, 8)).dtype == torch.bfloat16
    assert [r.getMessage() for r in caplog.records] == [EMULATED_BF16]
    assert "\n" not in EMULATED_BF16 and "10x slower" in EMULATED_BF16


def test_bf16_on_a_cpu_with_it_does_not_warn(native, caplog) -> None:
    native(True)
    with caplog.at_level(logging.WARNING, logger="restorekit"):
        check_precision("bf16", "cpu")
    assert not caplog.records
