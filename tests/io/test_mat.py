"""MATLAB files: SIDD-style v5 through scipy, DND-style v7.3 (HDF5 with references) through h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from restorekit.errors import RestoreKitError
from restorekit.io import read_dnd_boxes, read_mat, write_mat

SIDD_MAT = Path("/work/shared/data/SIDD_DANet1/original_mat")
MATLAB_73_HEADER = (
    b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018 "
    b"HDF5 schema 1.00 ."
)


def _matlab73(path: Path) -> h5py.File:
    """An HDF5 file laid out like MATLAB -v7.3 writes it (512-byte user block with the header)."""
    handle = h5py.File(path, "w", userblock_size=512)
    return handle


def _finish_matlab73(path: Path) -> None:
    with path.open("r+b") as raw:
        raw.write(MATLAB_73_HEADER.ljust(128, b" "))


def test_read_v5_sidd_like_blocks(tmp_path: Path) -> None:
    blocks = (
        np.random.default_rng(0).integers(0, 255, (2, 3, 8, 8, 3), endpoint=True).astype(np.uint8)
    )
    scipy.io.savemat(
        tmp_path / "ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": blocks}
    )
    out = read_mat(tmp_path / "ValidationNoisyBlocksSrgb.mat", "ValidationNoisyBlocksSrgb")
    assert out.dtype == np.uint8 and out.shape == (2, 3, 8, 8, 3)
    np.testing.assert_array_equal(out, blocks)
    with pytest.raises(
        RestoreKitError, match=r"no variable 'nope' \(variables: ValidationNoisyBlocksSrgb\)"
    ):
        read_mat(tmp_path / "ValidationNoisyBlocksSrgb.mat", "nope")


def test_compressed_variables_follow_each_other_unpadded(tmp_path: Path) -> None:
    """MATLAB writes top-level compressed variables back to back, whatever their length (as
    CBDNet's DoRF files): the second one is read, not refused as a bad element."""
    rng = np.random.default_rng(0)
    first, second = rng.random((7, 13)).astype(np.float32), rng.random((5, 3)).astype(np.float32)
    path = tmp_path / "two.mat"
    scipy.io.savemat(path, {"A": first, "B": second}, do_compression=True)
    data = path.read_bytes()
    assert int.from_bytes(data[132:136], "little") % 8 != 0  # the first is not a multiple of 8
    np.testing.assert_array_equal(read_mat(path, "B"), second)
    np.testing.assert_array_equal(read_mat(path, "A"), first)


@pytest.mark.skipif(not SIDD_MAT.is_dir(), reason="shared SIDD sample not available")
def test_read_real_sidd_v5_file() -> None:
    gt = read_mat(SIDD_MAT / "gt.mat", "im_gt")
    noisy = read_mat(SIDD_MAT / "noisy.mat", "im_noisy")
    assert gt.shape == noisy.shape == (256, 256, 3)
    assert gt.dtype == noisy.dtype == np.uint8
    assert np.abs(gt.astype(int) - noisy.astype(int)).mean() > 1


def test_read_v73_dnd_image_in_matlab_axis_order(tmp_path: Path) -> None:
    image = np.random.default_rng(1).random((6, 5, 3)).astype(np.float32)  # MATLAB: H x W x 3
    path = tmp_path / "0001.mat"
    with _matlab73(path) as handle:
        dataset = handle.create_dataset("InoisySRGB", data=image.T)  # HDF5 stores it transposed
        dataset.attrs["MATLAB_class"] = np.bytes_("single")
    _finish_matlab73(path)
    out = read_mat(path, "InoisySRGB")
    assert out.shape == (6, 5, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, image)
    with pytest.raises(RestoreKitError, match=r"no variable 'Inoisy' \(variables: InoisySRGB\)"):
        read_mat(path, "Inoisy")


def _dnd_info(path: Path, boxes: np.ndarray) -> None:
    """info.mat as DND ships it: struct ``info`` whose ``boundingboxes`` is a 1x50 cell array."""
    with _matlab73(path) as handle:
        refs_group = handle.create_group("#refs#")
        refs = []
        for i, table in enumerate(boxes):
            dataset = refs_group.create_dataset(f"b{i}", data=table.T.astype(np.float64))
            dataset.attrs["MATLAB_class"] = np.bytes_("double")
            refs.append(dataset.ref)
        info = handle.create_group("info")
        info.attrs["MATLAB_class"] = np.bytes_("struct")
        cell = info.create_dataset(
            "boundingboxes", data=np.array(refs, dtype=h5py.ref_dtype)[:, None]
        )
        cell.attrs["MATLAB_class"] = np.bytes_("cell")
    _finish_matlab73(path)


def test_read_dnd_boxes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    start = rng.integers(1, 2000, (50, 20, 2))
    boxes = np.concatenate([start, start + 511], axis=2)[:, :, [0, 1, 2, 3]]
    _dnd_info(tmp_path / "info.mat", boxes)
    out = read_dnd_boxes(tmp_path / "info.mat")
    assert out.shape == (50, 20, 4) and out.dtype == np.int64
    np.testing.assert_array_equal(out, boxes)
    assert (out[:, :, 2] - out[:, :, 0] + 1 == 512).all()  # 1-based inclusive, 512-pixel crops
    with pytest.raises(RestoreKitError, match="MATLAB struct"):
        read_mat(tmp_path / "info.mat", "info")
    with pytest.raises(RestoreKitError, match="cell array"):
        read_mat(tmp_path / "info.mat", "info/boundingboxes")


def test_mat_errors(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="no such file"):
        read_mat(tmp_path / "missing.mat", "x")
    (tmp_path / "text.mat").write_text("not a mat file at all\n" * 10)
    with pytest.raises(RestoreKitError, match=r"not a readable MATLAB \.mat file"):
        read_mat(tmp_path / "text.mat", "x")
    scipy.io.savemat(tmp_path / "v5.mat", {"x": np.zeros(3)})
    with pytest.raises(RestoreKitError, match=r"not a MATLAB v7\.3"):
        read_dnd_boxes(tmp_path / "v5.mat")
    (tmp_path / "empty.mat").write_bytes(b"")
    with pytest.raises(RestoreKitError, match="empty file"):
        read_mat(tmp_path / "empty.mat", "x")


def test_write_mat_dnd_submission_round_trip(tmp_path: Path) -> None:
    crops = np.empty(20, dtype=object)
    for k in range(20):
        crops[k] = np.full((4, 4, 3), k / 20, np.float32)
    write_mat(tmp_path / "0001.mat", {"Idenoised": crops, "israw": False, "eval_version": "1.0"})
    back = scipy.io.loadmat(tmp_path / "0001.mat")
    assert back["Idenoised"].shape == (1, 20)
    np.testing.assert_array_equal(back["Idenoised"][0, 7], crops[7])
    assert str(back["eval_version"][0]) == "1.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0001.mat"]


@pytest.mark.parametrize("code", [0, 8, 19, 200])
def test_unknown_v5_data_type_code_is_refused_not_crashed(tmp_path: Path, code: int) -> None:
    """scipy 1.17 looks such codes up in a C table unchecked: the process would segfault."""
    path = tmp_path / "bad.mat"
    scipy.io.savemat(path, {"x": np.arange(6, dtype=np.uint8).reshape(2, 3)})
    data = bytearray(path.read_bytes())
    # miMATRIX tag, flags (16), dims (16), name (8 when small), then the data element's tag
    at = 128 + 8 + 16 + 16 + 8
    assert data[at] == 2  # miUINT8
    data[at : at + 4] = code.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(RestoreKitError, match=f"unknown data type code {code}"):
        read_mat(path, "x")


def test_v73_dataset_declaring_more_than_stored_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lie.mat"
    with h5py.File(path, "w", userblock_size=512) as handle:
        handle.create_dataset("lie", shape=(1 << 16, 1 << 16), dtype="f8", chunks=(64, 64))
    with pytest.raises(RestoreKitError, match=r"declares 34,359,738,368 bytes but .* stores 0"):
        read_mat(path, "lie")
