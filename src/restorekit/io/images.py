"""Read and write images as float32 CHW arrays in [0, 1], keeping what is needed to write back.

Reading goes by the file's content, not its name. Supported: PNG, JPEG, TIFF, BMP and WebP with
8 or 16 bits per sample, gray, gray + alpha, RGB, RGBA and palette images. Choices:

- Palette images become RGB (RGBA when the palette has transparency); bilevel images gray.
- The EXIF orientation is applied to the pixels (and the alpha), so arrays are upright, and
  ``meta.orientation`` records what was applied; written files carry no orientation tag.
- Alpha never enters the array: it is kept untouched (original dtype, H x W) in ``meta.alpha``
  and written back by ``write_image``.
- Multi-frame files (multi-page TIFF, animated WebP/PNG) are refused with a clear error rather
  than silently reduced to their first frame, which a later write would then drop.
- Any size is read, 1 x 1 included; whether a model or a metric accepts it is their business
  (SSIM, for one, needs 11 x 11).
- Gray stays gray (C = 1): a model that wants RGB repeats the channel itself.
- 16-bit colour PNGs are decoded by ``restorekit.io.png`` because Pillow keeps only 8 bits;
  TIFFs by ``tifffile`` (Pillow as the fallback for compressions tifffile needs the optional
  ``imagecodecs`` package for, when Pillow decodes them without loss).
- Floating-point TIFFs (16, 32 or 64 bit) are read as they are: the samples are taken to be in
  [0, 1] and clipped to it (no rescaling); NaN or infinite samples are refused.
  ``meta.sample_format`` is ``"float"``; written back as TIFF they give a 32-bit float TIFF,
  as PNG a 16-bit one (``meta.bit_depth`` is 16).
- A TIFF's first extra sample is alpha, whatever its ExtraSamples code (associated alpha is
  un-premultiplied; unspecified is taken as unassociated), so a 4th channel is never lost;
  further extra samples are dropped.
- ICC profiles are handled by colour space: a profile that describes the pixels we return
  (RGB profile for RGB, gray profile for gray) is kept in ``meta.icc_profile`` and written back;
  a CMYK image with a CMYK profile is converted through it to sRGB (then no profile is kept);
  any other profile (CMYK without the conversion, Lab, damaged) is dropped.
- Every chunk CRC of a PNG is checked, 8- and 16-bit alike; a mismatch is refused. Compressed
  PNG chunks are inflated with a bound (see ``restorekit.io.png``), and the pixel count may not
  exceed twice ``PIL.Image.MAX_IMAGE_PIXELS`` in any format.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from PIL import Image, ImageCms, UnidentifiedImageError

from restorekit.errors import RestoreKitError
from restorekit.io import png
from restorekit.io.paths import IMAGE_EXTENSIONS, atomic_write_bytes, read_file_bytes

SUPPORTED_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WEBP")
_SUPPORTED_TEXT = "PNG, JPEG, TIFF, BMP or WebP"
_ORIENTATION_TAG = 0x0112
_ICC_SPACES = {1: "GRAY", 3: "RGB "}  # ICC data colour space for the channels we return

_log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ImageMeta:
    """What ``read_image`` found besides the pixels, enough to write the result back alike.

    ``width``/``height`` are after the EXIF orientation was applied (the array's size);
    ``orientation`` is the EXIF value applied (1 = none); ``source_mode`` describes the file's
    own layout (``"RGB"``, ``"RGBA"``, ``"L"``, ``"LA"``, ``"P"``, ``"I;16"``, ``"CMYK"``,
    ``"RGB;F32"``, ...); ``sample_format`` is ``"uint"``, or ``"float"`` for a float TIFF (then
    ``bit_depth`` is 16, the depth it gets as PNG, and ``alpha`` is float32 in [0, 1]).
    """

    path: Path
    format: str
    bit_depth: int
    gray: bool
    alpha: np.ndarray | None = field(default=None, repr=False)
    width: int = 0
    height: int = 0
    orientation: int = 1
    source_mode: str = ""
    icc_profile: bytes | None = field(default=None, repr=False)
    sample_format: str = "uint"

    @property
    def channels(self) -> int:
        """Channels of the array ``read_image`` returned: 1 (gray) or 3 (RGB)."""
        return 1 if self.gray else 3

    @property
    def has_alpha(self) -> bool:
        """True when the file had an alpha channel (kept in ``alpha``)."""
        return self.alpha is not None


@dataclass
class _Decoded:
    pixels: np.ndarray  # (H, W, C) uint8, uint16 or float32 in [0, 1]; C = 1 gray, 2 gray+alpha,
    # 3 RGB, 4 RGBA
    format: str
    source_mode: str
    orientation: int = 1
    icc_profile: bytes | None = None


def read_image(path: str | PathLike[str]) -> tuple[np.ndarray, ImageMeta]:
    """Read an image as float32 (C, H, W) in [0, 1], C = 1 or 3, and its ``ImageMeta``.

    Every problem with the file (missing, empty, not an image, truncated, unsupported layout,
    several frames) raises ``RestoreKitError`` naming the file.
    """
    path = Path(path)
    data = read_file_bytes(path)
    try:
        with warnings.catch_warnings():
            # decoders warn about damaged metadata; a damaged image fails below with one line
            warnings.simplefilter("ignore")
            decoded = _decode(data, path)
    except RestoreKitError:
        raise
    except png.PNGError as err:
        raise RestoreKitError(str(err), path) from None
    except Image.DecompressionBombError as err:
        raise RestoreKitError(f"image too large to read safely ({err})", path) from None
    except UnidentifiedImageError:
        raise RestoreKitError(f"corrupt {_sniff(data)} data (cannot be decoded)", path) from None
    except Exception as err:
        fmt = _sniff(data) or "image"
        if "MAX_TEXT_CHUNK" in str(err):  # Pillow's bound on inflating a PNG chunk
            raise RestoreKitError(
                "a compressed PNG chunk (ICC profile or text) inflates to over 1 MiB "
                "(refused as a decompression bomb)",
                path,
            ) from None
        raise RestoreKitError(f"truncated or corrupt {fmt} data ({_one_line(err)})", path) from None
    pixels = _orient(decoded.pixels, decoded.orientation)
    colour = 1 if pixels.shape[2] <= 2 else 3
    alpha = pixels[:, :, colour].copy() if pixels.shape[2] in (2, 4) else None
    image = np.ascontiguousarray(pixels[:, :, :colour].transpose(2, 0, 1), dtype=np.float32)
    if pixels.dtype != np.float32:
        image /= np.float32(np.iinfo(pixels.dtype).max)
    meta = ImageMeta(
        path=path,
        format=decoded.format,
        bit_depth=8 if pixels.dtype == np.uint8 else 16,
        gray=colour == 1,
        alpha=alpha,
        width=pixels.shape[1],
        height=pixels.shape[0],
        orientation=decoded.orientation,
        source_mode=decoded.source_mode,
        icc_profile=_matching_icc(decoded.icc_profile, colour),
        sample_format="float" if pixels.dtype == np.float32 else "uint",
    )
    return image, meta


def _icc_colour_space(icc: bytes) -> str | None:
    """The data colour space of an ICC profile (``"RGB "``, ``"GRAY"``, ``"CMYK"``, ...), or
    None when LittleCMS cannot read it."""
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _matching_icc(icc: bytes | None, channels: int) -> bytes | None:
    """``icc`` when it describes pixels with ``channels`` colour channels (1 gray, 3 RGB), else
    None: writing a CMYK or Lab profile next to RGB pixels would mislead every viewer."""
    if not icc or _icc_colour_space(icc) != _ICC_SPACES[channels]:
        return None
    return icc


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]


def _sniff(data: bytes) -> str | None:
    """The image format from the first bytes, or None when not recognised."""
    if data.startswith(png.SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if data.startswith(b"BM"):
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _not_an_image(data: bytes, path: Path) -> RestoreKitError:
    try:
        other = Image.open(io.BytesIO(data)).format
    except Exception:
        other = None
    if other:
        return RestoreKitError(
            f"unsupported image format {other} (supported: {_SUPPORTED_TEXT})", path
        )
    head = data[:1024]
    expected = IMAGE_EXTENSIONS.get(path.suffix.lower())
    what = f"{expected} data" if expected else f"{_SUPPORTED_TEXT} data"
    try:
        head.decode("utf-8")
        is_text = all(ch >= 32 or ch in b"\t\n\r\f" for ch in head)
    except UnicodeDecodeError:
        is_text = False
    if is_text:
        return RestoreKitError(f"not an image: the file holds text, not {what}", path)
    return RestoreKitError(f"not an image: unrecognised content, not {what}", path)


def _decode(data: bytes, path: Path) -> _Decoded:
    fmt = _sniff(data)
    if fmt is None:
        raise _not_an_image(data, path)
    if fmt == "PNG":
        header = png.read_header(data)
        if header.bit_depth == 16 and header.colour_type in (2, 4, 6):
            return _decode_png16(data, path)
        png.check_crcs(data)  # one rule for both paths: a damaged chunk is refused
    if fmt == "TIFF":
        decoded = _decode_tiff(data, path)
        if decoded is not None:
            return decoded
    return _decode_pillow(data, path, fmt)


def _exif_orientation(exif: Image.Exif) -> int:
    value = exif.get(_ORIENTATION_TAG, 1)
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def _frames_error(fmt: str, frames: int, path: Path) -> RestoreKitError:
    return RestoreKitError(
        f"{fmt} has {frames} frames; only single-frame images are supported "
        "(extract the frame you want first)",
        path,
    )


def _decode_png16(data: bytes, path: Path) -> _Decoded:
    header = png.read_header(data)
    _check_pixel_count(header.width, header.height, path)
    decoded = png.decode_png(data)
    if decoded.frames > 1:
        raise _frames_error("PNG", decoded.frames, path)
    pixels = decoded.pixels
    mode = {2: "RGB", 4: "LA", 6: "RGBA"}[decoded.header.colour_type]
    if decoded.header.colour_type == 2 and decoded.transparency and len(decoded.transparency) >= 3:
        key = np.array(decoded.transparency[:3], np.uint16)
        alpha = np.where((pixels == key).all(axis=2), 0, 65535).astype(np.uint16)
        pixels = np.concatenate([pixels, alpha[:, :, None]], axis=2)
    orientation = 1
    if decoded.exif:
        exif = Image.Exif()
        exif.load(decoded.exif)
        orientation = _exif_orientation(exif)
    return _Decoded(pixels, "PNG", f"{mode};16", orientation, decoded.icc_profile)


def _decode_pillow(data: bytes, path: Path, fmt: str) -> _Decoded:
    with Image.open(io.BytesIO(data)) as im:
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            raise _frames_error(fmt, frames, path)
        im.load()
        mode = im.mode
        orientation = _exif_orientation(im.getexif())
        icc = im.info.get("icc_profile") or None
        transparency = im.info.get("transparency")
        if mode in ("P", "PA"):
            has_alpha = mode == "PA" or transparency is not None
            im = im.convert("RGBA" if has_alpha else "RGB")
            transparency = None
        elif mode == "1":
            im = im.convert("L")
        elif mode == "CMYK" and icc and _icc_colour_space(icc) == "CMYK":
            im, icc = _cmyk_to_srgb(im, icc), None
        elif mode in ("CMYK", "YCbCr", "RGBX", "LAB", "HSV"):
            im = im.convert("RGB")
        elif mode == "La":
            im = im.convert("LA")
        elif mode == "RGBa":
            im = im.convert("RGBA")
        elif mode == "I":
            raise RestoreKitError(
                f"unsupported pixel type: 32-bit integer {fmt} (8- and 16-bit images only)", path
            )
        pixels = np.asarray(im)
    if mode == "F":
        pixels, mode = _float_samples(pixels, fmt, path), "L;F32"
    elif pixels.dtype not in (np.uint8, np.uint16):
        if pixels.dtype.kind == "u" and pixels.dtype.itemsize == 2:  # big-endian I;16B
            pixels = pixels.astype(np.uint16)
        else:
            raise RestoreKitError(f"unsupported pixel type {pixels.dtype} in {fmt}", path)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if transparency is not None and pixels.shape[2] in (1, 3):
        pixels = _add_key_alpha(pixels, transparency)
    return _Decoded(pixels, fmt, mode, orientation, icc)


def _cmyk_to_srgb(im: Image.Image, icc: bytes) -> Image.Image:
    """Convert a CMYK image to sRGB through its own CMYK profile (perceptual intent); a profile
    LittleCMS cannot build a transform from leaves the image to Pillow's plain conversion."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(im, source, srgb, outputMode="RGB")
    except ImageCms.PyCMSError:
        return im.convert("RGB")


def _float_samples(pixels: np.ndarray, fmt: str, path: Path) -> np.ndarray:
    """Float samples as float32 clipped to [0, 1]; NaN or infinity is refused."""
    pixels = np.asarray(pixels, dtype=np.float32)
    if not np.isfinite(pixels).all():
        raise RestoreKitError(f"floating-point {fmt} holds NaN or infinite samples", path)
    return np.clip(pixels, 0.0, 1.0)


def _add_key_alpha(pixels: np.ndarray, key: Any) -> np.ndarray:
    """Turn a tRNS-style colour key (one value for gray, a triple for RGB) into an alpha plane."""
    key = np.atleast_1d(np.asarray(key, dtype=np.int64))
    if key.size != pixels.shape[2]:
        return pixels
    top = np.iinfo(pixels.dtype).max
    alpha = np.where((pixels == key).all(axis=2), 0, top).astype(pixels.dtype)
    return np.concatenate([pixels, alpha[:, :, None]], axis=2)


@contextmanager
def _quiet_tifffile() -> Iterator[None]:
    """tifffile logs warnings about damaged files; our error message says it in one line."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _decode_tiff(data: bytes, path: Path) -> _Decoded | None:
    """Decode a TIFF with tifffile, or return None to let Pillow try (compressions, layouts)."""
    photometric = tifffile.PHOTOMETRIC
    try:
        with _quiet_tifffile(), tifffile.TiffFile(io.BytesIO(data)) as tif:
            pages = [page for page in tif.pages if not page.is_reduced]
            if not pages:
                return None
            if len(pages) > 1:
                raise _frames_error("TIFF", len(pages), path)
            page = pages[0]
            simple = page.photometric in (
                photometric.MINISBLACK,
                photometric.MINISWHITE,
                photometric.RGB,
            )
            if page.dtype is None or page.dtype.char not in "BHefd" or not simple:
                return None
            _check_pixel_count(page.imagewidth, page.imagelength, path)
            axes, extras = page.axes, tuple(int(e) for e in page.extrasamples)
            orientation_tag = page.tags.get("Orientation")
            icc_tag = page.tags.get("InterColorProfile")
            is_float = page.dtype.kind == "f"
            try:
                pixels = page.asarray()
            except (KeyError, ValueError) as err:
                if "imagecodecs" not in str(err):
                    raise
                if is_float or (page.dtype.char == "H" and page.samplesperpixel > 1):
                    depth = f"{page.dtype.itemsize * 8}-bit {'float' if is_float else 'colour'}"
                    codec = page.compression.name
                    if page.predictor == 3:
                        codec += " + floating-point predictor"
                    raise RestoreKitError(
                        f"{depth} TIFF with {codec} compression needs the optional "
                        "'imagecodecs' package (pip install imagecodecs)",
                        path,
                    ) from None
                return None
    except tifffile.TiffFileError:
        return None
    if axes.startswith("S"):
        pixels = np.moveaxis(pixels, 0, -1)
        axes = axes[1:] + "S"
    if axes == "YX":
        pixels = pixels[:, :, None]
    elif axes != "YXS":
        raise RestoreKitError(f"unsupported TIFF layout (axes {axes})", path)
    if is_float:
        suffix = f";F{page.dtype.itemsize * 8}"
        pixels = _float_samples(pixels, "TIFF", path)
    else:
        suffix = ";16" if page.dtype.char == "H" else ""
        pixels = np.asarray(pixels, dtype=np.uint8 if page.dtype.char == "B" else np.uint16)
    colour = 1 if page.photometric != photometric.RGB else 3
    if page.photometric == photometric.MINISWHITE:
        pixels = _top(pixels.dtype) - pixels
    pixels, mode = _tiff_alpha(pixels[:, :, : colour + len(extras)], colour, extras)
    orientation = int(orientation_tag.value) if orientation_tag is not None else 1
    orientation = orientation if 1 <= orientation <= 8 else 1
    icc = bytes(icc_tag.value) if icc_tag is not None else None
    return _Decoded(np.ascontiguousarray(pixels), "TIFF", mode + suffix, orientation, icc)


def _check_pixel_count(width: int, height: int, path: Path) -> None:
    """Refuse sizes past Pillow's decompression-bomb limit before allocating anything."""
    if width * height > 2 * (Image.MAX_IMAGE_PIXELS or 2**62):
        raise RestoreKitError(f"image too large to read safely ({width}x{height} pixels)", path)


def _top(dtype: np.dtype) -> float | int:
    """The sample value meaning full intensity: 1.0 for floats, the maximum for integers."""
    return 1.0 if np.dtype(dtype).kind == "f" else int(np.iinfo(dtype).max)


def _tiff_alpha(pixels: np.ndarray, colour: int, extras: tuple[int, ...]) -> tuple[np.ndarray, str]:
    """Keep the colour samples plus the first extra sample as alpha.

    Associated (premultiplied, code 1) alpha is un-premultiplied so colours are stored as seen;
    unassociated (code 2) and unspecified (code 0) extra samples are kept as is: a 4th channel
    is alpha to every common reader and writer, so dropping it would lose data silently.
    """
    names = {1: "L", 3: "RGB"}
    if not extras:
        return pixels[:, :, :colour], names[colour]
    rgb = pixels[:, :, :colour]
    alpha = pixels[:, :, colour : colour + 1]
    if extras[0] == 1:
        top = _top(pixels.dtype)
        if pixels.dtype.kind == "f":
            rgb = np.where(alpha > 0, np.minimum(rgb / np.maximum(alpha, 1e-12), 1.0), 0.0)
        else:
            safe = np.maximum(alpha, 1).astype(np.float64)
            rgb = np.where(alpha > 0, np.rint(np.minimum(rgb * (top / safe), top)), 0)
        rgb = rgb.astype(pixels.dtype)
    return np.concatenate([rgb, alpha], axis=2), names[colour] + "A"


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to an (H, W, C) array, like ``ImageOps.exif_transpose``."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.transpose(1, 0, 2)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return pixels.transpose(1, 0, 2)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels


# --------------------------------------------------------------------------- writing


def write_image(
    path: str | PathLike[str],
    image: Any,
    meta: ImageMeta | None = None,
    *,
    bit_depth: int | None = None,
    quality: int = 95,
) -> None:
    """Write a CHW image with values in [0, 1] (numpy or torch; clipped, then rounded).

    The format follows the extension: .png and .tif/.tiff (8 or 16 bit), .jpg/.jpeg, .bmp and
    .webp (8 bit). With ``meta`` the bit depth, gray/RGB layout, alpha and ICC profile follow
    the source (an RGB array written for a gray source becomes its BT.601 luma; a gray array
    for an RGB source is repeated); ``bit_depth`` overrides the depth. A float TIFF source
    written as TIFF without ``bit_depth`` gives a 32-bit float TIFF. The ICC profile is written
    only when it describes the written layout (gray or RGB); BMP gets none. JPEG and BMP get no
    alpha (Pillow reads 32-bit BMPs back as RGB): it is dropped, with a one-line note logged on
    the ``restorekit.io.images`` logger (Python prints it on stderr by default). ``quality``
    (1-100) is the JPEG and WebP quality, 100 giving lossless WebP (colours under transparent
    pixels kept); JPEGs keep full chroma resolution (4:4:4). The write is atomic.
    """
    path = Path(path)
    fmt = IMAGE_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise RestoreKitError(
            f"cannot write '{path.suffix}' files (use {', '.join(sorted(IMAGE_EXTENSIONS))})", path
        )
    if not 1 <= int(quality) <= 100:
        raise RestoreKitError(f"quality must be between 1 and 100, got {quality}", path)
    dtype = _target_dtype(fmt, bit_depth, meta, path)
    array = _as_chw(image)
    if not np.isfinite(array).all():
        raise RestoreKitError("the image holds NaN or infinite values; nothing written", path)
    gray = meta.gray if meta is not None else array.shape[0] == 1
    if gray and array.shape[0] == 3:
        array = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), array, axes=1)[None]
    elif not gray and array.shape[0] == 1:
        array = np.repeat(array, 3, axis=0)
    array = np.clip(array, 0.0, 1.0)
    if dtype != np.float32:
        array = np.rint(array * np.float32(np.iinfo(dtype).max))
    pixels = array.astype(dtype).transpose(1, 2, 0)
    alpha = meta.alpha if meta is not None else None
    if alpha is not None and fmt in ("JPEG", "BMP"):
        _log.warning("%s: %s cannot hold alpha; it was dropped", path, fmt)
        alpha = None
    if alpha is not None:
        if alpha.shape != pixels.shape[:2]:
            raise RestoreKitError(
                f"the source alpha is {alpha.shape[1]}x{alpha.shape[0]} but the image is "
                f"{pixels.shape[1]}x{pixels.shape[0]}",
                path,
            )
        pixels = np.concatenate([pixels, _convert_depth(alpha, dtype)[:, :, None]], axis=2)
    icc = _matching_icc(meta.icc_profile, 1 if gray else 3) if meta is not None else None
    atomic_write_bytes(path, _encode(pixels, fmt, quality, icc))


