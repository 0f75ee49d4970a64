"""MATLAB .mat files: v5/v7 through scipy.io, v7.3 (HDF5) through h5py.

The benchmark files this serves: SIDD validation blocks (v5, e.g. ``ValidationNoisyBlocksSrgb``,
uint8 (40, 32, 256, 256, 3)) and DND (v7.3: ``images_srgb/%04d.mat`` with ``InoisySRGB``, and
``info.mat`` whose ``info/boundingboxes`` cell array holds one (20, 4) box table per image).
Arrays always come back in MATLAB's axis order: h5py sees v7.3 arrays transposed (HDF5 is
row-major, MATLAB column-major), so those are transposed back.

Damaged or hostile files give a ``RestoreKitError``. Two guards go beyond the libraries: the
data type code of every v5 element is checked before scipy reads the file (scipy 1.17 looks
unknown codes up in a C table unchecked and crashes), and a v7.3 dataset may not declare more
data than its stored bytes could inflate to (HDF5 would build the whole declared array from
its fill value: gigabytes from a kilobyte file).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import scipy.io

from restorekit.errors import RestoreKitError
from restorekit.io.paths import atomic_write_bytes, read_file_bytes

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MI_MATRIX, _MI_COMPRESSED = 14, 15
# v5 numeric and text element types: int8 to uint32, single, double, int64, uint64, utf8-32
_MI_NUMERIC = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17, 18})
_ZLIB_MAX_RATIO = 1100  # deflate expands at most about 1032-fold
_SMALL = 1 << 20  # datasets up to this many bytes are read without the ratio check


def _is_hdf5(head: bytes) -> bool:
    """HDF5 puts its signature at offset 0, 512, 1024, ...; MATLAB v7.3 uses offset 512."""
    return any(head[off : off + 8] == _HDF5_SIGNATURE for off in range(0, len(head), 512))


def read_mat(path: str | PathLike[str], key: str) -> np.ndarray:
    """The variable ``key`` of a MATLAB file, as a numpy array in MATLAB's axis order.

    For v7.3 files ``key`` may name a struct field as ``"struct/field"``. Cell arrays in v7.3
    files hold references and are not read here (see ``read_dnd_boxes``).
    """
    path = Path(path)
    if _is_hdf5(read_file_bytes(path, 2048)):
        return _read_h5(path, key)
    try:
        if scipy.io.matlab.matfile_version(path)[0] == 1:
            _check_v5_elements(path)
            source: Path | io.BytesIO = path
        else:  # v4 goes through memory: scipy would allocate what its header declares
            source = io.BytesIO(read_file_bytes(path))
        contents = scipy.io.loadmat(source, variable_names=[key])
        if key not in contents:
            source = io.BytesIO(source.getvalue()) if isinstance(source, io.BytesIO) else path
            names = [name for name, _shape, _cls in scipy.io.whosmat(source)]
    except Exception as err:
        raise RestoreKitError(f"not a readable MATLAB .mat file ({_one_line(err)})", path) from None
    if key not in contents:
        raise RestoreKitError(f"no variable '{key}' (variables: {', '.join(names)})", path)
    return contents[key]


class _CorruptMat(Exception):
    """A v5 element tag scipy must not see; the message says which."""


def _check_v5_elements(path: Path) -> None:
    """Walk every element tag of a v5 file (inside compressed variables too) and raise
    ``_CorruptMat`` for type codes scipy cannot read or sizes past the data."""
    with path.open("rb") as handle:
        header = handle.read(128)
        if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
            raise _CorruptMat("no v5 header")
        order = "<" if header[126:128] == b"IM" else ">"

        def skip(count: int) -> None:
            handle.seek(count, io.SEEK_CUR)

        size = path.stat().st_size - 128
        _walk_elements(handle.read, skip, size, order, top=True)


def _walk_elements(
    read: Callable[[int], bytes],
    skip: Callable[[int], None],
    size: int | None,
    order: str,
    *,
    top: bool = False,
) -> None:
    """Check the elements in the next ``size`` bytes (to the end of the stream when None)."""
    done = 0
    while size is None or done < size:
        tag = read(8)
        if len(tag) < 8:
            if size is None:
                return  # the end (scipy reports a cut inside an element itself)
            raise _CorruptMat("truncated element")
        first, count = struct.unpack(order + "II", tag)
        if first >> 16:  # small data element: type, byte count and up to 4 bytes in 8 bytes
            code, count, padded = first & 0xFFFF, 0, 0
        else:  # top-level elements are not padded: a compressed one's length is any number
            code, padded = first, 0 if top else -count % 8
        if size is not None and done + 8 + count + padded > size:
            raise _CorruptMat("an element runs past the end of its parent or the file")
        if code == _MI_COMPRESSED and top:
            inflated = _Inflater(read, count)
            _walk_elements(inflated.read, inflated.skip, None, order)
            skip(inflated.left)  # compressed bytes after the end of the zlib stream
        elif code == _MI_MATRIX:
            _walk_elements(read, skip, count, order)
        elif code in _MI_NUMERIC:
            skip(count)
        else:
            raise _CorruptMat(f"unknown data type code {code}")
        skip(padded)
        done += 8 + count + padded


class _Inflater:
    """Read and skip through the inflated bytes of ``size`` zlib bytes from ``source``."""

    def __init__(self, source: Callable[[int], bytes], size: int) -> None:
        self.source, self.left = source, size
        self.inflater = zlib.decompressobj()

    def read(self, count: int) -> bytes:
        """Up to ``count`` inflated bytes (fewer at the end of the stream)."""
        parts, want = [], count
        while want > 0:
            if self.inflater.unconsumed_tail:
                raw = self.inflater.unconsumed_tail
            elif self.left > 0 and not self.inflater.eof:
                raw = self.source(min(self.left, 1 << 16))
                self.left -= len(raw)
                if not raw:
                    break
            else:
                break
            try:
                piece = self.inflater.decompress(raw, min(want, 1 << 20))
            except zlib.error as err:
                raise _CorruptMat(f"corrupt compressed variable ({err})") from None
            parts.append(piece)
            want -= len(piece)
        return b"".join(parts)

    def skip(self, count: int) -> None:
        """Inflate and drop ``count`` bytes, 1 MiB at a time; fewer left is ``_CorruptMat``."""
        while count > 0:
            piece = self.read(min(count, 1 << 20))
            if not piece:
                raise _CorruptMat("a compressed variable ends inside an element")
            count -= len(piece)


def _one_line(err: BaseException) -> str:
    return (" ".join(str(err).split()) or type(err).__name__)[:200]


def _read_h5(path: Path, key: str) -> np.ndarray:
    try:
        with h5py.File(path, "r") as handle:
            if key not in handle:
                names = [name for name in handle if not name.startswith("#")]
                raise RestoreKitError(f"no variable '{key}' (variables: {', '.join(names)})", path)
            node = handle[key]
            if isinstance(node, h5py.Group):
                fields = ", ".join(node)
                raise RestoreKitError(
                    f"'{key}' is a MATLAB struct; read one of its fields as '{key}/<field>' "
                    f"(fields: {fields})",
                    path,
                )
            if node.dtype == h5py.ref_dtype:
                raise RestoreKitError(
                    f"'{key}' is a MATLAB cell array of references, not a numeric array", path
                )
            _check_stored_size(node, key, path)
            array = np.asarray(node[()])
            matlab_class = node.attrs.get("MATLAB_class", b"")
    except RestoreKitError:
        raise
    except Exception as err:
        raise RestoreKitError(f"cannot read the v7.3 .mat file ({_one_line(err)})", path) from None
    array = array.T
    if matlab_class in (b"logical", "logical"):
        array = array.astype(bool)
    return array


def _check_stored_size(node: h5py.Dataset, key: str, path: Path) -> None:
    """Refuse a dataset declaring more than its stored bytes could inflate to."""
    declared = int(node.size) * node.dtype.itemsize
    stored = node.id.get_storage_size()
    if declared > _SMALL and declared > _ZLIB_MAX_RATIO * stored:
        raise RestoreKitError(
            f"'{key}' declares {declared:,} bytes but the file stores {stored:,} for it "
            "(damaged, or a decompression bomb)",
            path,
        )


def read_dnd_boxes(info_path: str | PathLike[str]) -> np.ndarray:
    """DND's crop boxes from ``info.mat``: int64 (images, boxes, 4), i.e. (50, 20, 4) for DND.

    The boxes are returned as stored: 1-based inclusive MATLAB coordinates
    (row_start, col_start, row_end, col_end), so crop k of image i is
    ``image[b[i, k, 0] - 1 : b[i, k, 2], b[i, k, 1] - 1 : b[i, k, 3]]``.
    """
    path = Path(info_path)
    if not _is_hdf5(read_file_bytes(path, 2048)):
        raise RestoreKitError("not a MATLAB v7.3 (HDF5) file; DND's info.mat is one", path)
    try:
        with h5py.File(path, "r") as handle:
            if "info/boundingboxes" not in handle:
                raise RestoreKitError("no 'info/boundingboxes' in this file (is it DND?)", path)
            refs = np.asarray(handle["info/boundingboxes"][()])
            if refs.dtype != object:
                raise RestoreKitError("'info/boundingboxes' is not a cell array", path)
            tables = [np.asarray(handle[ref][()], dtype=np.float64).T for ref in refs.ravel()]
    except RestoreKitError:
        raise
    except Exception as err:
        raise RestoreKitError(f"cannot read DND boxes ({_one_line(err)})", path) from None
    shapes = {table.shape for table in tables}
    if len(shapes) != 1 or next(iter(shapes))[1:] != (4,) or len(next(iter(shapes))) != 2:
        raise RestoreKitError(f"unexpected box table shapes {sorted(shapes)}", path)
    boxes = np.stack(tables)
    if not np.array_equal(boxes, np.rint(boxes)):
        raise RestoreKitError("box coordinates are not whole numbers", path)
    return boxes.astype(np.int64)


def write_mat(path: str | PathLike[str], data: dict[str, Any], *, compress: bool = False) -> None:
    """Write ``data`` as a MATLAB v5 file (scipy.io.savemat), atomically.

    Object arrays become cell arrays (e.g. DND's ``Idenoised``: 20 crops per file).
    """
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, data, do_compression=compress)
    atomic_write_bytes(path, buffer.getvalue())
