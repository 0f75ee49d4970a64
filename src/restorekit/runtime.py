"""Process-wide settings for CPU inference and training: allocator, OpenMP, CPU features.

**Allocator (glibc only).** By default glibc serves every allocation above 32 MB-ish with a fresh
``mmap`` and hands freed memory straight back to the kernel, so each large activation tensor pays
its page faults again (about 4 us per 4 KiB page on the development machine): that was a third of
AINDNet-xs's CPU inference time and a quarter of the noise engine's. ``tune_malloc`` keeps freed
memory in the heap instead, the same effect as the environment variables
``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` and ``MALLOC_TOP_PAD_``.

**OpenMP.** torch's OpenMP threads spin while they wait for work; on a machine another process
keeps busy they burn the cores that process needs and throughput collapses (measured 0.013 MP/s
with 2 threads beside one busy process, against 0.192 with ``OMP_WAIT_POLICY=PASSIVE``), while on
an idle machine sleeping costs a third (PASSIVE 0.219 against 0.328 MP/s; a spin bounded by
``GOMP_SPINCOUNT=10000`` ran at 0.344 idle and 0.105 loaded; ``benchmarks/threads.py``, 2-core
Xeon). ``choose_wait_policy`` therefore looks at the machine at start-up: when other processes
keep at least ``BUSY_SHARE`` of the CPUs busy over ``BUSY_SAMPLE_S`` (``/proc/stat``; unknown
elsewhere, treated as busy) it sets ``PASSIVE``, otherwise the bounded spin. A policy the user
set (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``) wins. OpenMP reads the variables once, when torch
loads, so this must run before ``import torch``. The thread count stays torch's default
(physical cores) unless ``OMP_NUM_THREADS`` or ``set_threads`` says otherwise.

**CPU features.** ``native_bf16`` tells whether the CPU computes bfloat16 in hardware
(x86 AVX512_BF16 or AMX-BF16, Arm BF16); elsewhere torch emulates it, several times slower
than float32.

The CLI calls ``choose_wait_policy`` and ``tune_malloc`` once at start-up; library users may call
them themselves. This module imports no torch at import time, so that ordering is possible.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
import subprocess
import sys
import time

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_ENV_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
OPT_OUT = "RESTOREKIT_NO_MALLOC_TUNING"


def tune_malloc(
    mmap_threshold: int = 1 << 30, trim_threshold: int = (1 << 31) - 1, top_pad: int = 256 << 20
) -> bool:
    """Keep large freed blocks in glibc's heap; True if the settings were applied.

    Does nothing (returns False) off glibc, when the user already set any ``MALLOC_*_`` variable
    above, or when ``RESTOREKIT_NO_MALLOC_TUNING`` is set. The cost is that up to
    ``trim_threshold`` bytes of freed memory stay mapped to the process until it exits.
    """
    if platform.system() != "Linux" or os.environ.get(OPT_OUT):
        return False
    if any(name in os.environ for name in _ENV_VARS):
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    settings = (
        (_M_MMAP_THRESHOLD, mmap_threshold),
        (_M_TRIM_THRESHOLD, trim_threshold),
        (_M_TOP_PAD, top_pad),
    )
    return all(mallopt(option, value) == 1 for option, value in settings)


WAIT_POLICY = "OMP_WAIT_POLICY"
SPIN_COUNT = "GOMP_SPINCOUNT"
BOUNDED_SPIN = "10000"
BUSY_SHARE = 0.25
BUSY_SAMPLE_S = 0.1
_chosen: dict[str, str] = {}  # what choose_wait_policy wrote, and why
#: CPU flags meaning hardware bfloat16: x86 (/proc/cpuinfo ``flags``) and Arm (``Features``).
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16", "svebf16"})


def cpu_busy_share(seconds: float = BUSY_SAMPLE_S, stat: str = "/proc/stat") -> float | None:
    """The share of all CPUs busy over the next ``seconds`` (this process sleeps meanwhile), from
    the ``cpu`` line of ``/proc/stat``; None where there is no such file."""

    def sample() -> tuple[int, int] | None:
        try:
            with open(stat, encoding="ascii") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle  # guest time is already counted in user time

    first = sample()
    if first is None:
        return None
    time.sleep(seconds)
    second = sample()
    if second is None or second[0] <= first[0]:
        return None
    total, idle = second[0] - first[0], second[1] - first[1]
    return max(0.0, min(1.0, 1.0 - idle / total))


def choose_wait_policy(busy: float | str | None = "measure") -> str | None:
    """Set OpenMP's wait for the machine's load (module docstring); returns what it set, or
    None when the user had set a policy or torch is loaded already (its OpenMP runtime has read
    the variables, so a change would only make ``wait_policy`` report a setting not in force).
    ``busy``: the busy share of the CPUs, or ``"measure"`` (:func:`cpu_busy_share`)."""
    if WAIT_POLICY in os.environ or SPIN_COUNT in os.environ or "torch" in sys.modules:
        return None
    share = cpu_busy_share() if busy == "measure" else busy
    if share is None or share >= BUSY_SHARE:
        os.environ[WAIT_POLICY] = "PASSIVE"
        seen = "unknown" if share is None else f"{share:.0%} of the CPUs busy"
        _chosen.update(name=WAIT_POLICY, value="PASSIVE", why=seen)
        return f"{WAIT_POLICY}=PASSIVE"
    os.environ[SPIN_COUNT] = BOUNDED_SPIN
    _chosen.update(name=SPIN_COUNT, value=BOUNDED_SPIN, why=f"{share:.0%} of the CPUs busy")
    return f"{SPIN_COUNT}={BOUNDED_SPIN}"


def wait_policy() -> str:
    """The OpenMP wait policy in the environment and who chose it."""
    for name in (WAIT_POLICY, SPIN_COUNT):
        value = os.environ.get(name)
        if value is None:
            continue
        if _chosen.get("name") == name and _chosen.get("value") == value:
            return f"{name}={value} (set by restorekit: {_chosen['why']} at start-up)"
        return f"{name}={value} (set in the environment)"
    return "default (OpenMP spins, then sleeps)"


def passive_wait() -> bool:
    """Whether OpenMP's idle threads are told to sleep rather than spin (``OMP_WAIT_POLICY``
    PASSIVE, what :func:`choose_wait_policy` sets on a busy machine): other thread pools, such as
    ONNX Runtime's, should then not spin either."""
    return os.environ.get(WAIT_POLICY, "").upper() == "PASSIVE"


def set_threads(threads: int | None) -> None:
    """Use ``threads`` intra-op threads in torch (None: keep the current count)."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags in ``/proc/cpuinfo`` text: x86 ``flags`` and Arm ``Features`` lines."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return frozenset(flags)


def cpu_model(cpuinfo: str) -> str:
    """The CPU's name from ``/proc/cpuinfo`` text, else what ``platform`` knows."""
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("model name", "hardware") and value.strip():
            return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def read_cpuinfo() -> str:
    """``/proc/cpuinfo`` on Linux; on macOS a line ``Features: bf16`` when the
    ``hw.optional.arm.FEAT_BF16`` sysctl says so; empty elsewhere."""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "hw.optional.arm.FEAT_BF16"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
        return "Features: bf16" if out.strip() == "1" else ""
    return ""


@functools.cache
def host_cpu_flags() -> frozenset[str]:
    """This machine's CPU flags (read once)."""
    return cpu_flags(read_cpuinfo())


def native_bf16(flags: frozenset[str] | None = None) -> bool:
    """True if the CPU with ``flags`` (None: this machine) computes bfloat16 in hardware."""
    return bool(BF16_FLAGS & (host_cpu_flags() if flags is None else flags))