def _target_dtype(fmt: str, bit_depth: int | None, meta: ImageMeta | None, path: Path) -> type:
    """uint8, uint16, or float32 (a float TIFF source written as TIFF without ``bit_depth``)."""
    if bit_depth is not None and bit_depth not in (8, 16):
        raise RestoreKitError(f"bit depth must be 8 or 16, got {bit_depth}", path)
    if fmt == "TIFF" and bit_depth is None and meta is not None and meta.sample_format == "float":
        return np.float32
    if fmt in ("PNG", "TIFF"):
        depth = bit_depth or (meta.bit_depth if meta is not None else 8)
        return np.uint8 if depth == 8 else np.uint16
    if bit_depth == 16:
        raise RestoreKitError(f"{fmt} holds 8-bit images only; use .png or .tif for 16 bit", path)
    return np.uint8


def _as_chw(image: Any) -> np.ndarray:
    """A float32 (C, H, W) numpy array from a numpy array or torch tensor, C = 1 or 3."""
    if hasattr(image, "detach"):
        image = image.detach().to("cpu").float().numpy()
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[0] not in (1, 3):
        raise ValueError(f"expected a (C, H, W) image with C = 1 or 3, got shape {array.shape}")
    return array


def _convert_depth(alpha: np.ndarray, dtype: type) -> np.ndarray:
    """``alpha`` (uint8, uint16 or float in [0, 1]) in ``dtype``, rescaled and rounded."""
    if alpha.dtype == dtype:
        return alpha
    unit = alpha.astype(np.float64) / _top(alpha.dtype)
    if dtype == np.float32:
        return unit.astype(np.float32)
    return np.rint(unit * np.iinfo(dtype).max).astype(dtype)


_PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _encode(pixels: np.ndarray, fmt: str, quality: int, icc: bytes | None) -> bytes:
    """Encode (H, W, C) uint8/uint16 pixels (C = 1-4, alpha last) into file bytes."""
    if fmt == "PNG" and pixels.dtype == np.uint16:
        return png.encode_png(pixels, icc_profile=icc)
    buffer = io.BytesIO()
    if fmt == "TIFF":
        channels = pixels.shape[2]
        extratags = [(34675, 7, len(icc), icc, True)] if icc else []
        tifffile.imwrite(
            buffer,
            pixels if channels > 1 else pixels[:, :, 0],
            photometric="rgb" if channels >= 3 else "minisblack",
            extrasamples=["unassalpha"] if channels in (2, 4) else None,
            compression="zlib",
            predictor=pixels.dtype != np.float32,  # the float predictor needs imagecodecs
            metadata=None,
            extratags=extratags,
        )
        return buffer.getvalue()
    if fmt == "WEBP" and pixels.shape[2] == 2:
        pixels = pixels[:, :, [0, 0, 0, 1]]
    if fmt == "WEBP" and pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    im = Image.fromarray(
        np.ascontiguousarray(pixels).squeeze(2) if pixels.shape[2] == 1 else pixels
    )
    im = im if im.mode == _PIL_MODES[pixels.shape[2]] else im.convert(_PIL_MODES[pixels.shape[2]])
    options: dict[str, Any] = {"icc_profile": icc} if icc and fmt != "BMP" else {}
    if fmt == "JPEG":
        options.update(quality=int(quality), subsampling=0)
    elif fmt == "WEBP":
        options.update(quality=int(quality), lossless=int(quality) == 100, exact=True)
    im.save(buffer, format=fmt, **options)
    return buffer.getvalue()
