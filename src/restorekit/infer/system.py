"""What this machine offers inference and training: `restorekit info --system`.

One function, ``system_info``, gathers the CPU, torch's threads, the OpenMP wait policy, native
bfloat16 support and what ``--precision auto`` picks here, the last by running the probe of
``restorekit.infer.precision`` with the default model on a fixed synthetic noisy image.
"""

from __future__ import annotations

import os

import torch

from restorekit.infer.loading import DEFAULT_MODEL, load_models, model_channels
from restorekit.infer.precision import (
    PROBE_PSNR_DB,
    PROBE_SIDE,
    probe_psnr,
    reduced_precision,
    select_device,
)
from restorekit.runtime import (
    BF16_FLAGS,
    cpu_flags,
    cpu_model,
    read_cpuinfo,
    wait_policy,
)


def thread_source(cli_threads: int | None = None) -> str:
    """Who chose torch's thread count: ``--threads``, ``OMP_NUM_THREADS`` or torch's default."""
    if cli_threads is not None:
        return "--threads"
    if "OMP_NUM_THREADS" in os.environ:
        return "OMP_NUM_THREADS"
    return "torch default: physical cores"


def _probe_image(channels: int = 3) -> torch.Tensor:
    """A fixed smooth test pattern with AWGN sigma 15/255 (its own generator, seed 0)."""
    line = torch.linspace(0, 1, PROBE_SIDE)
    yy, xx = torch.meshgrid(line, line, indexing="ij")
    planes = [torch.sin(20 * xx + 2 * yy), torch.cos(16 * yy), torch.sin(14 * (xx + yy))]
    clean = 0.5 + 0.3 * torch.stack(planes[:channels])[None]
    generator = torch.Generator().manual_seed(0)
    return clean + torch.randn(clean.shape, generator=generator) * (15 / 255)


def auto_precision(device: torch.device) -> str:
    """What ``--precision auto`` picks on ``device`` for the default model, and why."""
    candidate = reduced_precision(device)
    if candidate is None:
        why = "no native bf16" if device.type == "cpu" else f"no reduced precision on {device}"
        return f"fp32 ({why})"
    model = load_models(DEFAULT_MODEL, device)
    psnr = probe_psnr(model, _probe_image(model_channels(model)), candidate)
    chosen = candidate if psnr >= PROBE_PSNR_DB else "fp32"
    return (
        f"{chosen} ({DEFAULT_MODEL} at {candidate} is {psnr:.1f} dB from fp32 on a "
        f"{PROBE_SIDE} px probe; {candidate} needs {PROBE_PSNR_DB:.0f} dB)"
    )


def system_info(cli_threads: int | None = None) -> dict[str, str]:
    """CPU, torch, threads, OpenMP wait policy, native bf16 and the auto precision, as text
    values keyed by name; ``cli_threads`` is the CLI's ``--threads`` if given."""
    cpuinfo = read_cpuinfo()
    bf16 = sorted(BF16_FLAGS & cpu_flags(cpuinfo))
    device = select_device("auto")
    return {
        "cpu": f"{cpu_model(cpuinfo)}, {os.cpu_count()} logical cores",
        "cpu capability": torch.backends.cpu.get_cpu_capability(),
        "native bf16": f"yes ({', '.join(bf16)})" if bf16 else "no",
        "torch": torch.__version__,
        "threads": f"{torch.get_num_threads()} ({thread_source(cli_threads)}), "
        f"{torch.get_num_interop_threads()} inter-op",
        "openmp wait policy": wait_policy(),
        "device": str(device),
        "auto precision": auto_precision(device),
    }
