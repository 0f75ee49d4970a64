"""Run restorekit's readers over malformed files, under an address-space limit; print a report.

Run by ``test_readers.py`` in a subprocess: ``python fuzz_worker.py GROUP SEED``. Each group
builds small valid files, derives seeded malformed variants (truncations, flipped bytes, lying
headers, huge declared sizes and chunk lengths, decompression bombs), limits the address space
to what the process already maps plus ``HEADROOM`` and reads every variant. The last stdout
line is JSON: ``{"cases": N, "failures": [...]}``. A failure is any outcome other than a
one-line ``RestoreKitError`` naming the file, or a sane image; a ``MemoryError`` (the limit
was hit) is a failure too.
"""

from __future__ import annotations

import io
import json
import random
import re
import resource
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

HEADROOM = 1 << 30  # bytes of address space a read may add on top of the imports
BOMB = 1 << 30  # bytes a decompression bomb inflates to: a reader without bounds hits the limit

Case = tuple[str, bytes, bool]  # (description, file bytes, a successful read must be exact)


def _limit_address_space() -> None:
    """Cap the address space at the current size plus ``HEADROOM``."""
    status = Path("/proc/self/status").read_text()
    size_kib = int(status.split("VmSize:")[1].split()[0])
    limit = size_kib * 1024 + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _zlib_bomb(size: int) -> bytes:
    """A valid zlib stream of ``size`` zero bytes (a multiple of 16 MiB), about size/1000 long.

    One fully flushed block is repeated: after a full flush deflate refers to nothing before.
    """
    piece = bytes(16 << 20)
    packer = zlib.compressobj(9)
    first = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(size // len(piece)):
        adler = zlib.adler32(piece, adler)
    count = size // len(piece)
    return first + again * (count - 1) + b"\x03\x00" + struct.pack(">I", adler)


def _mutations(rng: random.Random, data: bytes, count: int, exact: bool) -> Iterator[Case]:
    """Generic damage: truncation, flipped bytes, huge 16/32-bit values, spliced slices."""
    size = len(data)
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            cut = rng.randrange(1, size)
            yield f"cut at {cut}", data[:cut], True
        elif kind == 1:
            damaged = bytearray(data)
            spots = [rng.randrange(size) for _ in range(rng.randint(1, 4))]
            for spot in spots:
                damaged[spot] ^= 1 << rng.randrange(8)
            yield f"bits flipped at {spots}", bytes(damaged), exact
        elif kind == 2:
            at = rng.randrange(max(1, size - 4))
            value = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000000, 0xFFFF0000, 0])
            raw = struct.pack(rng.choice(["<I", ">I"]), value)
            yield f"value {value:#x} at {at}", data[:at] + raw + data[at + 4 :], exact
        else:
            a, b = sorted(rng.randrange(size) for _ in range(2))
            at = rng.randrange(size)
            yield f"slice {a}:{b} spliced at {at}", data[:at] + data[a:b] + data[at:], exact


# --------------------------------------------------------------------------- images


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_cases(rng: random.Random, name: str, data: bytes, bomb: bytes) -> Iterator[Case]:
    """PNG-aware lies: IHDR sizes (CRC fixed), chunk lengths, bombs in iCCP, zTXt, iTXt, IDAT."""
    yield f"{name}: valid", data, True
    ihdr = bytearray(data[16:29])
    for width, height in [(0xFFFFFFFF, 1), (1 << 20, 1 << 20), (60000, 60000), (1, 1 << 31)]:
        ihdr[0:8] = struct.pack(">II", width, height)
        chunk = _png_chunk(b"IHDR", bytes(ihdr))
        yield f"{name}: IHDR {width}x{height}", data[:8] + chunk + data[33:], False
    for length in (0xFFFFFFFF, 0x7FFFFFFF, 1 << 30):
        at = data.index(b"IDAT") - 4
        lying = data[:at] + struct.pack(">I", length) + data[at + 4 :]
        yield f"{name}: IDAT length {length:#x}", lying, False
    head, tail = data[:33], data[33:]
    for kind, body in [
        (b"iCCP", b"bomb\0\0" + bomb),
        (b"zTXt", b"bomb\0\0" + bomb),
        (b"iTXt", b"bomb\0\1\0\0\0" + bomb),
    ]:
        yield f"{name}: {kind.decode()} bomb", head + _png_chunk(kind, body) + tail, False
    idat_bomb = _png_chunk(b"IDAT", bomb)
    at = data.index(b"IDAT") - 4
    end = data.index(b"IEND") - 4
    yield f"{name}: IDAT bomb", data[:at] + idat_bomb + data[end:], False
    yield from ((f"{name}: {d}", b, e) for d, b, e in _mutations(rng, data, 90, exact=True))


