"""A small PNG codec for what Pillow cannot do losslessly: 16-bit RGB, RGBA and gray+alpha.

Pillow opens 16-bit colour PNGs but hands back 8-bit pixels (it keeps the high byte), and it
cannot write them at all. This module decodes and encodes PNG (bit depth 8 or 16, colour types
gray, gray+alpha, RGB, RGBA, plain or Adam7-interlaced) with numpy and zlib only, so a 16-bit
photo survives a read/write round trip bit for bit.

Unfiltering is the sequential part of PNG decoding: the Sub, Average and Paeth filters predict a
pixel from its left, upper and upper-left neighbours after those are decoded. We decode along
anti-diagonals (all pixels with x + y = d depend only on diagonals d-1 and d-2), so each step is
one vectorised numpy operation over a whole diagonal instead of a Python loop over pixels
(about 1 s of CPU for 12 megapixels). Writing uses the Sub filter only, which needs no loop.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# colour type -> samples per pixel (palette images are left to Pillow)
_SAMPLES = {0: 1, 2: 3, 4: 2, 6: 4}
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}

#: Largest ICC profile read (bytes), the limit Pillow puts on every compressed PNG chunk.
MAX_ICC_PROFILE = 2**20

_BAND = 1024  # rows unfiltered together (bounds the skewed buffers: (W + 1024) x 1024 pixels)

# Adam7 passes: (x start, y start, x step, y step)
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


class PNGError(ValueError):
    """The data is not a PNG this codec can decode (message is one line, without the path)."""


@dataclass(frozen=True)
class PNGHeader:
    """The IHDR fields."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int


@dataclass(frozen=True)
class PNGImage:
    """A decoded PNG: ``pixels`` is (H, W, C) uint8/uint16; a tRNS colour key is only reported."""

    header: PNGHeader
    pixels: np.ndarray
    transparency: tuple[int, ...] | None
    exif: bytes | None
    icc_profile: bytes | None
    frames: int


def read_header(data: bytes) -> PNGHeader:
    """Parse the signature and IHDR of PNG ``data`` (the first 33 bytes are enough)."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file (bad signature)")
    if len(data) < 33:
        raise PNGError("truncated PNG (no complete IHDR chunk)")
    if data[12:16] != b"IHDR":
        raise PNGError("corrupt PNG (the first chunk is not IHDR)")
    width, height, depth, ctype, _comp, _filt, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return PNGHeader(width, height, depth, ctype, interlace)


def decode_png(data: bytes) -> PNGImage:
    """Decode a non-palette PNG of bit depth 8 or 16 into an (H, W, C) array.

    Every complete chunk's CRC is checked; truncated or corrupt data raises ``PNGError``.
    Decompression is bounded: the image data to the size the header implies, the ICC profile to
    ``MAX_ICC_PROFILE`` bytes; text chunks (tEXt, zTXt, iTXt) are not read at all.
    """
    header = read_header(data)
    if header.colour_type not in _SAMPLES or header.bit_depth not in (8, 16):
        raise PNGError(
            f"unsupported PNG layout (colour type {header.colour_type}, {header.bit_depth}-bit)"
        )
    if header.width == 0 or header.height == 0 or header.interlace not in (0, 1):
        raise PNGError("corrupt PNG header")
    idat: list[bytes] = []
    trns = exif = icc = None
    frames = 1
    for kind, body in iter_chunks(data):
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"tRNS":
            trns = struct.unpack(f">{len(body) // 2}H", body[: len(body) // 2 * 2])
        elif kind == b"eXIf":
            exif = body
        elif kind == b"iCCP":
            icc = _icc_profile(body)
        elif kind == b"acTL" and len(body) >= 4:
            frames = struct.unpack(">I", body[:4])[0]
    pixels = _decode_pixels(b"".join(idat), header)
    return PNGImage(header, pixels, trns, exif, icc, frames)


def iter_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, body) of each chunk of PNG ``data`` up to IEND, after checking its CRC.

    A chunk that fails its CRC raises ``PNGError``. A file cut after its image data still
    yields what it has (as with Pillow); a decoder notices missing image data itself.
    """
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise PNGError(f"corrupt PNG (CRC mismatch in the {kind.decode('latin-1')} chunk)")
        if kind == b"IEND":
            return
        yield kind, body
        pos = end


def check_crcs(data: bytes) -> None:
    """Raise ``PNGError`` when a chunk of PNG ``data`` fails its CRC (Pillow skips image data's)."""
    for _chunk in iter_chunks(data):
        pass


def _icc_profile(body: bytes) -> bytes | None:
    """The profile of an iCCP chunk body (name, 0, method, zlib data); None if it is damaged.

    A profile inflating past ``MAX_ICC_PROFILE`` bytes is a ``PNGError``, as Pillow refuses it
    for 8-bit files: a 1 MB file must not inflate into a gigabyte of "profile".
    """
    name_end = body.find(b"\x00")
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(body[name_end + 2 :], MAX_ICC_PROFILE + 1)
    except zlib.error:
        return None
    if len(profile) > MAX_ICC_PROFILE:
        raise PNGError(
            f"PNG ICC profile inflates to over {MAX_ICC_PROFILE // 2**20} MiB "
            "(refused as a decompression bomb)"
        )
    return profile if inflater.eof else None


