"""The one exception type for user errors (bad input files, bad options, wrong model files).

The CLI turns a ``RestoreKitError`` into a one-line message on stderr and exit code 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

from os import PathLike


class RestoreKitError(Exception):
    """A problem with what the user gave us, described in one line."""

    def __init__(self, message: str, path: str | PathLike[str] | None = None) -> None:
        text = " ".join(str(message).split())
        if path is not None:
            text = f"{path}: {text}"
        super().__init__(text)
        self.path = None if path is None else str(path)