def _tiff_cases(rng: random.Random, name: str, data: bytes) -> Iterator[Case]:
    """TIFF-aware lies: huge or zero sizes, sample counts, strip offsets and byte counts."""
    import tifffile

    yield f"{name}: valid", data, True
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        tags = {tag.name: tag for tag in tif.pages[0].tags}
    targets = ["ImageWidth", "ImageLength", "SamplesPerPixel", "BitsPerSample", "StripOffsets"]
    targets += ["StripByteCounts", "RowsPerStrip", "SampleFormat", "ExtraSamples"]
    for tag_name in targets:
        if tag_name not in tags:
            continue
        tag = tags[tag_name]
        width = 4 if tag.dtype in (4, 9) else 2
        for value in (0, 1, 0xFFFF, 0xFFFFFFFF, 60000):
            value &= (1 << (8 * width)) - 1
            raw = value.to_bytes(width, "little")
            at = tag.valueoffset
            yield f"{name}: {tag_name}={value}", data[:at] + raw + data[at + width :], False
    yield from ((f"{name}: {d}", b, e) for d, b, e in _mutations(rng, data, 80, exact=False))


def _field_cases(
    name: str, data: bytes, fields: list[tuple[int, str]], values: list[int]
) -> Iterator[Case]:
    """Overwrite fixed header fields (offset, struct format) with each of ``values``."""
    for offset, fmt in fields:
        for value in values:
            bits = 8 * struct.calcsize(fmt)
            raw = struct.pack(fmt, value & ((1 << bits) - 1))
            lying = data[:offset] + raw + data[offset + len(raw) :]
            yield f"{name}: field at {offset} = {value}", lying, False


def image_cases(rng: random.Random) -> Iterator[Case]:
    import tifffile
    from PIL import Image

    from restorekit.io.png import encode_png

    pixels = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (12, 16, 3))
    rgb8 = pixels.astype(np.uint8)
    rgba16 = np.concatenate([pixels, pixels[:, :, :1]], axis=2).astype(np.uint16) * 257
    bomb = _zlib_bomb(BOMB)
    huge = [0, 1, -1, 0x7FFFFFFF, 60000, 1 << 20]

    yield from _png_cases(rng, "png8", _save(Image.fromarray(rgb8), "PNG"), bomb)
    palette = Image.fromarray(rgb8).quantize(16)
    yield from _png_cases(rng, "png8-palette", _save(palette, "PNG"), bomb)
    yield from _png_cases(rng, "png16", encode_png(rgba16), bomb)

    jpeg = _save(Image.fromarray(rgb8), "JPEG")
    yield "jpeg: valid", jpeg, True
    sof = jpeg.index(b"\xff\xc0") + 5
    yield from _field_cases("jpeg", jpeg, [(sof, ">H"), (sof + 2, ">H")], [0, 1, 0xFFFF])
    yield from ((f"jpeg: {d}", b, e) for d, b, e in _mutations(rng, jpeg, 90, exact=False))

    for name, array, options in [
        ("tiff8", rgb8, {"compression": "zlib"}),
        ("tiff16", rgba16, {"compression": "zlib", "extrasamples": [2]}),
        ("tiff-float", rgb8.astype(np.float32) / 255, {"compression": "zlib"}),
    ]:
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, array, photometric="rgb", **options)
        yield from _tiff_cases(rng, name, buffer.getvalue())
    lzw = _save(Image.fromarray(rgb8), "TIFF", compression="tiff_lzw")
    yield from _tiff_cases(rng, "tiff-lzw", lzw)

    bmp = _save(Image.fromarray(rgb8), "BMP")
    yield "bmp: valid", bmp, True
    fields = [(2, "<I"), (10, "<I"), (14, "<I"), (18, "<I"), (22, "<I"), (28, "<H"), (34, "<I")]
    yield from _field_cases("bmp", bmp, fields, huge)
    yield from ((f"bmp: {d}", b, e) for d, b, e in _mutations(rng, bmp, 60, exact=False))

    for name, options in [("webp", {"quality": 80}), ("webp-lossless", {"lossless": True})]:
        webp = _save(Image.fromarray(rgb8), "WEBP", **options)
        yield f"{name}: valid", webp, True
        fields = [(4, "<I"), (16, "<I"), (26, "<H"), (28, "<H")]
        yield from _field_cases(name, webp, fields, huge)
        yield from ((f"{name}: {d}", b, e) for d, b, e in _mutations(rng, webp, 60, False))


