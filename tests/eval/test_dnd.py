"""DND submission export: context margin arithmetic and the .mat files the DND site expects."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from restorekit.errors import RestoreKitError
from restorekit.eval import FunctionMethod, NoisyMethod, box_with_margin, export_dnd


def _matlab73(path: Path) -> h5py.File:
    """An HDF5 file with room for MATLAB's 512-byte v7.3 header (see ``_stamp_header``)."""
    return h5py.File(path, "w", userblock_size=512)


def _stamp_header(path: Path) -> None:
    """Write the MATLAB v7.3 text header into the userblock."""
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 ."
    with path.open("r+b") as f:
        f.write(text.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02IM")


def make_dnd_root(root: Path, boxes: np.ndarray, size: tuple[int, int] = (40, 48)) -> Path:
    """A scaled-down DND download: info.mat (boxes (images, k, 4), 1-based inclusive) and
    images_srgb/%04d.mat (InoisySRGB, H x W x 3 float32), stored transposed like MATLAB v7.3."""
    (root / "images_srgb").mkdir(parents=True)
    info = root / "info.mat"
    with _matlab73(info) as f:
        refs = f.create_group("#refs#")
        handles = []
        for i, table in enumerate(boxes):
            ds = refs.create_dataset(f"b{i}", data=np.asarray(table, np.float64).T)
            handles.append(ds.ref)
        group = f.create_group("info")
        group.create_dataset("boundingboxes", data=np.array([handles], dtype=h5py.ref_dtype))
    _stamp_header(info)
    rng = np.random.default_rng(0)
    for i in range(len(boxes)):
        image = rng.random((*size, 3), dtype=np.float32)
        path = root / "images_srgb" / f"{i + 1:04d}.mat"
        with _matlab73(path) as f:
            f.create_dataset("InoisySRGB", data=image.T)
        _stamp_header(path)
    return root


BOXES = np.array(
    [
        [[1, 1, 16, 16], [11, 21, 26, 36], [25, 33, 40, 48]],  # top-left, inside, bottom-right
        [[5, 5, 20, 20], [1, 33, 16, 48], [25, 1, 40, 16]],
    ]
)


def test_box_with_margin_clamps_and_keeps_size() -> None:
    # Inside: full margin on every side.
    assert box_with_margin([11, 21, 26, 36], 5, 40, 48) == ((5, 31, 15, 41), (5, 21, 5, 21))
    # Touching the top-left border: no context there, the box starts at 0 in the window.
    win, inner = box_with_margin([1, 1, 16, 16], 80, 40, 48)
    assert win == (0, 40, 0, 48) and inner == (0, 16, 0, 16)
    # Touching the bottom-right border: explicit end indices, never an empty [m:-0] slice.
    win, inner = box_with_margin([25, 33, 40, 48], 80, 40, 48)
    assert win == (0, 40, 0, 48) and inner == (24, 40, 32, 48)
    assert box_with_margin([3, 4, 10, 12], 0, 40, 48) == ((2, 10, 3, 12), (0, 8, 0, 9))
    with pytest.raises(RestoreKitError, match="outside"):
        box_with_margin([30, 1, 41, 10], 0, 40, 48)


@pytest.mark.parametrize("margin", [0, 80, 6])
def test_export_identity_gives_the_noisy_crops(tmp_path: Path, margin: int) -> None:
    root = make_dnd_root(tmp_path / "dnd", BOXES)
    manifest = export_dnd(root, [NoisyMethod()], tmp_path / "out", margin=margin, progress=False)
    assert manifest["protocol"]["margin"] == margin
    assert manifest["files"]["noisy"] == ["noisy/0001.mat", "noisy/0002.mat"]
    for i in range(2):
        with h5py.File(root / "images_srgb" / f"{i + 1:04d}.mat", "r") as f:
            image = np.asarray(f["InoisySRGB"]).T
        mat = scipy.io.loadmat(tmp_path / "out" / "noisy" / f"{i + 1:04d}.mat")
        assert mat["Idenoised"].shape == (1, 3) and mat["Idenoised"].dtype == object
        assert not mat["israw"].item() and mat["eval_version"].item() == "1.0"
        for k, (r1, c1, r2, c2) in enumerate(BOXES[i]):
            crop = mat["Idenoised"][0, k]
            assert crop.dtype == np.float32 and crop.shape == (16, 16, 3)
            np.testing.assert_array_equal(crop, image[r1 - 1 : r2, c1 - 1 : c2])
    saved = json.loads((tmp_path / "out" / "dnd_export.json").read_text())
    assert saved["protocol"]["complete"] is False  # not the 50 DND images


def test_export_gives_context_and_clamps(tmp_path: Path) -> None:
    root = make_dnd_root(tmp_path / "dnd", BOXES[:1])
    shapes: list[tuple[int, ...]] = []

    def record(x: np.ndarray) -> np.ndarray:
        shapes.append(x.shape)
        return x * 3 - 1  # out of range -> clamped in the file

    method = FunctionMethod("rec", record)
    export_dnd(root, [method], tmp_path / "o", margin=6, progress=False)
    assert shapes == [(3, 22, 22), (3, 28, 28), (3, 22, 22)]
    crops = scipy.io.loadmat(tmp_path / "o" / "rec" / "0001.mat")["Idenoised"][0]
    assert all(c.min() >= 0 and c.max() <= 1 for c in crops)
    shapes.clear()
    export_dnd(root, [method], tmp_path / "o0", margin=0, progress=False)
    assert shapes == [(3, 16, 16)] * 3


def test_export_limit_and_errors(tmp_path: Path) -> None:
    root = make_dnd_root(tmp_path / "dnd", BOXES)
    manifest = export_dnd(root, [NoisyMethod()], tmp_path / "o", limit=1, progress=False)
    assert manifest["protocol"]["images"] == 1
    assert not (tmp_path / "o" / "noisy" / "0002.mat").exists()
    with pytest.raises(RestoreKitError, match=r"info\.mat"):
        export_dnd(tmp_path, [NoisyMethod()], tmp_path / "x", progress=False)
    (root / "images_srgb" / "0002.mat").unlink()
    with pytest.raises(RestoreKitError, match="DND image not found"):
        export_dnd(root, [NoisyMethod()], tmp_path / "y", progress=False)
    with pytest.raises(RestoreKitError, match="margin"):
        export_dnd(root, [NoisyMethod()], tmp_path / "z", margin=-1)
