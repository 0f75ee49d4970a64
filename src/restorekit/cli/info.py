"""`restorekit info FILE...`: format, size, channels, bit depth and EXIF orientation per file."""

from __future__ import annotations

import argparse
import json
import sys

from restorekit.errors import RestoreKitError
from restorekit.io import describe_image, image_info

HELP = "show format, size, channels, bit depth and EXIF orientation of image files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE... and --json."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="image files to describe")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per file instead of text"
    )


def run(args: argparse.Namespace) -> int:
    """Describe every file; a bad file prints one error line and makes the exit code 2."""
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
