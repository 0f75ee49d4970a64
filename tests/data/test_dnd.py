"""DND sRGB: MATLAB v7.3 info.mat (cell of box arrays via object references) + images_srgb."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from restorekit.data import DND
from restorekit.errors import RestoreKitError

IMAGES, BOXES, HEIGHT, WIDTH = 50, 20, 20, 24


def _matlab_header(path: Path) -> None:
    """Write the 128-byte MATLAB 7.3 text header into the file's 512-byte HDF5 user block."""
    text = (
        b"MATLAB 7.3 MAT-file, Platform: GLNXA64, "
        b"Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    )
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as f:
        f.write(header)


def _boxes() -> np.ndarray:
    """(50, 20, 4) 1-based inclusive [row0, col0, row1, col1] boxes of 4 x 5 pixels."""
    k = np.arange(BOXES)
    row0, col0 = 1 + (k % 4) * 4, 1 + (k // 4) * 4
    one = np.stack([row0, col0, row0 + 3, col0 + 4], axis=1).astype(np.float64)
    return np.stack([one + (i % 2) for i in range(IMAGES)])


def _write_dnd(root: Path) -> list[np.ndarray]:
    boxes = _boxes()
    (root / "images_srgb").mkdir(parents=True)
    with h5py.File(root / "info.mat", "w", userblock_size=512) as f:
        info = f.create_group("info")
        info.attrs["MATLAB_class"] = np.bytes_("struct")
        refs_group = f.create_group("#refs#")
        refs = []
        for i in range(IMAGES):
            d = refs_group.create_dataset(f"b{i}", data=boxes[i].T)  # h5py holds MATLAB's transpose
            d.attrs["MATLAB_class"] = np.bytes_("double")
            refs.append(d.ref)
        bb = info.create_dataset(
            "boundingboxes", data=np.array([refs], dtype=h5py.ref_dtype)
        )  # MATLAB 50x1 cell -> h5py (1, 50)
        bb.attrs["MATLAB_class"] = np.bytes_("cell")
    _matlab_header(root / "info.mat")
    images = []
    rng = np.random.default_rng(0)
    for i in range(IMAGES):
        image = rng.random((HEIGHT, WIDTH, 3))
        path = root / "images_srgb" / f"{i + 1:04d}.mat"
        with h5py.File(path, "w", userblock_size=512) as f:
            d = f.create_dataset("InoisySRGB", data=image.T)
            d.attrs["MATLAB_class"] = np.bytes_("double")
        _matlab_header(path)
        images.append(image)
    return images


def test_dnd_yields_the_boxed_crops_with_submission_names(tmp_path: Path) -> None:
    images = _write_dnd(tmp_path)
    ds = DND(tmp_path)
    assert len(ds) == IMAGES * BOXES
    boxes = _boxes().astype(int)
    for item in (0, 19, 20, 537, 999):
        image, box = divmod(item, BOXES)
        sample = ds[item]
        assert set(sample) == {"noisy", "name"}
        assert sample["name"] == f"{image + 1:04d}_{box + 1:02d}"
        r0, c0, r1, c1 = boxes[image, box]
        expected = images[image][r0 - 1 : r1, c0 - 1 : c1].transpose(2, 0, 1).astype(np.float32)
        assert sample["noisy"].shape == (3, 4, 5)
        np.testing.assert_array_equal(sample["noisy"].numpy(), expected)
    assert ds[999]["name"] == "0050_20"


def test_dnd_errors(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match=r"info.mat"):
        DND(tmp_path)
    _write_dnd(tmp_path)
    (tmp_path / "images_srgb" / "0042.mat").unlink()
    with pytest.raises(RestoreKitError, match=r"0042.mat"):
        DND(tmp_path)
