"""The numpy PNG codec against an independent reference encoder and against Pillow."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import skimage.data
from PIL import Image

from restorekit.io import png as png_module
from restorekit.io.png import PNGError, decode_png, encode_png, read_header

ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filter_row(kind: int, row: list[int], prev: list[int], bpp: int) -> list[int]:
    """Textbook PNG filtering, one byte at a time (the spec's pseudo-code)."""
    out = []
    for i, value in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out.append((value - pred) % 256)
    return out


def reference_png(pixels: np.ndarray, *, interlace: bool = False, extra: bytes = b"") -> bytes:
    """Encode (H, W, C) uint8/uint16 with row filters cycling 0-4 (and optionally Adam7)."""
    height, width, channels = pixels.shape
    depth = 16 if pixels.dtype == np.uint16 else 8
    bpp = channels * depth // 8
    stream = bytearray()
    counter = 0
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prev = [0] * (sub.shape[1] * bpp)
        for row_pixels in sub:
            row = list(row_pixels.astype(">u2" if depth == 16 else np.uint8).tobytes())
            kind = counter % 5
            counter += 1
            stream.append(kind)
            stream.extend(_filter_row(kind, row, prev, bpp))
            prev = row
    ihdr = struct.pack(
        ">IIBBBBB", width, height, depth, COLOUR_TYPE[channels], 0, 0, int(interlace)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + extra
        + _chunk(b"IDAT", zlib.compress(bytes(stream)))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("interlace", [False, True])
def test_decode_matches_reference_encoder(channels: int, dtype: type, interlace: bool) -> None:
    rng = np.random.default_rng(channels)
    top = np.iinfo(dtype).max
    pixels = rng.integers(0, top, size=(9, 7, channels), endpoint=True).astype(dtype)
    decoded = decode_png(reference_png(pixels, interlace=interlace))
    assert decoded.pixels.dtype == dtype
    np.testing.assert_array_equal(decoded.pixels, pixels)


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (2, 3)])
def test_decode_tiny_interlaced_images_with_empty_passes(shape: tuple[int, int]) -> None:
    pixels = np.arange(np.prod(shape) * 3, dtype=np.uint16).reshape(*shape, 3) * 1021
    np.testing.assert_array_equal(decode_png(reference_png(pixels, interlace=True)).pixels, pixels)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_decode_matches_pillow_on_a_photo(mode: str) -> None:
    """Pillow chooses filters adaptively per row, so a photo exercises all of them."""
    photo = Image.fromarray(skimage.data.astronaut()[100:228, 150:278]).convert(mode)
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    expected = np.asarray(photo)
    expected = expected[:, :, None] if expected.ndim == 2 else expected
    np.testing.assert_array_equal(decode_png(buffer.getvalue()).pixels, expected)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_encode_decode_round_trip(channels: int, dtype: type) -> None:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, np.iinfo(dtype).max, size=(6, 11, channels), endpoint=True)
    pixels = pixels.astype(dtype)
    data = encode_png(pixels, icc_profile=b"fake icc")
    decoded = decode_png(data)
    np.testing.assert_array_equal(decoded.pixels, pixels)
    assert decoded.icc_profile == b"fake icc"
    header = read_header(data)
    assert (header.width, header.height, header.bit_depth) == (11, 6, np.dtype(dtype).itemsize * 8)


def test_pillow_reads_what_we_encode() -> None:
    gray = (np.arange(20, dtype=np.uint16).reshape(4, 5) * 3277)[:, :, None]
    with Image.open(io.BytesIO(encode_png(gray))) as im:
        assert im.mode == "I;16"
        np.testing.assert_array_equal(np.asarray(im), gray[:, :, 0])
    rgb = np.random.default_rng(1).integers(0, 65535, (4, 5, 3), endpoint=True).astype(np.uint16)
    with Image.open(io.BytesIO(encode_png(rgb))) as im:
        # Pillow keeps the high byte of 16-bit colour PNGs: the reason this codec exists
        np.testing.assert_array_equal(np.asarray(im), (rgb >> 8).astype(np.uint8))


def test_transparency_exif_and_apng_frames_are_reported() -> None:
    pixels = np.zeros((2, 2, 3), np.uint16)
    extra = (
        _chunk(b"tRNS", struct.pack(">3H", 1, 2, 3))
        + _chunk(b"eXIf", b"MM\x00*exif")
        + _chunk(b"acTL", struct.pack(">II", 3, 0))
    )
    decoded = decode_png(reference_png(pixels, extra=extra))
    assert decoded.transparency == (1, 2, 3)
    assert decoded.exif == b"MM\x00*exif"
    assert decoded.frames == 3


def test_corrupt_and_truncated_data_raise_png_error() -> None:
    data = reference_png(np.arange(48, dtype=np.uint16).reshape(4, 4, 3))
    with pytest.raises(PNGError, match="truncated"):
        decode_png(data[: len(data) // 2])
    # a cut after the image data (inside IEND) loses nothing, as in Pillow
    assert decode_png(data[:-6]).pixels.shape == (4, 4, 3)
    with pytest.raises(PNGError, match="truncated"):
        decode_png(data[:20])
    corrupt = bytearray(data)
    corrupt[45] ^= 0xFF  # inside the IDAT body
    with pytest.raises(PNGError, match="CRC"):
        decode_png(bytes(corrupt))
    with pytest.raises(PNGError, match="signature"):
        decode_png(b"GIF89a" + data[6:])


def test_unknown_row_filter_is_an_error() -> None:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 16, 2, 0, 0, 0)
    body = zlib.compress(bytes([9, 0, 0, 0, 0, 0, 0]))
    data = (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
    )
    with pytest.raises(PNGError, match="filter"):
        decode_png(data)


@pytest.mark.parametrize("interlace", [False, True])
def test_rows_decoded_in_several_bands(monkeypatch: pytest.MonkeyPatch, interlace: bool) -> None:
    """Large images are unfiltered in bands of rows; each band continues from the one above."""
    monkeypatch.setattr(png_module, "_BAND", 3)
    pixels = (
        np.random.default_rng(5).integers(0, 65535, (10, 6, 3), endpoint=True).astype(np.uint16)
    )
    np.testing.assert_array_equal(
        decode_png(reference_png(pixels, interlace=interlace)).pixels, pixels
    )
