"""What ``restorekit info`` reports about an image file (decoding it fully, so damage shows)."""

from __future__ import annotations

from os import PathLike
from typing import Any

from restorekit.io.exif import CameraInfo, read_camera
from restorekit.io.images import read_image

ORIENTATIONS = {
    1: "none",
    2: "mirrored left-right",
    3: "rotated 180 degrees",
    4: "mirrored top-bottom",
    5: "transposed (mirrored, then rotated 90 degrees counter-clockwise)",
    6: "rotated 90 degrees clockwise",
    7: "transversed (mirrored, then rotated 90 degrees clockwise)",
    8: "rotated 90 degrees counter-clockwise",
}


def image_info(path: str | PathLike[str]) -> dict[str, Any]:
    """A JSON-able summary of an image: format, size after orientation, channels, depth, EXIF.

    ``camera`` holds the EXIF make, model, ISO, exposure time (s) and f-number (each None when
    absent), or is None when the file has none of them.

    ``bit_depth`` is the depth the image is written back with as PNG: 16 for a float TIFF, whose
    ``source_mode`` ends in ``;F16``, ``;F32`` or ``;F64`` (its float width).

    Reads and decodes the whole file, so a truncated or corrupt file raises ``RestoreKitError``.
    """
    _image, meta = read_image(path)
    camera = read_camera(path).as_dict()
    return {
        "path": str(meta.path),
        "format": meta.format,
        "width": meta.width,
        "height": meta.height,
        "channels": "gray" if meta.gray else "RGB",
        "alpha": meta.has_alpha,
        "bit_depth": meta.bit_depth,
        "source_mode": meta.source_mode,
        "exif_orientation": meta.orientation,
        "orientation_applied": ORIENTATIONS[meta.orientation],
        "icc_profile": meta.icc_profile is not None,
        "camera": camera if any(v is not None for v in camera.values()) else None,
    }


def describe_image(path: str | PathLike[str]) -> str:
    """One line about an image, e.g. ``a.jpg: JPEG, 640x480, RGB, 8-bit, no EXIF rotation``,
    followed by the EXIF camera fields present (``make Canon, model Canon EOS R5, ISO 800``)."""
    info = image_info(path)
    channels = info["channels"]
    if info["source_mode"].startswith("P"):
        channels += " (from palette)"
    if info["alpha"]:
        channels += " + alpha"
    if info["exif_orientation"] == 1:
        orientation = "no EXIF rotation"
    else:
        orientation = (
            f"EXIF orientation {info['exif_orientation']} applied ({info['orientation_applied']})"
        )
    depth = f"{info['bit_depth']}-bit"
    if ";F" in info["source_mode"]:
        depth = f"{info['source_mode'].rsplit(';F', 1)[1]}-bit float"
    parts = [info["format"], f"{info['width']}x{info['height']}", channels, depth, orientation]
    if info["icc_profile"]:
        parts.append("ICC profile")
    if info["camera"] is not None:
        parts.append(CameraInfo(**info["camera"]).describe())
    return f"{info['path']}: {', '.join(parts)}"
