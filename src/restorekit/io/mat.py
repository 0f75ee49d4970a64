"""MATLAB .mat files: v5/v7 through scipy.io, v7.3 (HDF5) through h5py.

The benchmark files this serves: SIDD validation blocks (v5, e.g. ``ValidationNoisyBlocksSrgb``,
uint8 (40, 32, 256, 256, 3)) and DND (v7.3: ``images_srgb/%04d.mat`` with ``InoisySRGB``, and
``info.mat`` whose ``info/boundingboxes`` cell array holds one (20, 4) box table per image).
Arrays always come back in MATLAB's axis order: h5py sees v7.3 arrays transposed (HDF5 is
row-major, MATLAB column-major), so those are transposed back.
"""

from __future__ import annotations

import io
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import scipy.io

from restorekit.errors import RestoreKitError
from restorekit.io.paths import atomic_write_bytes, read_file_bytes

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


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
        contents = scipy.io.loadmat(path, variable_names=[key])
    except Exception as err:
        raise RestoreKitError(f"not a readable MATLAB .mat file ({_one_line(err)})", path) from None
    if key not in contents:
        names = [name for name, _shape, _cls in scipy.io.whosmat(path)]
        raise RestoreKitError(f"no variable '{key}' (variables: {', '.join(names)})", path)
    return contents[key]


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
