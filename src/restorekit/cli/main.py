"""`restorekit` entry point: builds the sub-command parsers and turns user errors into one line.

Each sub-command lives in its own module of this package and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``; the work itself is done by the library.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from restorekit import __version__
from restorekit.errors import RestoreKitError
from restorekit.runtime import tune_malloc

COMMANDS = (
    "denoise",
    "train",
    "eval",
    "synth",
    "export",
    "adapt",
    "calibrate",
    "info",
    "models",
    "prepare",
    "demo",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="restorekit",
        description="Real-world image denoising and restoration (AINDNet, HINet).",
    )
    parser.add_argument("--version", action="version", version=f"restorekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"restorekit.cli.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print ``restorekit: error: ...`` on stderr and return 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    tune_malloc()
    try:
        return int(args.run(args) or 0)
    except RestoreKitError as err:
        print(f"restorekit {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"restorekit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
