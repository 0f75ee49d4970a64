"""read_image / write_image: formats, bit depths, alpha, EXIF orientation, errors, atomicity."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image, ImageOps

from restorekit.errors import RestoreKitError
from restorekit.io import ImageMeta, read_image, write_image
from restorekit.io.png import encode_png

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def _pixels(meta_image: tuple[np.ndarray, ImageMeta]) -> np.ndarray:
    """Back to integer (H, W, C) pixels, alpha appended, for exact comparisons."""
    image, meta = meta_image
    top = 255 if meta.bit_depth == 8 else 65535
    out = np.rint(image * top).astype(np.int64).transpose(1, 2, 0)
    if meta.alpha is not None:
        out = np.concatenate([out, meta.alpha[:, :, None].astype(np.int64)], axis=2)
    return out


def _random(shape: tuple[int, ...], dtype: type, seed: int = 0) -> np.ndarray:
    top = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, top, shape, endpoint=True).astype(dtype)


def _meta(**kwargs: object) -> ImageMeta:
    base = {"path": Path("x.png"), "format": "PNG", "bit_depth": 8, "gray": False}
    return ImageMeta(**{**base, **kwargs})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_lossless_round_trip_keeps_every_value(
    tmp_path: Path, ext: str, depth: int, channels: int
) -> None:
    dtype = np.uint8 if depth == 8 else np.uint16
    pixels = _random((5, 7, channels), dtype, seed=channels)
    src = tmp_path / f"src{ext}"
    if ext == ".png":
        src.write_bytes(encode_png(pixels))
    else:
        tifffile.imwrite(
            src,
            pixels if channels > 1 else pixels[:, :, 0],
            photometric="rgb" if channels >= 3 else "minisblack",
            extrasamples=["unassalpha"] if channels in (2, 4) else None,
        )
    image, meta = read_image(src)
    assert image.dtype == np.float32 and image.shape == (1 if channels <= 2 else 3, 5, 7)
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert (meta.bit_depth, meta.gray, meta.has_alpha) == (depth, channels <= 2, channels in (2, 4))
    assert (meta.width, meta.height) == (7, 5)
    if meta.alpha is not None:
        assert meta.alpha.dtype == dtype
    np.testing.assert_array_equal(_pixels((image, meta)), pixels)
    out = tmp_path / f"out{ext}"
    write_image(out, image, meta)
    np.testing.assert_array_equal(_pixels(read_image(out)), pixels)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_all_16_bit_values_survive_float32(tmp_path: Path, ext: str) -> None:
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    write_image(tmp_path / f"a{ext}", values[None] / np.float32(65535), bit_depth=16)
    image, meta = read_image(tmp_path / f"a{ext}")
    assert meta.bit_depth == 16 and meta.gray
    np.testing.assert_array_equal(np.rint(image[0] * 65535).astype(np.uint16), values)


def test_sixteen_bit_rgba_png_fixture_keeps_alpha() -> None:
    image, meta = read_image(FIXTURES / "rgba16.png")
    y, x, c = np.meshgrid(np.arange(4), np.arange(5), np.arange(4), indexing="ij")
    expected = ((y * 5 + x) * 3119 + c * 16411 + 7).astype(np.uint16)
    assert (meta.format, meta.bit_depth, meta.gray, meta.source_mode) == (
        "PNG",
        16,
        False,
        "RGBA;16",
    )
    assert meta.alpha is not None and meta.alpha.dtype == np.uint16
    np.testing.assert_array_equal(meta.alpha, expected[:, :, 3])
    np.testing.assert_array_equal(_pixels((image, meta)), expected)


def test_one_pixel_image_reads(tmp_path: Path) -> None:
    image, meta = read_image(FIXTURES / "one_pixel.png")
    assert image.shape == (3, 1, 1) and (meta.width, meta.height) == (1, 1)
    np.testing.assert_allclose(image[:, 0, 0] * 255, [200, 100, 50], atol=1e-4)
    write_image(tmp_path / "one.png", image, meta)
    np.testing.assert_array_equal(read_image(tmp_path / "one.png")[0], image)


def test_pillow_formats_palette_and_transparency(tmp_path: Path) -> None:
    rgb = _random((6, 5, 3), np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.bmp")
    Image.fromarray(rgb).save(tmp_path / "a.webp", lossless=True)
    for name in ("a.bmp", "a.webp"):
        image, meta = read_image(tmp_path / name)
        np.testing.assert_array_equal(_pixels((image, meta)), rgb)
    assert read_image(tmp_path / "a.webp")[1].format == "WEBP"

    palette = Image.fromarray(rgb).quantize(8)
    palette.save(tmp_path / "p.png")
    image, meta = read_image(tmp_path / "p.png")
    assert (meta.source_mode, meta.gray, meta.has_alpha) == ("P", False, False)
    np.testing.assert_array_equal(_pixels((image, meta)), np.asarray(palette.convert("RGB")))
    palette.save(tmp_path / "pt.png", transparency=0)
    image, meta = read_image(tmp_path / "pt.png")
    assert meta.alpha is not None
    np.testing.assert_array_equal(meta.alpha, np.where(np.asarray(palette) == 0, 0, 255))

    gray = _random((4, 6), np.uint8)
    gray[0, 0] = 17
    Image.fromarray(gray).save(tmp_path / "lt.png", transparency=17)
    _, meta = read_image(tmp_path / "lt.png")
    assert meta.gray and meta.alpha is not None and meta.alpha[0, 0] == 0

    Image.fromarray(gray > 128).save(tmp_path / "bilevel.png")
    image, meta = read_image(tmp_path / "bilevel.png")
    assert meta.gray and set(np.unique(image)) <= {0.0, 1.0}


def test_sixteen_bit_gray_png_through_pillow(tmp_path: Path) -> None:
    gray = _random((5, 4), np.uint16)
    (tmp_path / "g.png").write_bytes(encode_png(gray[:, :, None]))
    image, meta = read_image(tmp_path / "g.png")
    assert (meta.bit_depth, meta.gray, meta.source_mode) == (16, True, "I;16")
    np.testing.assert_array_equal(_pixels((image, meta))[:, :, 0], gray)


def _with_exif_png(pixels: np.ndarray, orientation: int) -> Image.Image:
    exif = Image.Exif()
    exif[0x0112] = orientation
    im = Image.fromarray(pixels)
    im.info["exif"] = exif.tobytes()
    return im


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    rgba = _random((3, 5, 4), np.uint8, seed=orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgba).save(tmp_path / "o.png", exif=exif.tobytes())
    image, meta = read_image(tmp_path / "o.png")
    with Image.open(tmp_path / "o.png") as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
    assert meta.orientation == orientation
    assert (meta.height, meta.width) == expected.shape[:2]
    np.testing.assert_array_equal(_pixels((image, meta)), expected)
    write_image(tmp_path / "back.png", image, meta)
    with Image.open(tmp_path / "back.png") as im:
        assert im.getexif().get(0x0112) is None
        np.testing.assert_array_equal(np.asarray(im), expected)


def test_exif_orientation_in_jpeg_tiff_and_16_bit_png(tmp_path: Path) -> None:
    image, meta = read_image(FIXTURES / "orientation6.jpg")
    assert meta.orientation == 6 and image.shape == (3, 8, 6)
    pixels = _random((2, 3, 3), np.uint16)
    tifffile.imwrite(
        tmp_path / "o.tif", pixels, photometric="rgb", extratags=[(274, 3, 1, 8, True)]
    )
    image, meta = read_image(tmp_path / "o.tif")
    assert meta.orientation == 8
    np.testing.assert_array_equal(_pixels((image, meta)), np.rot90(pixels))
    exif = Image.Exif()
    exif[0x0112] = 3
    body = exif.tobytes()[6:]  # PNG eXIf holds the TIFF structure without the "Exif\0\0" prefix
    chunk = (
        struct.pack(">I", len(body))
        + b"eXIf"
        + body
        + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    )
    data = encode_png(pixels)
    (tmp_path / "o.png").write_bytes(data[:33] + chunk + data[33:])
    image, meta = read_image(tmp_path / "o.png")
    assert meta.orientation == 3
    np.testing.assert_array_equal(_pixels((image, meta)), pixels[::-1, ::-1])


def test_tiff_variants(tmp_path: Path) -> None:
    gray = _random((4, 5), np.uint8)
    tifffile.imwrite(tmp_path / "white.tif", gray, photometric="miniswhite")
    image, _ = read_image(tmp_path / "white.tif")
    np.testing.assert_array_equal(_pixels((image, _))[:, :, 0], 255 - gray)

    rgb = np.full((2, 2, 3), 100, np.uint8)
    alpha = np.full((2, 2, 1), 128, np.uint8)
    tifffile.imwrite(
        tmp_path / "assoc.tif",
        np.concatenate([rgb, alpha], 2),
        photometric="rgb",
        extrasamples=["assocalpha"],
    )
    image, meta = read_image(tmp_path / "assoc.tif")
    np.testing.assert_array_equal(_pixels((image, meta))[0, 0], [199, 199, 199, 128])

    Image.fromarray(_random((6, 5, 3), np.uint8)).save(tmp_path / "lzw.tif", compression="tiff_lzw")
    image, meta = read_image(tmp_path / "lzw.tif")  # tifffile lacks LZW here: Pillow decodes it
    assert (meta.format, image.shape) == ("TIFF", (3, 6, 5))


def test_sixteen_bit_colour_lzw_tiff_names_the_missing_codec(tmp_path: Path) -> None:
    path = tmp_path / "lzw16.tif"
    tifffile.imwrite(path, _random((4, 4, 3), np.uint16), photometric="rgb")
    with tifffile.TiffFile(path) as tif:
        offset = tif.pages[0].tags["Compression"].offset
    data = bytearray(path.read_bytes())
    data[offset + 8 : offset + 10] = (5).to_bytes(2, "little")  # claim LZW compression
    path.write_bytes(bytes(data))
    try:
        import imagecodecs  # noqa: F401
    except ImportError:
        with pytest.raises(RestoreKitError, match="imagecodecs"):
            read_image(path)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.png", "no such file"),
        ("empty.png", r"empty file \(0 bytes\)"),
        ("text.png", "not an image: the file holds text, not PNG data"),
        ("truncated.png", "truncated or corrupt PNG data"),
        ("four_frames.tif", "TIFF has 4 frames; only single-frame images are supported"),
    ],
)
def test_bad_files_raise_one_line_errors_naming_the_file(name: str, message: str) -> None:
    with pytest.raises(RestoreKitError, match=message) as info:
        read_image(FIXTURES / name)
    text = str(info.value)
    assert text.startswith(str(FIXTURES / name) + ": ") and "\n" not in text
    assert info.value.path == str(FIXTURES / name)


def test_more_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="is a folder"):
        read_image(tmp_path)
    Image.new("RGB", (3, 3)).save(tmp_path / "a.gif")
    with pytest.raises(RestoreKitError, match="unsupported image format GIF"):
        read_image(tmp_path / "a.gif")
    (tmp_path / "bin.jpg").write_bytes(bytes(range(256)))
    with pytest.raises(RestoreKitError, match="unrecognised content, not JPEG data"):
        read_image(tmp_path / "bin.jpg")
    tifffile.imwrite(tmp_path / "f.tif", np.full((3, 3), np.nan, np.float32))
    with pytest.raises(RestoreKitError, match="floating-point TIFF holds NaN or infinite"):
        read_image(tmp_path / "f.tif")
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])
    with pytest.raises(RestoreKitError, match="PNG has 2 frames"):
        read_image(tmp_path / "anim.png")
    jpeg = io.BytesIO()
    Image.fromarray(_random((64, 64, 3), np.uint8)).save(jpeg, format="JPEG")
    (tmp_path / "cut.jpg").write_bytes(jpeg.getvalue()[:600])
    with pytest.raises(RestoreKitError, match="truncated or corrupt JPEG"):
        read_image(tmp_path / "cut.jpg")


# --------------------------------------------------------------------------- writing


def test_write_follows_meta_gray_alpha_and_depth(tmp_path: Path) -> None:
    rgb = np.random.default_rng(3).random((3, 4, 5), dtype=np.float32)
    alpha8 = _random((4, 5), np.uint8)
    write_image(tmp_path / "g.png", rgb, _meta(gray=True, bit_depth=16, alpha=alpha8))
    image, meta = read_image(tmp_path / "g.png")
    assert (meta.gray, meta.bit_depth) == (True, 16)
    luma = np.tensordot([0.299, 0.587, 0.114], rgb, axes=1)
    np.testing.assert_allclose(image[0], luma, atol=1 / 65535)
    np.testing.assert_array_equal(meta.alpha, alpha8.astype(np.uint16) * 257)

    write_image(tmp_path / "c.tif", rgb[:1], _meta(gray=False))
    image, meta = read_image(tmp_path / "c.tif")
    assert not meta.gray and np.array_equal(image[0], image[2])

    write_image(tmp_path / "b8.png", torch.from_numpy(rgb), _meta(bit_depth=16), bit_depth=8)
    image, meta = read_image(tmp_path / "b8.png")
    assert meta.bit_depth == 8
    np.testing.assert_allclose(image, rgb, atol=0.5 / 255 + 1e-6)


def test_write_clips_rounds_and_accepts_torch_and_2d(tmp_path: Path) -> None:
    values = np.array([[-0.5, 0.0, 0.5 / 255, 1.5 / 255, 1.0, 2.0]], np.float32)
    write_image(tmp_path / "v.png", torch.from_numpy(values)[None, None])
    image, meta = read_image(tmp_path / "v.png")
    assert meta.gray and meta.bit_depth == 8
    np.testing.assert_array_equal(np.rint(image[0] * 255), [[0, 0, 0, 2, 255, 255]])
    write_image(tmp_path / "v2.png", values)
    assert read_image(tmp_path / "v2.png")[0].shape == (1, 1, 6)


def test_write_jpeg_webp_bmp(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    y, x = np.mgrid[0:32, 0:32] / 31.0
    smooth = np.stack([x, y, (x + y) / 2]).astype(np.float32)
    alpha = _random((32, 32), np.uint8)
    write_image(tmp_path / "a.jpg", smooth, _meta(alpha=alpha), quality=95)
    assert caplog.messages == [f"{tmp_path / 'a.jpg'}: JPEG cannot hold alpha; it was dropped"]
    image, meta = read_image(tmp_path / "a.jpg")
    assert meta.format == "JPEG" and meta.alpha is None
    assert np.abs(image - smooth).max() < 0.03
    write_image(tmp_path / "a.webp", smooth, _meta(alpha=alpha), quality=100)
    image, meta = read_image(tmp_path / "a.webp")
    np.testing.assert_array_equal(meta.alpha, alpha)
    np.testing.assert_allclose(image, smooth, atol=0.5 / 255 + 1e-6)
    write_image(tmp_path / "a.bmp", smooth[:1], _meta(gray=True, bit_depth=16, alpha=alpha))
    assert caplog.messages[-1] == f"{tmp_path / 'a.bmp'}: BMP cannot hold alpha; it was dropped"
    image, meta = read_image(tmp_path / "a.bmp")
    assert meta.gray and meta.bit_depth == 8
    np.testing.assert_allclose(image, smooth[:1], atol=0.5 / 255 + 1e-6)


def test_write_errors(tmp_path: Path) -> None:
    image = np.zeros((3, 4, 4), np.float32)
    with pytest.raises(RestoreKitError, match=r"cannot write '\.gif' files"):
        write_image(tmp_path / "a.gif", image)
    with pytest.raises(RestoreKitError, match="JPEG holds 8-bit images only"):
        write_image(tmp_path / "a.jpg", image, bit_depth=16)
    with pytest.raises(RestoreKitError, match="quality"):
        write_image(tmp_path / "a.jpg", image, quality=0)
    with pytest.raises(RestoreKitError, match="output folder does not exist"):
        write_image(tmp_path / "nope" / "a.png", image)
    with pytest.raises(RestoreKitError, match="alpha is 3x2 but the image is 4x4"):
        write_image(tmp_path / "a.png", image, _meta(alpha=np.zeros((2, 3), np.uint8)))
    with pytest.raises(ValueError, match="C = 1 or 3"):
        write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old content")
    nan = np.full((3, 4, 4), np.nan, np.float32)
    with pytest.raises(RestoreKitError, match="NaN"):
        write_image(target, nan)
    assert target.read_bytes() == b"old content"

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(RestoreKitError, match="No space left on device"):
        write_image(target, np.zeros((3, 4, 4), np.float32))
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def _encoded_samples(tmp_path: Path) -> dict[str, bytes]:
    rgb = _random((16, 12, 3), np.uint8)
    out = {}
    for fmt in ("PNG", "JPEG", "BMP", "WEBP", "TIFF"):
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format=fmt)
        out[fmt] = buffer.getvalue()
    out["PNG16"] = encode_png(_random((16, 12, 4), np.uint16))
    tifffile.imwrite(tmp_path / "t16.tif", _random((16, 12, 3), np.uint16), compression="zlib")
    out["TIFF16"] = (tmp_path / "t16.tif").read_bytes()
    return out


def test_cut_or_scrambled_files_only_ever_raise_restorekit_errors(tmp_path: Path) -> None:
    """Whatever the damage, the caller sees a one-line RestoreKitError, never another exception."""
    for name, data in _encoded_samples(tmp_path).items():
        (tmp_path / "whole.img").write_bytes(data)
        whole = read_image(tmp_path / "whole.img")[0]
        step = max(1, len(data) // 25)
        for cut in sorted({1, 4, 8, 12, 20, 33, 40, *range(50, len(data), step), len(data) - 1}):
            path = tmp_path / f"cut_{name}_{cut}.img"
            path.write_bytes(data[:cut])
            try:
                image, _ = read_image(path)
            except RestoreKitError as err:
                assert "\n" not in str(err), (name, cut)
            else:  # only a cut after the image data may read, and then nothing is lost
                np.testing.assert_array_equal(image, whole, err_msg=f"{name} cut at {cut}")
        scrambled = bytearray(data)
        scrambled[16:] = (bytes(range(256)) * (len(data) // 256 + 1))[: len(data) - 16]
        (tmp_path / f"junk_{name}.img").write_bytes(bytes(scrambled))
        try:
            read_image(tmp_path / f"junk_{name}.img")
        except RestoreKitError as err:
            assert "\n" not in str(err)


@pytest.mark.parametrize(("ext", "depth"), [(".png", 8), (".png", 16), (".tif", 16), (".jpg", 8)])
@pytest.mark.parametrize("gray", [False, True])
def test_icc_profile_is_written_back(
    tmp_path: Path, ext: str, depth: int, gray: bool, srgb_icc: bytes, gray_icc: bytes
) -> None:
    icc = gray_icc if gray else srgb_icc
    meta = _meta(bit_depth=depth, gray=gray, icc_profile=icc)
    write_image(tmp_path / f"a{ext}", np.full((3, 4, 4), 0.5, np.float32), meta)
    assert read_image(tmp_path / f"a{ext}")[1].icc_profile == icc
