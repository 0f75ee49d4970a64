"""`restorekit restore`: denoise, derain or deblur image files, folders or glob patterns."""

from __future__ import annotations

import argparse

from restorekit.cli import denoise
from restorekit.infer.tasks import TASKS

HELP = "restore photos: --task denoise (default), derain or deblur; as denoise otherwise"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`denoise`'s options plus ``--task``."""
    defaults = ", ".join(f"{name}: {task.model}" for name, task in TASKS.items())
    suffixes = ", ".join(task.suffix for task in TASKS.values())
    parser.add_argument(
        "--task",
        choices=list(TASKS),
        default="denoise",
        help=f"what to remove; picks the default model ({defaults}) and the output suffix "
        f"({suffixes})",
    )
    denoise.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Restore and list the files written."""
    return denoise.run(args)
