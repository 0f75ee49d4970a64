"""Cost of every registered model: parameters, MACs at 256x256 and CPU forward speed.

    python benchmarks/models.py [--size 256] [--reps 3] [--budget 20] [--names hinet-1x ...]

MACs are counted with forward hooks on Conv2d, ConvTranspose2d and Linear (normalisation,
activations, additions and padding are not counted). A transposed convolution costs
``in_numel * C_out/groups * k_h * k_w`` multiply-accumulates (each input value is scattered to
a k x k window of every output channel); the column "MACs, ConvT as out·Cin·k²" charges it
``out_numel * C_in/groups * k_h * k_w`` instead, which is 4x more for HINet's stride-2 2x2
up-sampling and is the convention behind the published 170.7 G for HINet 1x. Speed is the best
of a few timed forward passes (after one warm-up pass) under ``torch.inference_mode`` at batch 1;
achieved GFLOP/s = 2 * MACs / time, shown next to the same run's measured peak of one large
3x3 convolution. Names that build the same model are measured once; ``-deblur`` presets (same
convolutions as their SIDD twins, only the instance-norm placement differs) only with ``--all``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from restorekit.models import build_model, get_entry, list_models
from restorekit.models.aindnet import AIN


def count_macs(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """(MACs, MACs with the out·Cin·k² transposed-conv convention) of one forward of ``x``."""
    totals = {"macs": 0, "alt": 0}

    def conv_hook(module: nn.Conv2d, inputs: tuple[torch.Tensor], out: torch.Tensor) -> None:
        kh, kw = module.kernel_size
        macs = out.numel() * (module.in_channels // module.groups) * kh * kw
        totals["macs"] += macs
        totals["alt"] += macs

    def convt_hook(
        module: nn.ConvTranspose2d, inputs: tuple[torch.Tensor], out: torch.Tensor
    ) -> None:
        kh, kw = module.kernel_size
        totals["macs"] += inputs[0].numel() * (module.out_channels // module.groups) * kh * kw
        totals["alt"] += out.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, inputs: tuple[torch.Tensor], out: torch.Tensor) -> None:
        macs = out.numel() * module.in_features
        totals["macs"] += macs
        totals["alt"] += macs

    def ain_hook(module: AIN, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        # AIN runs its gamma and beta heads as one functional conv over stacked weights, which
        # no Conv2d hook sees: 2 heads x out_numel x hidden x 3 x 3.
        kh, kw = module.conv_gamma.kernel_size
        macs = 2 * out.numel() * module.conv_gamma.in_channels * kh * kw
        totals["macs"] += macs
        totals["alt"] += macs

    hooks = {
        nn.Conv2d: conv_hook,
        nn.ConvTranspose2d: convt_hook,
        nn.Linear: linear_hook,
        AIN: ain_hook,
    }
    handles = [m.register_forward_hook(hooks[type(m)]) for m in model.modules() if type(m) in hooks]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return float(totals["macs"]), float(totals["alt"])


def best_time(run: Callable[[], Any], reps: int, budget_s: float) -> tuple[float, int]:
    """Best wall time of up to ``reps`` calls, stopping early once ``budget_s`` is spent."""
    times: list[float] = []
    while len(times) < reps and (not times or sum(times) < budget_s):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), len(times)


def conv_peak_gflops(reps: int = 3) -> float:
    """Achieved GFLOP/s of a 3x3 conv 256->256 on 1x256x128x128 (a compute-bound reference)."""
    conv = nn.Conv2d(256, 256, 3, padding=1)
    x = torch.rand(1, 256, 128, 128)
    flops = 2.0 * 128 * 128 * 256 * 256 * 9
    with torch.inference_mode():
        conv(x)
        seconds, _ = best_time(lambda: conv(x), reps, budget_s=10.0)
    return flops / seconds / 1e9


def input_channels(name: str) -> int:
    """Input channels of ``name`` from its kwargs (``in_chn``/``in_channels``), else 3."""
    entry = get_entry(name)
    params = inspect.signature(entry.builder).parameters
    for key in ("in_chn", "in_channels"):
        if key in entry.defaults:
            return int(entry.defaults[key])
        if key in params and isinstance(params[key].default, int):
            return params[key].default
    return 3


def default_names(include_all: bool) -> list[str]:
    """Registered names, one per distinct (builder, kwargs); ``-deblur`` only if asked.

    Of several names building the same model, the preset (most explicit defaults) is kept.
    """
    chosen: dict[tuple[Any, str], str] = {}
    for name in sorted(list_models(), key=lambda n: (-len(get_entry(n).defaults), n)):
        entry = get_entry(name)
        bound = inspect.signature(entry.builder).bind(**entry.kwargs())
        bound.apply_defaults()
        chosen.setdefault((entry.builder, repr(sorted(bound.arguments.items()))), name)
    keep = set(chosen.values())
    return [n for n in list_models() if n in keep and (include_all or not n.endswith("-deblur"))]


def cpu_name() -> str:
    """The CPU model string (Linux), else the platform's processor field."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", nargs="*", help="registry names (default: all distinct)")
    parser.add_argument("--all", action="store_true", help="include the -deblur presets")
    parser.add_argument("--size", type=int, default=256, help="input height and width")
    parser.add_argument("--reps", type=int, default=3, help="timed forward passes at most")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of timing per model")
    args = parser.parse_args()

    torch.manual_seed(0)
    names = args.names or default_names(args.all)
    peak = conv_peak_gflops()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_name()}, "
        f"load average {load:.1f}; input 1x3x{args.size}x{args.size}, float32, CPU"
    )
    print(f"measured conv peak (3x3 conv 256->256 on 1x256x128x128): {peak:.1f} GFLOP/s\n")
    print(
        "| model | params | MACs (G) | MACs, ConvT as out·Cin·k² (G) | forward ms | MP/s "
        "| GFLOP/s | % of conv peak | timed reps |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        try:
            model = build_model(name).eval()
            params = sum(p.numel() for p in model.parameters())
            x = torch.rand(1, input_channels(name), args.size, args.size)
            with torch.inference_mode():
                macs, alt = count_macs(model, x)  # also the warm-up pass
                seconds, reps = best_time(lambda m=model, x=x: m(x), args.reps, args.budget)
        except Exception as err:  # one broken model must not hide the others' numbers
            print(f"| {name} | error: {type(err).__name__}: {err} | | | | | | | |")
            continue
        gflops = 2 * macs / seconds / 1e9
        print(
            f"| {name} | {params / 1e6:.2f} M | {macs / 1e9:.1f} | {alt / 1e9:.1f} "
            f"| {seconds * 1e3:.0f} | {args.size**2 / 1e6 / seconds:.3f} | {gflops:.1f} "
            f"| {100 * gflops / peak:.0f} % | {reps} |"
        )
        del model


if __name__ == "__main__":
    main()
