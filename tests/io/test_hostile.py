"""Issue #20, reader half: ICC profiles, CMYK, float and 4-sample TIFFs, PNG CRCs and bombs."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from restorekit.errors import RestoreKitError
from restorekit.io import read_image, write_image
from restorekit.io.info import describe_image
from restorekit.io.png import MAX_ICC_PROFILE, encode_png


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _with_chunk(png_data: bytes, chunk: bytes) -> bytes:
    """Insert a chunk right after IHDR (signature 8 + IHDR 25 bytes)."""
    return png_data[:33] + chunk + png_data[33:]


def _icc_of(path: Path) -> bytes | None:
    with Image.open(path) as im:
        return im.info.get("icc_profile")


# --------------------------------------------------------------------------- ICC profiles


def test_cmyk_jpeg_is_converted_through_its_cmyk_profile(tmp_path: Path, cmyk_icc: bytes) -> None:
    ink = np.zeros((8, 16, 4), np.uint8)
    ink[:, :8, 0] = 255  # cyan only: white for this profile, cyan without it
    ink[:, 8:, 3] = 255  # black ink: black
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(ink, "CMYK").save(path, quality=100, icc_profile=cmyk_icc)
    image, meta = read_image(path)
    assert meta.source_mode == "CMYK" and meta.icc_profile is None
    np.testing.assert_allclose(image[:, :, :6], 1.0, atol=3 / 255)
    np.testing.assert_allclose(image[:, :, 10:], 0.0, atol=3 / 255)
    write_image(tmp_path / "out.jpg", image, meta)
    assert _icc_of(tmp_path / "out.jpg") is None


def test_cmyk_jpeg_without_profile_uses_the_plain_conversion(tmp_path: Path) -> None:
    Image.new("CMYK", (4, 4), (255, 0, 0, 0)).save(tmp_path / "c.jpg", quality=100)
    image, meta = read_image(tmp_path / "c.jpg")
    assert meta.icc_profile is None
    np.testing.assert_allclose(image[:, 0, 0], [0, 1, 1], atol=3 / 255)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif"])
def test_profile_of_another_colour_space_is_dropped(
    tmp_path: Path, ext: str, cmyk_icc: bytes, gray_icc: bytes
) -> None:
    rgb = np.full((4, 4, 3), 90, np.uint8)
    for name, icc in (("cmyk", cmyk_icc), ("gray", gray_icc), ("junk", b"not a profile" * 20)):
        path = tmp_path / f"{name}{ext}"
        Image.fromarray(rgb).save(path, icc_profile=icc)
        image, meta = read_image(path)
        assert meta.icc_profile is None, name
        np.testing.assert_allclose(image, 90 / 255, atol=2 / 255)
        write_image(tmp_path / f"out_{name}{ext}", image, meta)
        assert _icc_of(tmp_path / f"out_{name}{ext}") is None


def test_writer_keeps_only_a_profile_that_fits_the_written_layout(
    tmp_path: Path, srgb_icc: bytes, gray_icc: bytes
) -> None:
    rgb = np.full((3, 4, 4), 0.5, np.float32)
    Image.fromarray(np.full((4, 4), 128, np.uint8)).save(tmp_path / "g.png", icc_profile=gray_icc)
    _, gray_meta = read_image(tmp_path / "g.png")
    assert gray_meta.icc_profile == gray_icc
    write_image(tmp_path / "g_out.png", rgb, gray_meta)  # written gray: profile kept
    assert _icc_of(tmp_path / "g_out.png") == gray_icc
    Image.fromarray(np.full((4, 4, 3), 128, np.uint8)).save(
        tmp_path / "c.png", icc_profile=srgb_icc
    )
    _, rgb_meta = read_image(tmp_path / "c.png")
    write_image(tmp_path / "c_out.tif", rgb[:1], rgb_meta)  # gray array, RGB file: kept
    assert read_image(tmp_path / "c_out.tif")[1].icc_profile == srgb_icc


# --------------------------------------------------------------------------- TIFF


def test_float32_rgb_tiff_is_read_clipped_and_written_back_as_float(tmp_path: Path) -> None:
    values = np.array([[[-0.5, 0.25, 1.5], [0.1, 0.2, 0.3]]], np.float32)  # (1, 2, 3)
    tifffile.imwrite(tmp_path / "f.tif", values, photometric="rgb")
    image, meta = read_image(tmp_path / "f.tif")
    clipped = np.clip(values, 0, 1).transpose(2, 0, 1)
    np.testing.assert_array_equal(image, clipped)
    assert (meta.sample_format, meta.bit_depth, meta.source_mode) == ("float", 16, "RGB;F32")
    assert describe_image(tmp_path / "f.tif").endswith(
        "TIFF, 2x1, RGB, 32-bit float, no EXIF rotation"
    )
    write_image(tmp_path / "back.tif", image, meta)
    back = tifffile.imread(tmp_path / "back.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, clipped.transpose(1, 2, 0))
    write_image(tmp_path / "back.png", image, meta)
    again, png_meta = read_image(tmp_path / "back.png")
    assert png_meta.bit_depth == 16 and np.abs(again - clipped).max() <= 0.5 / 65535 + 1e-7


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_float_gray_tiff_with_alpha(tmp_path: Path, dtype: type) -> None:
    pixels = np.stack([np.full((3, 4), 0.5), np.full((3, 4), 0.25)], axis=-1).astype(dtype)
    tifffile.imwrite(tmp_path / "f.tif", pixels, photometric="minisblack", extrasamples=[2])
    image, meta = read_image(tmp_path / "f.tif")
    assert meta.gray and meta.alpha is not None and meta.alpha.dtype == np.float32
    np.testing.assert_allclose(image, 0.5)
    np.testing.assert_allclose(meta.alpha, 0.25)
    write_image(tmp_path / "back.tif", image, meta)
    back = tifffile.imread(tmp_path / "back.tif")
    assert back.dtype == np.float32 and back.shape == (3, 4, 2)
    np.testing.assert_allclose(back[..., 1], 0.25)
    write_image(tmp_path / "back.png", image, meta)
    assert read_image(tmp_path / "back.png")[1].alpha[0, 0] == round(0.25 * 65535)


def test_float_tiff_with_premultiplied_alpha_is_unpremultiplied(tmp_path: Path) -> None:
    pixels = np.array([[[0.2, 0.4, 0.1, 0.5], [0.3, 0.3, 0.3, 0.0]]], np.float32)
    tifffile.imwrite(tmp_path / "f.tif", pixels, photometric="rgb", extrasamples=[1])
    image, meta = read_image(tmp_path / "f.tif")
    np.testing.assert_allclose(image[:, 0, 0], [0.4, 0.8, 0.2], rtol=1e-6)
    np.testing.assert_array_equal(image[:, 0, 1], 0)
    np.testing.assert_array_equal(meta.alpha, [[0.5, 0.0]])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_fourth_tiff_sample_with_unspecified_meaning_is_kept_as_alpha(
    tmp_path: Path, dtype: type
) -> None:
    top = np.iinfo(dtype).max
    pixels = np.random.default_rng(1).integers(0, top, (5, 6, 4), endpoint=True).astype(dtype)
    tifffile.imwrite(tmp_path / "x.tif", pixels, photometric="rgb", extrasamples=[0])
    image, meta = read_image(tmp_path / "x.tif")
    np.testing.assert_array_equal(meta.alpha, pixels[:, :, 3])
    np.testing.assert_array_equal(np.rint(image * top).transpose(1, 2, 0), pixels[:, :, :3])
    write_image(tmp_path / "back.tif", image, meta)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "back.tif"), pixels)


def test_huge_declared_tiff_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    tifffile.imwrite(path, np.zeros((4, 4), np.uint8))
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        offsets = [tags[name].valueoffset for name in ("ImageWidth", "ImageLength")]
        types = [tags[name].dtype for name in ("ImageWidth", "ImageLength")]
    data = bytearray(path.read_bytes())
    for offset, kind in zip(offsets, types, strict=True):
        size = 4 if kind == 4 else 2
        data[offset : offset + size] = (60000).to_bytes(size, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(RestoreKitError, match=r"too large to read safely \(60000x60000"):
        read_image(path)


# --------------------------------------------------------------------------- PNG


@pytest.mark.parametrize(("depth", "palette"), [(8, False), (16, False), (8, True)])
def test_bad_idat_crc_is_refused_at_any_depth(tmp_path: Path, depth: int, palette: bool) -> None:
    if palette:
        buffer = io.BytesIO()
        Image.new("P", (5, 4), 3).save(buffer, format="PNG")
        data = buffer.getvalue()
    else:
        data = encode_png(np.zeros((4, 5, 3), np.uint8 if depth == 8 else np.uint16))
    at = data.index(b"IDAT") + 4 + 1
    damaged = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    (tmp_path / "bad.png").write_bytes(damaged)
    with pytest.raises(RestoreKitError) as err:
        read_image(tmp_path / "bad.png")
    assert str(err.value) == f"{tmp_path / 'bad.png'}: corrupt PNG (CRC mismatch in the IDAT chunk)"


def _iccp_bomb(size: int) -> bytes:
    """An iCCP body whose profile inflates to ``size`` zero bytes, compressed in pieces."""
    packer = zlib.compressobj(9)
    piece = bytes(2**20)
    parts = [
        packer.compress(piece[: min(len(piece), size - done)]) for done in range(0, size, 2**20)
    ]
    return b"bomb\0\0" + b"".join(parts) + packer.flush()


@pytest.mark.parametrize("depth", [8, 16])
def test_oversized_icc_profile_is_refused_at_any_depth(tmp_path: Path, depth: int) -> None:
    pixels = np.zeros((4, 4, 3), np.uint8 if depth == 8 else np.uint16)
    data = _with_chunk(encode_png(pixels), _chunk(b"iCCP", _iccp_bomb(64 * MAX_ICC_PROFILE)))
    (tmp_path / "bomb.png").write_bytes(data)
    with pytest.raises(RestoreKitError, match="inflates to over 1 MiB") as err:
        read_image(tmp_path / "bomb.png")
    assert "decompression bomb" in str(err.value) and "\n" not in str(err.value)


def test_sixteen_bit_png_keeps_a_valid_profile_and_ignores_damaged_ones(
    tmp_path: Path, srgb_icc: bytes
) -> None:
    pixels = np.zeros((4, 4, 3), np.uint16)
    good = b"sRGB\0\0" + zlib.compress(srgb_icc)
    (tmp_path / "ok.png").write_bytes(_with_chunk(encode_png(pixels), _chunk(b"iCCP", good)))
    assert read_image(tmp_path / "ok.png")[1].icc_profile == srgb_icc
    cut = good[:-10]
    (tmp_path / "cut.png").write_bytes(_with_chunk(encode_png(pixels), _chunk(b"iCCP", cut)))
    assert read_image(tmp_path / "cut.png")[1].icc_profile is None


# --------------------------------------------------------------------------- notes


def test_alpha_dropped_for_jpeg_is_one_note_line_without_source(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    Image.new("RGBA", (4, 4), (10, 20, 30, 40)).save(src)
    code = (
        "import sys; from restorekit.io import read_image, write_image; "
        "image, meta = read_image(sys.argv[1]); write_image(sys.argv[2], image, meta)"
    )
    out = tmp_path / "x.jpg"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(src), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stderr == f"{out}: JPEG cannot hold alpha; it was dropped\n"
    assert out.is_file()
