"""Offline cropping (`restorekit prepare`): the official grid plus edge crops, written as pairs."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli import prepare as prepare_cli
from restorekit.data import PairedFolder
from restorekit.data.prepare import crop_starts, prepare_crops
from restorekit.errors import RestoreKitError

SCENE = "0001_001_S6_00100_00060_3200_L"


def test_crop_starts_cover_the_remainder_with_an_edge_crop() -> None:
    assert crop_starts(1000, 512, 384) == [0, 384, 488]
    assert crop_starts(896, 512, 384) == [0, 384]  # exact fit: no extra crop
    assert crop_starts(512, 512, 384) == [0]
    assert crop_starts(300, 512, 384) == [0]  # shorter than a crop: one crop of full length
    assert crop_starts(28, 8, 6) == [0, 6, 12, 18, 20]
    with pytest.raises(RestoreKitError):
        crop_starts(10, 8, 0)


def _sidd(tmp_path: Path, img) -> tuple[Path, np.ndarray]:
    pixels = img.random_pixels(0, 20, 28)
    src = tmp_path / "SIDD_Medium_Srgb"
    img.write_png(src / "Data" / SCENE / "NOISY_SRGB_010.PNG", pixels)
    img.write_png(src / "Data" / SCENE / "GT_SRGB_010.PNG", pixels // 2)
    return src, pixels


def test_prepare_sidd_writes_every_crop_pair(tmp_path: Path, img) -> None:
    src, pixels = _sidd(tmp_path, img)
    dst = tmp_path / "crops"
    assert prepare_crops("sidd", src, dst, size=8, step=6, progress=False) == 15
    names = sorted(p.name for p in (dst / "noisy").iterdir())
    assert names == sorted(p.name for p in (dst / "gt").iterdir())
    assert names[0] == f"{SCENE}_010_s001.png" and len(names) == 15
    # Crop 5 is the first row's edge crop (columns 20..27).
    crop = np.asarray(Image.open(dst / "noisy" / f"{SCENE}_010_s005.png"))
    np.testing.assert_array_equal(crop, pixels[0:8, 20:28])
    gt = np.asarray(Image.open(dst / "gt" / f"{SCENE}_010_s015.png"))
    np.testing.assert_array_equal(gt, pixels[12:20, 20:28] // 2)
    assert len(PairedFolder(dst)) == 15
    with pytest.raises(RestoreKitError, match=r"overwrite"):
        prepare_crops("sidd", src, dst, size=8, step=6, progress=False)
    assert prepare_crops("sidd", src, dst, size=8, step=6, overwrite=True, progress=False) == 15


def test_prepare_gopro_in_parallel(tmp_path: Path, img) -> None:
    for s, sequence in enumerate(["GOPR0372_07_00", "GOPR0374_11_00"]):
        pixels = img.random_pixels(s, 10, 10)
        img.write_png(tmp_path / "GoPro" / "train" / sequence / "blur" / "000047.png", pixels)
        img.write_png(tmp_path / "GoPro" / "train" / sequence / "sharp" / "000047.png", pixels)
    count = prepare_crops("gopro", tmp_path / "GoPro", tmp_path / "out", size=8, workers=2)
    assert count == 2 * 4  # starts [0, 2] per axis with the default step 256
    assert (tmp_path / "out" / "gt" / "GOPR0374_11_00_000047_s004.png").is_file()


def _cli(argv: list[str]) -> int:
    """Parse ``argv`` with the sub-command's own parser and run it (as ``restorekit prepare``)."""
    parser = argparse.ArgumentParser(prog="restorekit prepare")
    prepare_cli.add_arguments(parser)
    return prepare_cli.run(parser.parse_args(argv))


def test_prepare_cli(tmp_path: Path, img, capsys) -> None:
    src, _ = _sidd(tmp_path, img)
    dst = tmp_path / "cli"
    assert _cli(["sidd", str(src), str(dst), "--size", "8", "--step", "6"]) == 0
    assert "wrote 15 crop pairs" in capsys.readouterr().out
    with pytest.raises(RestoreKitError, match=r"not a folder"):
        _cli(["sidd", str(tmp_path / "absent"), str(dst)])
    with pytest.raises(RestoreKitError, match=r"step"):
        _cli(["gopro", str(src), str(tmp_path / "x"), "--step", "0"])
    with pytest.raises(SystemExit):
        _cli(["raw", str(src), str(dst)])
