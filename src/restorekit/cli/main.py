"""`restorekit` entry point: builds the sub-command parsers and turns user errors into one line.

Each sub-command lives in its own module of this package and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``; the work itself is done by the library.
Library errors name the API's parameters (``patch_size``); the message shown names the option
instead (``--patch-size``). ``main`` chooses OpenMP's wait (``OMP_WAIT_POLICY=PASSIVE`` on a busy
machine, ``GOMP_SPINCOUNT=10000`` on an idle one, unless the user set either) before any
sub-command module imports torch (``restorekit.runtime.choose_wait_policy``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from restorekit import __version__
from restorekit.errors import RestoreKitError
from restorekit.runtime import choose_wait_policy, set_threads, tune_malloc

COMMANDS = (
    "denoise",
    "restore",
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
    "serve",
)


def _threads(text: str) -> int:
    """A thread count: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got '{text}'")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="restorekit",
        description="Real-world image denoising and restoration (AINDNet, HINet).",
    )
    parser.add_argument("--version", action="version", version=f"restorekit {__version__}")
    parser.add_argument(
        "--threads",
        type=_threads,
        metavar="N",
        help="torch CPU threads for the command (default: OMP_NUM_THREADS, else torch's "
        "default, the physical cores); a train recipe's threads key wins for training",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"restorekit.cli.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        flags = {a.dest: max(a.option_strings, key=len) for a in cmd._actions if a.option_strings}
        cmd.set_defaults(run=module.run, flags=flags)
    return parser


def flag_names(message: str, args: argparse.Namespace, params: Sequence[str] = ()) -> str:
    """``message`` with each parameter name of the sub-command that has an underscore
    (``max_steps``), and each of ``params`` (a library error's named parameters, ``limit``),
    written as its option (``--max-steps``, ``--limit``)."""
    flags = getattr(args, "flags", {})
    for dest in dict.fromkeys([*vars(args), *flags]):  # flags: options not given too
        if "_" in dest or dest in params:
            option = flags.get(dest, "--" + dest.replace("_", "-"))
            pattern = rf"(?<![\w./-]){re.escape(dest)}(?![\w/-]|\.\w)"
            message = re.sub(pattern, option, message)
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print ``restorekit: error: ...`` on stderr and return 2."""
    choose_wait_policy()  # before build_parser: the sub-command modules import torch
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    tune_malloc()
    set_threads(args.threads)
    try:
        return int(args.run(args) or 0)
    except RestoreKitError as err:
        text = flag_names(str(err), args, err.params)
        print(f"restorekit {args.command}: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"restorekit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
