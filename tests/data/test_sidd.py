"""SIDD-Medium sRGB folders and the SIDD validation .mat blocks, built tiny with the real names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from restorekit.data import SIDDMedium, SIDDVal
from restorekit.errors import RestoreKitError

SCENES = ["0001_001_S6_00100_00060_3200_L", "0002_001_S6_00100_00020_3200_N"]


def _sidd_medium(tmp_path: Path, img) -> Path:
    root = tmp_path / "SIDD_Medium_Srgb"
    for s, scene in enumerate(SCENES):
        for instance in ("010", "011"):
            pixels = img.random_pixels(10 * s + int(instance), 14, 18)
            img.write_png(root / "Data" / scene / f"NOISY_SRGB_{instance}.PNG", pixels)
            img.write_png(root / "Data" / scene / f"GT_SRGB_{instance}.PNG", pixels // 2)
    return root


def test_sidd_medium_pairs_every_instance(tmp_path: Path, img) -> None:
    root = _sidd_medium(tmp_path, img)
    ds = SIDDMedium(root, patch_size=8, augment=True)
    expected = [f"{scene}_{i}" for scene in SCENES for i in ("010", "011")]
    assert [item.name for item in ds.items] == expected
    assert len(SIDDMedium(root / "Data")) == 4  # the Data folder itself works too
    sample = ds[3]
    assert sample["noisy"].shape == sample["clean"].shape == (3, 8, 8)
    noisy_u8 = torch.round(sample["noisy"] * 255)
    torch.testing.assert_close(torch.round(sample["clean"] * 255), torch.floor(noisy_u8 / 2))


def test_sidd_medium_missing_gt_names_the_noisy_file(tmp_path: Path, img) -> None:
    root = _sidd_medium(tmp_path, img)
    gt = root / "Data" / SCENES[1] / "GT_SRGB_011.PNG"
    gt.unlink()
    with pytest.raises(RestoreKitError, match=r"NOISY_SRGB_011.PNG"):
        SIDDMedium(root)
    (tmp_path / "empty" / "Data" / SCENES[0]).mkdir(parents=True)
    with pytest.raises(RestoreKitError, match=r"no NOISY_SRGB"):
        SIDDMedium(tmp_path / "empty")
    with pytest.raises(RestoreKitError, match=r"not a folder"):
        SIDDMedium(tmp_path / "absent")


def _sidd_val(tmp_path: Path, images: int = 2, blocks: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, size=(images, blocks, 8, 6, 3), dtype=np.uint8)
    gt = noisy // 2
    scipy.io.savemat(
        tmp_path / "ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": noisy}
    )
    scipy.io.savemat(tmp_path / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    return noisy, gt


def test_sidd_val_blocks(tmp_path: Path) -> None:
    noisy, gt = _sidd_val(tmp_path)
    ds = SIDDVal(tmp_path)
    assert len(ds) == 6
    sample = ds[5]
    assert sample["name"] == "01_02"
    expected = noisy[1, 2].transpose(2, 0, 1).astype(np.float32) / 255
    np.testing.assert_array_equal(sample["noisy"].numpy(), expected)
    np.testing.assert_array_equal(
        sample["clean"].numpy(), gt[1, 2].transpose(2, 0, 1).astype(np.float32) / 255
    )
    assert ds[0]["name"] == "00_00" and ds[3]["name"] == "01_00"


def test_sidd_val_rejects_wrong_files(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match=r"ValidationNoisyBlocksSrgb.mat"):
        SIDDVal(tmp_path)
    _sidd_val(tmp_path)
    scipy.io.savemat(
        tmp_path / "ValidationGtBlocksSrgb.mat",
        {"ValidationGtBlocksSrgb": np.zeros((2, 3, 8, 6, 3), np.float64)},
    )
    with pytest.raises(RestoreKitError, match=r"uint8"):
        SIDDVal(tmp_path)
    scipy.io.savemat(
        tmp_path / "ValidationGtBlocksSrgb.mat",
        {"ValidationGtBlocksSrgb": np.zeros((2, 2, 8, 6, 3), np.uint8)},
    )
    with pytest.raises(RestoreKitError, match=r"differ in shape"):
        SIDDVal(tmp_path)
