"""image_info / describe_image: the library side of `restorekit info`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from restorekit.errors import RestoreKitError
from restorekit.io import describe_image, image_info

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def test_sixteen_bit_gray_tiff_with_icc(tmp_path: Path, gray_icc: bytes) -> None:
    path = tmp_path / "g.tif"
    icc_tag = (34675, 7, len(gray_icc), gray_icc, True)
    tifffile.imwrite(path, np.zeros((3, 2), np.uint16), extratags=[icc_tag])
    info = image_info(path)
    assert (info["format"], info["channels"], info["alpha"], info["bit_depth"]) == (
        "TIFF",
        "gray",
        False,
        16,
    )
    assert info["icc_profile"] is True
    assert describe_image(path) == f"{path}: TIFF, 2x3, gray, 16-bit, no EXIF rotation, ICC profile"


def test_describe_reports_applied_orientation() -> None:
    line = describe_image(FIXTURES / "orientation6.jpg")
    assert line.endswith("EXIF orientation 6 applied (rotated 90 degrees clockwise)")


def test_errors_propagate() -> None:
    with pytest.raises(RestoreKitError, match="empty file"):
        image_info(FIXTURES / "empty.png")
