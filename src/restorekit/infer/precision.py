"""Device selection and numeric precision for inference.

``fp32`` runs as is; ``bf16`` runs under ``torch.autocast`` on CPU and GPU (which ops run in
bfloat16 follows autocast's own lists); ``fp16`` runs under autocast on GPUs only, because CPU
float16 kernels are slow and lose accuracy. The inference wrappers return float32 either way.
``bf16`` on a CPU without native bfloat16 (``restorekit.runtime.native_bf16``) still runs, as
asked, after one warning line: torch emulates it there, about 10x slower than fp32.

``auto`` (the default) is the fastest precision that keeps results within 0.05 dB of fp32:

- the device's reduced precision is tried only where it is fast: bf16 on a CPU with native
  bfloat16, fp16 on a CUDA GPU (10 significand bits to bf16's 7); elsewhere auto is fp32;
- it is used only if, on a ``PROBE_SIDE`` px centre crop of the input, its output is within
  ``PROBE_PSNR_DB`` of the fp32 output. Rounding errors are independent of the model's own error,
  so their mean squares add; costing at most 0.05 dB needs the deviation's mean square below
  1.16 % of the model's error (10 log10(1.0116) = 0.05), i.e. 19.4 dB under it. Taking 50 dB as
  the best a denoiser scores on photos (30-45 dB in practice) gives 50 + 19.4 = 70 dB.

Measured on this project's 2-core Xeon (AMX-BF16) with ``aindnet-real``: bf16 is 54-57 dB from
fp32 on 128 px crops of PolyU images, and on 10 PolyU test images it moved PSNR by up to 0.11 dB
(mean 0.02 dB), so auto keeps fp32 there although bf16 is faster.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
from collections.abc import Iterator

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.infer.outputs import ModelFn, image_of, model_device
from restorekit.runtime import native_bf16

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
PROBE_SIDE = 128
PROBE_PSNR_DB = 70.0
EMULATED_BF16 = (
    "restorekit: warning: this CPU has no native bf16 (AVX512_BF16, AMX-BF16 or Arm BF16), so "
    "torch emulates it, about 10x slower than fp32; running bf16 as asked (fp32 or auto avoid it)"
)
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
_log = logging.getLogger(__name__)


def select_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/None: CUDA if available, then Apple MPS, else CPU; otherwise the named device."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, ValueError):
        raise RestoreKitError(
            f"unknown device '{device}' (use auto, cpu, cuda, cuda:N or mps)"
        ) from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise RestoreKitError(f"device '{device}' asked for, but no CUDA GPU is available")
    if chosen.type == "cuda" and (chosen.index or 0) >= torch.cuda.device_count():
        raise RestoreKitError(f"device '{device}' asked for, but there is no such CUDA GPU")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise RestoreKitError(f"device '{device}' asked for, but Apple MPS is not available")
    return chosen


def check_precision(precision: str, device: torch.device | str) -> None:
    """Raise a user error when ``precision`` is unknown or unsupported on ``device``; warn once
    (one log line) when it is bf16 on a CPU that emulates bfloat16."""
    device = torch.device(device)
    if precision not in PRECISIONS:
        choices = ", ".join(PRECISIONS)
        raise RestoreKitError(f"unknown precision '{precision}'; choose one of {choices}")
    if precision == "fp16" and device.type == "cpu":
        raise RestoreKitError("precision fp16 needs a GPU; on CPU use bf16 or fp32")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise RestoreKitError("this GPU does not support bf16; use fp16 or fp32")
    if precision == "bf16" and device.type == "cpu" and not native_bf16():
        warn_emulated_bf16()


@functools.cache
def warn_emulated_bf16() -> None:
    """Log ``EMULATED_BF16`` (once per process: every tile and image checks the precision)."""
    _log.warning(EMULATED_BF16)


def reduced_precision(device: torch.device | str) -> str | None:
    """The precision ``auto`` tries on ``device``: bf16 on a CPU with native bfloat16, fp16 on a
    CUDA GPU, None (fp32 only) elsewhere."""
    kind = torch.device(device).type
    if kind == "cpu":
        return "bf16" if native_bf16() else None
    return "fp16" if kind == "cuda" else None


def probe_psnr(model: ModelFn, x: Tensor, precision: str) -> float:
    """PSNR (dB, peak 1) of ``model``'s output at ``precision`` against its fp32 output, on the
    centre ``PROBE_SIDE`` px crop of the first image of ``x`` (sides cut to the model's size
    multiple; inf when they agree exactly)."""
    device = model_device(model)
    multiple = int(getattr(model, "size_multiple", 1))
    sides = [max(multiple, min(n, PROBE_SIDE) // multiple * multiple) for n in x.shape[-2:]]
    top, left = ((n - side) // 2 for n, side in zip(x.shape[-2:], sides, strict=True))
    crop = x[:1, :, top : top + sides[0], left : left + sides[1]].to(device)
    outputs = []
    for run_at in ("fp32", precision):
        with torch.inference_mode(), autocast(run_at, device):
            outputs.append(image_of(model(crop)).float())
    mse = float(((outputs[0] - outputs[1]) ** 2).mean())
    return math.inf if mse == 0 else -10 * math.log10(mse)


def choose_precision(model: ModelFn, x: Tensor, precision: str = "auto") -> str:
    """The precision to run ``model`` on ``x`` at: ``precision`` itself (checked) unless it is
    ``auto``, then the device's reduced precision if its probe passes ``PROBE_PSNR_DB``, else
    fp32 (see the module docstring for why)."""
    device = model_device(model)
    check_precision(precision, device)
    if precision != "auto":
        return precision
    candidate = reduced_precision(device)
    if candidate is None or probe_psnr(model, x, candidate) < PROBE_PSNR_DB:
        return "fp32"
    return candidate


@contextlib.contextmanager
def autocast(precision: str, device: torch.device | str) -> Iterator[None]:
    """A context running model code at ``precision`` on ``device`` (checked first; ``auto``
    must be resolved with ``choose_precision`` before)."""
    device = torch.device(device)
    check_precision(precision, device)
    if precision == "auto":
        raise ValueError("resolve precision 'auto' with choose_precision() first")
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_DTYPES[precision]):
        yield
