"""`restorekit prepare sidd|gopro SRC DST`: cut training frames into overlapping crops offline."""

from __future__ import annotations

import argparse
import sys

from restorekit.data.prepare import DEFAULT_STEP, prepare_crops

HELP = "cut SIDD-Medium or GoPro training frames into overlapping crops (offline, once)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """KIND SRC DST plus crop size, step, split, workers and overwrite."""
    parser.add_argument("kind", choices=sorted(DEFAULT_STEP), help="dataset layout of SRC")
    parser.add_argument(
        "src", help="SIDD_Medium_Srgb folder (holding Data/) or GoPro root (holding train/)"
    )
    parser.add_argument("dst", help="output folder; crops go to DST/noisy and DST/gt")
    parser.add_argument("--size", type=int, default=512, help="crop size in pixels (512)")
    parser.add_argument(
        "--step",
        type=int,
        default=None,
        help="stride between crops (official: sidd 384, gopro 256, the defaults)",
    )
    parser.add_argument("--split", default="train", help="GoPro split folder to crop (train)")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (1)")
    parser.add_argument(
        "--overwrite", action="store_true", help="write into a DST that already holds crops"
    )


def run(args: argparse.Namespace) -> int:
    """Crop and report how many crop pairs were written."""
    count = prepare_crops(
        args.kind,
        args.src,
        args.dst,
        size=args.size,
        step=args.step,
        split=args.split,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=sys.stderr.isatty(),
    )
    print(f"wrote {count} crop pairs to {args.dst}/noisy and {args.dst}/gt")
    return 0