def _save(image: object, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)  # type: ignore[attr-defined]
    return buffer.getvalue()


def read_image_case(path: Path) -> np.ndarray | None:
    from restorekit.io import read_image

    image, meta = read_image(path)
    ok = (
        image.dtype == np.float32
        and image.ndim == 3
        and image.shape[0] in (1, 3)
        and image.shape[1:] == (meta.height, meta.width)
        and bool(np.isfinite(image).all())
        and float(image.min(initial=0.0)) >= 0.0
        and float(image.max(initial=0.0)) <= 1.0
    )
    if not ok:
        raise AssertionError(f"insane image {image.dtype} {image.shape}")
    return image


# --------------------------------------------------------------------------- .mat


def mat_cases(rng: random.Random) -> Iterator[Case]:
    import h5py
    import scipy.io

    array = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (8, 6, 3), np.uint8)
    for compress in (False, True):
        buffer = io.BytesIO()
        scipy.io.savemat(buffer, {"x": array}, do_compression=compress)
        data = buffer.getvalue()
        name = f"mat5{'-zlib' if compress else ''}"
        yield f"{name}: valid", data, True
        fields = [(128 + 4, "<I"), (128 + 8 + 16 + 8, "<I"), (128 + 8 + 16 + 12, "<I")]
        yield from _field_cases(name, data, fields, [0, -1, 0x7FFFFFFF, 60000, 1 << 20])
        yield from ((f"{name}: {d}", b, e) for d, b, e in _mutations(rng, data, 70, False))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v73.mat"
        with h5py.File(path, "w", userblock_size=512) as handle:
            handle.create_dataset("x", data=array.T)
            handle["x"].attrs["MATLAB_class"] = np.bytes_("uint8")
            # declared huge, nothing stored: reading it would build the whole fill-value array
            handle.create_dataset("lie", shape=(1 << 16, 1 << 16), dtype="f8", chunks=(64, 64))
            handle["lie"].attrs["MATLAB_class"] = np.bytes_("double")
        data = path.read_bytes()
    yield "mat73: valid", data, True
    yield from ((f"mat73: {d}", b, e) for d, b, e in _mutations(rng, data, 80, False))


def read_mat_case(path: Path) -> np.ndarray:
    """Variable ``x``; then ``lie`` (v7.3: 32 GiB declared, nothing stored) within the limit."""
    from restorekit.errors import RestoreKitError
    from restorekit.io import read_mat

    found = read_mat(path, "x")
    try:
        read_mat(path, "lie")
    except RestoreKitError as err:
        _check_error(err, path)
    return found


# --------------------------------------------------------------------------- weights


