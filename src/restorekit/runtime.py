"""Process-wide allocator tuning for CPU inference and training (glibc only).

By default glibc serves every allocation above 32 MB-ish with a fresh ``mmap`` and hands freed
memory straight back to the kernel, so each large activation tensor pays its page faults again
(about 4 us per 4 KiB page on the development machine): that was a third of AINDNet-xs's CPU
inference time and a quarter of the noise engine's. ``tune_malloc`` keeps freed memory in the
heap instead, the same effect as the environment variables ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_`` and ``MALLOC_TOP_PAD_``. The CLI calls it once at start-up; library users
may call it themselves.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

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