def encode_png(pixels: np.ndarray, *, icc_profile: bytes | None = None, level: int = 6) -> bytes:
    """Encode an (H, W, C) uint8 or uint16 array (C = 1, 2, 3, 4) as a non-interlaced PNG.

    Every row uses the Sub filter: nearly as small as adaptive filtering on photographs and
    cheap to compute with numpy.
    """
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    if pixels.dtype not in (np.uint8, np.uint16) or channels not in _COLOUR_TYPE:
        raise ValueError(f"cannot encode a {pixels.dtype} array with {channels} channels as PNG")
    depth = 8 if pixels.dtype == np.uint8 else 16
    bpp = channels * depth // 8
    rows = np.ascontiguousarray(pixels.astype(">u2" if depth == 16 else np.uint8))
    raw = rows.view(np.uint8).reshape(height, width * bpp)
    filtered = raw.copy()
    filtered[:, bpp:] -= raw[:, :-bpp]  # Sub filter, modulo 256 by uint8 wrap-around
    scanlines = np.concatenate([np.ones((height, 1), np.uint8), filtered], axis=1)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, _COLOUR_TYPE[channels], 0, 0, 0)
    chunks = [_chunk(b"IHDR", ihdr)]
    if icc_profile:
        chunks.append(_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile)))
    chunks.append(_chunk(b"IDAT", zlib.compress(scanlines.tobytes(), level)))
    chunks.append(_chunk(b"IEND", b""))
    return SIGNATURE + b"".join(chunks)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _decode_pixels(compressed: bytes, header: PNGHeader) -> np.ndarray:
    channels = _SAMPLES[header.colour_type]
    bpp = channels * header.bit_depth // 8
    passes = []
    for x0, y0, dx, dy in _ADAM7 if header.interlace else ((0, 0, 1, 1),):
        pw = max(0, -(-(header.width - x0) // dx))
        ph = max(0, -(-(header.height - y0) // dy))
        if pw and ph:
            passes.append((x0, y0, dx, dy, pw, ph))
    expected = sum(ph * (1 + pw * bpp) for *_, pw, ph in passes)
    try:
        # never inflate more than the header promises (a small file cannot claim gigabytes)
        raw = zlib.decompressobj().decompress(compressed, expected)
    except zlib.error as err:
        raise PNGError(f"corrupt PNG image data ({err})") from None
    if len(raw) < expected:
        raise PNGError("truncated PNG (the image data ends early)")
    out = np.zeros((header.height, header.width, bpp), np.uint8)
    pos = 0
    for x0, y0, dx, dy, pw, ph in passes:
        size = ph * (1 + pw * bpp)
        block = np.frombuffer(raw, np.uint8, size, pos).reshape(ph, 1 + pw * bpp)
        pos += size
        out[y0::dy, x0::dx] = _unfilter(block, bpp).reshape(ph, pw, bpp)
    samples = out.reshape(header.height, header.width * bpp)
    if header.bit_depth == 16:
        samples = samples.view(">u2").astype(np.uint16)
    return samples.reshape(header.height, header.width, channels)


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    pa = np.abs(b - c)
    pb = np.abs(a - c)
    pc = np.abs(a + b - 2 * c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _unfilter(block: np.ndarray, bpp: int) -> np.ndarray:
    """Undo the per-row PNG filters of ``block`` (rows = filter byte + filtered bytes)."""
    kinds = block[:, 0]
    if kinds.max(initial=0) > 4:
        raise PNGError("corrupt PNG image data (unknown row filter)")
    filtered = block[:, 1:]
    if not kinds.any():
        return filtered.copy()
    height = filtered.shape[0]
    width = filtered.shape[1] // bpp
    pixels = filtered.reshape(height, width, bpp)
    result = np.empty_like(pixels)
    above = np.zeros((width, bpp), np.uint8)
    for start in range(0, height, _BAND):  # bands of rows keep the skewed buffers small
        stop = min(height, start + _BAND)
        result[start:stop] = _unfilter_band(pixels[start:stop], kinds[start:stop], above)
        above = result[stop - 1]
    return result.reshape(height, width * bpp)


def _unfilter_band(pixels: np.ndarray, kinds: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Unfilter (h, W, bpp) filtered pixels whose decoded row above is ``above`` (W, bpp)."""
    height, width, bpp = pixels.shape
    # Skewed layouts: diagonal d = x + y, row y. skew[d, y] holds the filtered pixel (y, d - y);
    # done[d + 2, y + 1] the decoded one. Row 0 of done is the row above the band, and zeros
    # stand for neighbours left of the image.
    diagonals = width + height - 1
    skew = np.zeros((diagonals, height, bpp), np.uint8)
    done = np.zeros((diagonals + 2, height + 1, bpp), np.uint8)
    done[1 : width + 1, 0] = above
    for y in range(height):
        skew[y : y + width, y] = pixels[y]
    kinds16 = kinds.astype(np.int16)[:, None]
    for d in range(diagonals):
        y0, y1 = max(0, d - width + 1), min(height - 1, d) + 1
        a = done[d + 1, y0 + 1 : y1 + 1].astype(np.int16)  # left: (y, x - 1)
        b = done[d + 1, y0:y1].astype(np.int16)  # up: (y - 1, x)
        c = done[d, y0:y1].astype(np.int16)  # up-left: (y - 1, x - 1)
        kind = kinds16[y0:y1]
        pred = np.where(
            kind == 4,
            _paeth(a, b, c),
            np.where(kind == 3, (a + b) >> 1, np.where(kind == 2, b, np.where(kind == 1, a, 0))),
        )
        done[d + 2, y0 + 1 : y1 + 1] = (skew[d, y0:y1] + pred) & 0xFF
    result = np.empty_like(pixels)
    for y in range(height):
        result[y] = done[y + 2 : y + 2 + width, y + 1]
    return result
