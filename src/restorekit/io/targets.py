"""Checking where results will go before any work starts, so a bad output path costs nothing.

Denoising, adaptation, training and evaluation call these before reading a model or an image:
an output folder must exist as a folder or be creatable, an output file must not be a folder,
and in both cases the nearest existing folder must accept a new file. That is tested by
creating and removing an empty file, because permission bits say nothing for root and nothing
for pseudo file systems such as ``/proc``. A full disk cannot be foreseen; writers report it
when it happens.
"""

from __future__ import annotations

import os
import tempfile
from os import PathLike
from pathlib import Path

from restorekit.errors import RestoreKitError


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (``.`` for a relative path at worst)."""
    for candidate in (path, *path.parents):
        try:
            if candidate.exists():
                return candidate
        except OSError:  # e.g. a name too long; the probe below reports the folder
            continue
    return Path(".")


def _probe(folder: Path, target: Path, what: str) -> None:
    """Raise unless a file can be created in ``folder`` (made and removed at once)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".restorekit-probe-", dir=folder)
    except OSError as err:
        raise RestoreKitError(
            f"cannot write {what} here: {folder} does not accept new files ({err.strerror or err})",
            target,
        ) from None
    os.close(handle)
    os.unlink(name)


def check_output_folder(path: str | PathLike[str], what: str = "the output folder") -> Path:
    """``path`` as a Path, once sure it is a folder that can be written in or created.

    ``what`` names the folder in the message (e.g. ``"the run folder (out_dir)"``).
    """
    path = Path(path)
    found = _nearest_existing(path)
    if not found.is_dir():
        if found == path:
            raise RestoreKitError(f"{what} is an existing file, not a folder", path)
        raise RestoreKitError(f"cannot create {what}: {found} is a file, not a folder", path)
    _probe(found, path, what)
    return path


def check_output_file(path: str | PathLike[str], what: str = "the output file") -> Path:
    """``path`` as a Path, once sure it names no folder and its folder can be written in or
    created (the file itself may exist: it is replaced atomically)."""
    path = Path(path)
    if path.is_dir():
        raise RestoreKitError(f"{what} is an existing folder; give a file name", path)
    found = _nearest_existing(path.parent)
    if not found.is_dir():
        raise RestoreKitError(f"cannot write {what}: {found} is a file, not a folder", path)
    _probe(found, path, what)
    return path
