"""Finding image files and writing files atomically (never a partial file on failure)."""

from __future__ import annotations

import glob
import os
import secrets
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import IO

from restorekit.errors import OutputWriteError, RestoreKitError

# file extension -> format written for it (reading goes by content, not by name)
IMAGE_EXTENSIONS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".webp": "WEBP",
}


def is_image_path(path: str | PathLike[str]) -> bool:
    """True when the file name has an image extension we read and write (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def list_images(source: str | PathLike[str], *, recursive: bool = False) -> list[Path]:
    """The image files named by ``source``, sorted by path.

    ``source`` is a file (returned as is, whatever its extension, so that reading it later gives
    a precise error), a folder (its image files; hidden files skipped; sub-folders too with
    ``recursive``) or a glob pattern such as ``data/*.png``. Finding nothing is an error.
    """
    text = os.fspath(source)
    path = Path(text)
    if path.is_file():
        return [path]
    if path.is_dir():
        candidates = path.rglob("*") if recursive else path.iterdir()
        found = [p for p in candidates if p.is_file() and _visible(p, path) and is_image_path(p)]
        if not found:
            raise RestoreKitError(
                f"no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in this folder", path
            )
        return sorted(found)
    if glob.has_magic(text):
        matches = glob.glob(text, recursive=recursive)
        found = [Path(m) for m in matches if Path(m).is_file() and is_image_path(m)]
        if not found:
            raise RestoreKitError("no image files match this pattern", text)
        return sorted(found)
    raise RestoreKitError("no such file or folder", path)


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def read_file_bytes(path: str | PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of ``path`` (the first ``limit`` only, if given).

    A missing, unreadable or empty file, or a folder, is a ``RestoreKitError`` naming it.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read() if limit is None else handle.read(limit)
    except FileNotFoundError:
        raise RestoreKitError("no such file", path) from None
    except IsADirectoryError:
        raise RestoreKitError("is a folder, not a file", path) from None
    except PermissionError:
        raise RestoreKitError("permission denied", path) from None
    except OSError as err:
        raise RestoreKitError(f"cannot read the file ({err.strerror or err})", path) from None
    if not data:
        raise RestoreKitError("empty file (0 bytes)", path)
    return data


def atomic_write(
    path: str | PathLike[str], write: Callable[[IO[bytes]], object], *, make_parents: bool = False
) -> None:
    """Write ``path`` by calling ``write(handle)`` on a temporary file in the same folder, fsync,
    then ``os.replace``.

    Readers see either the old file or the complete new one; on any failure the temporary file
    is removed and the target is left untouched. Permissions follow the umask like ``open``.
    ``make_parents`` creates missing folders first (else a missing folder is an error).
    """
    target = Path(path)
    folder = target.parent
    if make_parents:
        folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        raise RestoreKitError("the output folder does not exist", target)
    if target.is_dir():
        raise RestoreKitError("is a folder, not a file name", target)
    tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputWriteError(err.strerror or str(err), target) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(
    path: str | PathLike[str], data: bytes, *, make_parents: bool = False
) -> None:
    """``atomic_write`` of an in-memory buffer."""
    atomic_write(path, lambda handle: handle.write(data), make_parents=make_parents)


def atomic_write_text(path: str | PathLike[str], text: str, *, make_parents: bool = False) -> None:
    """``atomic_write`` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), make_parents=make_parents)


def cache_root() -> Path:
    """restorekit's cache folder: ``$RESTOREKIT_CACHE``, else ``$XDG_CACHE_HOME/restorekit``,
    else ``~/.cache/restorekit`` (adapted camera models, ONNX exports; safe to delete)."""
    if root := os.environ.get("RESTOREKIT_CACHE"):
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "restorekit"