def weight_cases(rng: random.Random) -> Iterator[Case]:
    import torch

    from restorekit.models import build_model
    from restorekit.weights import save_model

    torch.manual_seed(rng.randrange(1 << 30))
    model = build_model("hinet", wf=2, depth=2)
    with tempfile.TemporaryDirectory() as folder:
        path = save_model(
            Path(folder) / "m.safetensors", model, name="hinet", kwargs={"wf": 2, "depth": 2}
        )
        safetensors = path.read_bytes()
    yield "safetensors: valid", safetensors, True
    (header_len,) = struct.unpack("<Q", safetensors[:8])
    header = json.loads(safetensors[8 : 8 + header_len])
    for lie in ([1 << 40, 1 << 40], [0xFFFFFFFF], [-1, 3]):
        key = next(k for k in header if k != "__metadata__")
        changed = {**header, key: {**header[key], "shape": lie}}
        text = json.dumps(changed).encode()
        lying = struct.pack("<Q", len(text)) + text + safetensors[8 + header_len :]
        yield f"safetensors: shape {lie}", lying, False
    for length in (0, 1 << 62, 0xFFFFFFFF, len(safetensors)):
        yield (
            f"safetensors: header length {length}",
            struct.pack("<Q", length) + safetensors[8:],
            False,
        )
    yield from ((f"safetensors: {d}", b, e) for d, b, e in _mutations(rng, safetensors, 70, False))
    state = {"params": model.state_dict()}
    for name, legacy in (("pth-zip", False), ("pth-legacy", True)):
        buffer = io.BytesIO()
        torch.save(state, buffer, _use_new_zipfile_serialization=not legacy)
        data = buffer.getvalue()
        yield from ((f"{name}: {d}", b, e) for d, b, e in _mutations(rng, data, 70, False))


def load_model_case(path: Path) -> None:
    from restorekit.weights import load_model

    load_model(path)


# --------------------------------------------------------------------------- driver


GROUPS: dict[str, tuple[Callable[[random.Random], Iterator[Case]], Callable[[Path], object]]] = {
    "images": (image_cases, read_image_case),
    "mat": (mat_cases, read_mat_case),
    "weights": (weight_cases, load_model_case),
}


def _same(a: object, b: object) -> bool:
    """Equal arrays, or nothing to compare (no result, as for ``load_model``)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b))
    return a is None and b is None


def _check_error(err: Exception, path: Path) -> None:
    """One line naming the file, and no sign of the address-space limit behind it."""
    text = str(err)
    if "\n" in text or not text.startswith(f"{path}: "):
        raise AssertionError(f"not one line naming the file: {text!r}")
    if re.search(r"MemoryError|Unable to allocate|out of memory|allocate memory", text):
        raise AssertionError(f"ran out of memory: {text!r}")


def main(group: str, seed: int) -> None:
    from restorekit.errors import RestoreKitError

    make_cases, read = GROUPS[group]
    rng = random.Random(seed)
    cases = list(make_cases(rng))
    _limit_address_space()
    failures: list[str] = []
    originals: dict[str, object] = {}  # what each "<name>: valid" case read
    with tempfile.TemporaryDirectory() as folder:
        for index, (what, data, exact) in enumerate(cases):
            path = Path(folder) / f"case{index}.bin"
            path.write_bytes(data)
            try:
                result = read(path)
            except RestoreKitError as err:
                try:
                    _check_error(err, path)
                except AssertionError as bad:
                    failures.append(f"{what}: {bad}")
                continue
            except MemoryError:
                failures.append(f"{what}: MemoryError (more than {HEADROOM >> 20} MiB)")
                continue
            except Exception as err:  # the point: anything else is a reader hole
                failures.append(f"{what}: {type(err).__name__}: {' '.join(str(err).split())[:200]}")
                continue
            finally:
                path.unlink()
            name = what.split(":")[0]
            if what.endswith(": valid"):
                originals[name] = result
            elif exact and not _same(result, originals.get(name)):
                failures.append(f"{what}: read a different result instead of refusing")
    print(json.dumps({"cases": len(cases), "failures": failures}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
