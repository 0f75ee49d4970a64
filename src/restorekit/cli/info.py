"""`restorekit info FILE...`: format, size, channels, bit depth and EXIF orientation per file;
`restorekit info --system`: CPU, threads, OpenMP wait policy, native bf16, auto precision."""

from __future__ import annotations

import argparse
import json
import sys

from restorekit.errors import RestoreKitError
from restorekit.infer.system import system_info
from restorekit.io import describe_image, image_info

HELP = "show format, size, channels, bit depth and EXIF orientation of image files (or --system)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE..., --system and --json."""
    parser.add_argument("files", nargs="*", metavar="FILE", help="image files to describe")
    parser.add_argument(
        "--system",
        action="store_true",
        help="show the CPU, torch threads, OpenMP wait policy, native bf16 and what "
        "--precision auto picks on this machine",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per file instead of text"
    )


def run(args: argparse.Namespace) -> int:
    """Describe the system and/or every file; a bad file prints one error line and makes the
    exit code 2."""
    if not args.files and not args.system:
        print("restorekit info: error: give FILE... or --system", file=sys.stderr)
        return 2
    if args.system:
        info = system_info(args.threads)
        print(json.dumps(info) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    failed = False
    for path in args.files:
        try:
            line = json.dumps(image_info(path)) if args.json else describe_image(path)
        except RestoreKitError as err:
            print(f"restorekit info: error: {err}", file=sys.stderr)
            failed = True
            continue
        print(line, flush=True)
    return 2 if failed else 0
