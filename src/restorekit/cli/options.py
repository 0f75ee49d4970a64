"""Argument types shared by several sub-commands."""

from __future__ import annotations

import argparse
import math

GIB = 1024**3


def gigabytes(text: str) -> int:
    """A memory budget given in GB (``1.5``) as bytes; refuses inf, nan, zero and negatives."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB, got '{text}'") from None
    if not math.isfinite(value) or value <= 0 or value * GIB < 1:
        raise argparse.ArgumentTypeError(f"expected a finite positive number of GB, got '{text}'")
    return int(value * GIB)
