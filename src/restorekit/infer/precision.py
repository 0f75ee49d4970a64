"""Device selection and numeric precision for inference.

``fp32`` runs as is; ``bf16`` runs under ``torch.autocast`` on CPU and GPU (which ops run in
bfloat16 follows autocast's own lists); ``fp16`` runs under autocast on GPUs only, because CPU
float16 kernels are slow and lose accuracy. The inference wrappers return float32 either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from restorekit.errors import RestoreKitError

PRECISIONS = ("fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


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
    """Raise a user error when ``precision`` is unknown or unsupported on ``device``."""
    device = torch.device(device)
    if precision not in PRECISIONS:
        choices = ", ".join(PRECISIONS)
        raise RestoreKitError(f"unknown precision '{precision}'; choose one of {choices}")
    if precision == "fp16" and device.type == "cpu":
        raise RestoreKitError("precision fp16 needs a GPU; on CPU use bf16 or fp32")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise RestoreKitError("this GPU does not support bf16; use fp16 or fp32")


@contextlib.contextmanager
def autocast(precision: str, device: torch.device | str) -> Iterator[None]:
    """A context running model code at ``precision`` on ``device`` (checked first)."""
    device = torch.device(device)
    check_precision(precision, device)
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_DTYPES[precision]):
        yield
