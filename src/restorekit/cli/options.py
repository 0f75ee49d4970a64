"""Argument types shared by several sub-commands."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from typing import Any

from restorekit.errors import RestoreKitError
from restorekit.infer.precision import PRECISIONS
from restorekit.infer.tiling import MIN_TILE_SIDE, TILE_GRAMMAR, parse_tile

GIB = 1024**3
PRECISION_HELP = (
    "auto (default): the fastest precision within 0.05 dB of fp32 - bf16 on a CPU with native "
    "bf16, fp16 on CUDA, each only if a probe on the input agrees with fp32 to 70 dB, else "
    "fp32; fp32; bf16 (emulated and ~10x slower on CPUs without native bf16); fp16 (GPU only)"
)


def tile(text: str) -> int | tuple[int, int] | str | None:
    """``--tile``: :func:`restorekit.infer.tiling.parse_tile` as an argparse type."""
    try:
        return parse_tile(text)
    except RestoreKitError:
        raise argparse.ArgumentTypeError(f"expected {TILE_GRAMMAR}, got '{text}'") from None


def gigabytes(text: str) -> int:
    """A memory budget given in GB (``1.5``) as bytes; refuses inf, nan, zero and negatives."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB, got '{text}'") from None
    if not math.isfinite(value) or value <= 0 or value * GIB < 1:
        raise argparse.ArgumentTypeError(f"expected a finite positive number of GB, got '{text}'")
    return int(value * GIB)


INFERENCE_DEFAULTS = {"tile": "auto", "overlap": 32, "precision": "auto", "device": "auto"}
"""The CLI's: the fastest precision the input allows (``restore_files`` itself defaults to fp32)."""


def add_inference_options(
    group: argparse.ArgumentParser | argparse._ArgumentGroup,
    defaults: Mapping[str, Any] = INFERENCE_DEFAULTS,
) -> None:
    """How a model runs, the same for ``denoise``/``restore`` and ``eval``: --tile, --overlap,
    --tta, --precision, --device, with ``defaults`` for the first four and the last
    (``eval`` passes its ``EvalSpec``'s)."""
    group.add_argument(
        "--tile",
        type=tile,
        default=defaults["tile"],
        metavar="auto|0|N|HxW",
        help="tile size; auto (default) picks whole-image or tiles from available memory, "
        "no larger than the model's max_tile (AINDNet: its training scale); 0 = whole image; "
        f"N or HxW: at least {MIN_TILE_SIDE} px and twice the model's size multiple per side",
    )
    group.add_argument(
        "--overlap",
        type=int,
        default=defaults["overlap"],
        metavar="PX",
        help="tile overlap in pixels (%(default)s)",
    )
    group.add_argument("--tta", action="store_true", help="x8 flip/rotate self-ensemble")
    group.add_argument(
        "--precision", choices=PRECISIONS, default=defaults["precision"], help=PRECISION_HELP
    )
    group.add_argument(
        "--device", default=defaults["device"], help="%(default)s (default), cpu, cuda, cuda:N, mps"
    )
