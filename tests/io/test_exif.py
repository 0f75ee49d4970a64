"""read_camera and the camera part of image_info: EXIF written here with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, TiffImagePlugin

from restorekit.errors import RestoreKitError
from restorekit.io import CameraInfo, describe_image, image_info, read_camera


def _exif(make: str | None, model: str | None, **exif_ifd: object) -> Image.Exif:
    """IFD0 make/model plus Exif-IFD tags given as ``tag_0x8827=3200`` keywords."""
    exif = Image.Exif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    if exif_ifd:
        sub = exif.get_ifd(0x8769)
        sub.update({int(key[4:], 16): value for key, value in exif_ifd.items()})
        exif[0x8769] = 0  # Pillow writes the sub-IFD it holds in place of this offset
    return exif


D800 = _exif(
    "NIKON CORPORATION",
    "NIKON D800",
    tag_0x8827=3200,
    tag_0x829A=TiffImagePlugin.IFDRational(1, 60),
    tag_0x829D=TiffImagePlugin.IFDRational(28, 10),
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_make_model_iso_exposure_fnumber(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.new("RGB", (8, 6), (90, 120, 60)).save(path, fmt, exif=D800)
    assert read_camera(path) == CameraInfo(
        make="NIKON CORPORATION",
        model="NIKON D800",
        iso=3200,
        exposure_time=pytest.approx(1 / 60),
        f_number=pytest.approx(2.8),
    )


def test_sixteen_bit_tiff_tags_read_without_pillow_decoding(tmp_path: Path) -> None:
    path = tmp_path / "rgb16.tif"
    tags = [(271, "s", 0, "Canon\x00", True), (272, "s", 0, "Canon EOS R5  ", True)]
    tifffile.imwrite(path, np.zeros((4, 5, 3), np.float32), photometric="rgb", extratags=tags)
    assert read_camera(path) == CameraInfo(make="Canon", model="Canon EOS R5")


def test_saturated_iso_falls_back_to_iso_speed(tmp_path: Path) -> None:
    path = tmp_path / "high.jpg"
    exif = _exif("SONY", "ILCE-7M3", tag_0x8827=65535, tag_0x8830=3, tag_0x8833=102400)
    Image.new("RGB", (4, 4)).save(path, exif=exif)
    assert read_camera(path).iso == 102400


def test_no_exif_and_bad_values_give_none(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    assert read_camera(plain) == CameraInfo()
    odd = tmp_path / "odd.jpg"
    exif = _exif("  ", None, tag_0x8827=0, tag_0x829A=TiffImagePlugin.IFDRational(1, 0))
    Image.new("RGB", (4, 4)).save(odd, exif=exif)
    assert read_camera(odd) == CameraInfo()


def test_damaged_exif_block_is_not_an_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    path = tmp_path / "damaged.jpg"
    path.write_bytes(buffer.getvalue())
    assert read_camera(path) == CameraInfo()


def test_not_an_image_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("hello")
    with pytest.raises(RestoreKitError, match=r"notes\.jpg: not an image"):
        read_camera(path)


def test_image_info_and_description_carry_the_camera(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 6)).save(path, exif=D800)
    info = image_info(path)
    assert info["camera"] == {
        "make": "NIKON CORPORATION",
        "model": "NIKON D800",
        "iso": 3200,
        "exposure_time": pytest.approx(1 / 60),
        "f_number": pytest.approx(2.8),
    }
    assert describe_image(path).endswith(
        "no EXIF rotation, make NIKON CORPORATION, model NIKON D800, ISO 3200, 1/60 s, f/2.8"
    )
    Image.new("RGB", (8, 6)).save(path)
    assert image_info(path)["camera"] is None
