"""build_dataset: one name -> class dict; unknown names and options are one-line user errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from restorekit.data import CleanFolder, ImageDataset, build_dataset, list_datasets
from restorekit.data.registry import DATASETS
from restorekit.errors import RestoreKitError


def test_names() -> None:
    assert list_datasets() == sorted(
        ["clean_folder", "paired_folder", "sidd_medium", "sidd_val", "dnd", "gopro", "rain13k"]
    )
    assert all(issubclass(DATASETS.get(name), ImageDataset) for name in DATASETS)


def test_build_by_name(tmp_path: Path, img) -> None:
    img.write_png(tmp_path / "a.png", img.random_pixels(0, 9, 9))
    ds = build_dataset("clean_folder", root=str(tmp_path), patch_size=4, augment=True)
    assert isinstance(ds, CleanFolder) and ds[0]["clean"].shape == (3, 4, 4)


def test_user_errors(tmp_path: Path, img) -> None:
    img.write_png(tmp_path / "a.png", img.random_pixels(0, 4, 4))
    with pytest.raises(RestoreKitError, match=r"unknown dataset 'sid'.*sidd_val"):
        build_dataset("sid")
    with pytest.raises(RestoreKitError, match=r"no option.*patchsize"):
        build_dataset("paired_folder", root="x", patchsize=8)
    with pytest.raises(RestoreKitError, match=r"needs option.*root"):
        build_dataset("sidd_val")
    with pytest.raises(RestoreKitError, match=r"patch_size"):
        build_dataset("clean_folder", root=tmp_path, patch_size=0)
