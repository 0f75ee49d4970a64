"""The one exception type for user errors (bad input files, bad options, wrong model files).

The CLI turns a ``RestoreKitError`` into a one-line message on stderr and exit code 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

from os import PathLike


class RestoreKitError(Exception):
    """A problem with what the user gave us, described in one line.

    ``params``: the API parameters the message names as words (``limit``); the CLI shows them
    as its options (``--limit``). Names with an underscore (``patch_size``) are found anyway.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike[str] | None = None,
        *,
        params: tuple[str, ...] = (),
    ) -> None:
        text = " ".join(str(message).split())
        if path is not None:
            text = f"{path}: {text}"
        super().__init__(text)
        self.path = None if path is None else str(path)
        self.params = params


class OutputWriteError(RestoreKitError):
    """An output could not be written (a full disk, a folder gone): the work that made it may
    be worth keeping elsewhere (``restorekit adapt`` does). ``reason`` is the OS's words."""

    def __init__(self, reason: str, path: str | PathLike[str]) -> None:
        super().__init__(f"cannot write: {reason}", path)
        self.reason = reason
