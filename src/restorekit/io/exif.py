"""The camera behind a photo, from its EXIF: make, model, ISO, exposure time, f-number.

Read with Pillow from JPEG, PNG (eXIf chunk), WebP and TIFF files (a TIFF's first directory is
its EXIF, so any TIFF Pillow cannot decode, a float or 16-bit RGB one, still gives its tags).
Make and model come from IFD0 (0x010F, 0x0110); the rest from the Exif IFD: ISO from
ISOSpeedRatings / PhotographicSensitivity (0x8827), or, where that is missing or saturated at
65535 (high ISOs), from ISOSpeed (0x8833) or RecommendedExposureIndex (0x8832); ExposureTime
(0x829A) in seconds; FNumber (0x829D). Each field is None when absent or unreadable: damaged
metadata never stops a read.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import asdict, dataclass
from os import PathLike
from typing import Any

from PIL import Image, UnidentifiedImageError

from restorekit.errors import RestoreKitError
from restorekit.io.paths import read_file_bytes

MAKE, MODEL, EXIF_IFD = 0x010F, 0x0110, 0x8769
ISO_SPEED_RATINGS, RECOMMENDED_EXPOSURE_INDEX, ISO_SPEED = 0x8827, 0x8832, 0x8833
EXPOSURE_TIME, F_NUMBER = 0x829A, 0x829D
_SATURATED_ISO = 65535  # EXIF 2.3: ISOSpeedRatings holds 65535 when the ISO does not fit
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class CameraInfo:
    """What a photo's EXIF says about the camera and the shot (None where it says nothing)."""

    make: str | None = None
    model: str | None = None
    iso: int | None = None
    exposure_time: float | None = None  # seconds
    f_number: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-able dict."""
        return asdict(self)

    def describe(self) -> str:
        """``make NIKON CORPORATION, model NIKON D800, ISO 3200, 1/60 s, f/2.8`` (present ones)."""
        parts = []
        if self.make:
            parts.append(f"make {self.make}")
        if self.model:
            parts.append(f"model {self.model}")
        if self.iso is not None:
            parts.append(f"ISO {self.iso}")
        if self.exposure_time is not None:
            t = self.exposure_time
            parts.append(f"1/{round(1 / t)} s" if t < 0.5 else f"{t:g} s")
        if self.f_number is not None:
            parts.append(f"f/{self.f_number:g}")
        return ", ".join(parts)


def read_camera(path: str | PathLike[str]) -> CameraInfo:
    """The EXIF camera fields of the image at ``path`` (all None when it has no EXIF).

    A missing or empty file, or one Pillow does not recognise as an image, raises
    ``RestoreKitError``.
    """
    data = read_file_bytes(path)
    with warnings.catch_warnings():  # Pillow warns about damaged EXIF; we return None fields
        warnings.simplefilter("ignore")
        try:
            exif = _exif(data)
        except UnidentifiedImageError:
            raise RestoreKitError("not an image Pillow can read EXIF from", path) from None
        return _camera(exif)


def _exif(data: bytes) -> Image.Exif:
    if data[:4] in _TIFF_HEADERS:
        exif = Image.Exif()
        try:
            exif.load(data)
        except Exception:  # a damaged directory: no camera fields, not an error
            return Image.Exif()
        return exif
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.getexif()
    except UnidentifiedImageError:
        raise
    except Exception:  # a damaged header or EXIF block: no camera fields, not an error
        return Image.Exif()


def _camera(exif: Image.Exif) -> CameraInfo:
    try:
        sub = exif.get_ifd(EXIF_IFD)
    except Exception:
        sub = {}
    iso = _integer(sub.get(ISO_SPEED_RATINGS, exif.get(ISO_SPEED_RATINGS)))
    if iso is None or iso >= _SATURATED_ISO:
        iso = _integer(sub.get(ISO_SPEED)) or _integer(sub.get(RECOMMENDED_EXPOSURE_INDEX)) or iso
    return CameraInfo(
        make=_text(exif.get(MAKE)),
        model=_text(exif.get(MODEL)),
        iso=iso,
        exposure_time=_positive(sub.get(EXPOSURE_TIME)),
        f_number=_positive(sub.get(F_NUMBER)),
    )


def _text(value: Any) -> str | None:
    """An ASCII tag as a stripped string (NUL padding removed), None when empty or not text."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    text = " ".join(value.replace("\x00", " ").split())
    return text or None


def _integer(value: Any) -> int | None:
    """A positive integer tag (the first of several values), else None."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _positive(value: Any) -> float | None:
    """A positive finite rational tag as a float, else None (0/0 rationals included)."""
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number > 0 else None
