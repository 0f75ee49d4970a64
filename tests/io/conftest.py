"""ICC profiles built here (no profile files in the repository): sRGB, gray and a toy CMYK."""

from __future__ import annotations

import struct

import pytest
from PIL import ImageCms

_D50 = (0.9642, 1.0, 0.8249)


def _s15(value: float) -> bytes:
    """ICC s15Fixed16Number."""
    return struct.pack(">i", round(value * 65536))


def build_icc(space: bytes, tags: dict[bytes, bytes], *, cls: bytes, pcs: bytes) -> bytes:
    """A version 2.1 ICC profile: 128-byte header, tag table, tags (a D50 white point added)."""
    tags = {b"wtpt": b"XYZ \0\0\0\0" + b"".join(map(_s15, _D50)), **tags}
    start = 128 + 4 + 12 * len(tags)
    table, blobs = b"", b""
    for signature, body in tags.items():
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", start + len(blobs), len(body))
        blobs += body
    header = struct.pack(
        ">I4sI4s4s4s12s4s",
        start + len(blobs),
        b"\0" * 4,
        0x02100000,
        cls,
        space,
        pcs,
        b"\0" * 12,
        b"acsp",
    )
    header += b"\0" * 24 + b"".join(map(_s15, _D50))
    return header.ljust(128, b"\0") + struct.pack(">I", len(tags)) + table + blobs


@pytest.fixture(scope="session")
def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture(scope="session")
def gray_icc() -> bytes:
    """A gray display profile with an identity tone curve."""
    return build_icc(b"GRAY", {b"kTRC": b"curv\0\0\0\0" + bytes(4)}, cls=b"mntr", pcs=b"XYZ ")


@pytest.fixture(scope="session")
def cmyk_icc() -> bytes:
    """A CMYK printer profile where only black ink counts: K = 0 is white whatever C, M and Y
    say, full K is black. Pillow's profile-less conversion would make C = 255 cyan instead."""
    white = struct.pack(">HHH", 0xFF00, 0x8000, 0x8000)  # Lab (100, 0, 0) in v2 lut16 encoding
    black = struct.pack(">HHH", 0x0000, 0x8000, 0x8000)  # Lab (0, 0, 0)
    ramp = struct.pack(">HH", 0, 65535)  # identity input/output curve, two entries
    lut = b"mft2\0\0\0\0" + bytes([4, 3, 2, 0])  # 4 in, 3 out, 2 grid points per input
    lut += b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1)) + struct.pack(">HH", 2, 2)
    lut += ramp * 4 + (white + black) * 8 + ramp * 3  # grid: K varies fastest
    return build_icc(b"CMYK", {b"A2B0": lut}, cls=b"prtr", pcs=b"Lab ")
