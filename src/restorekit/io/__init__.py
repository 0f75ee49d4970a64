"""Image and MATLAB file I/O: float32 CHW arrays in [0, 1] plus what is needed to write back.

``read_image``/``write_image`` (PNG, JPEG, TIFF, BMP, WebP; 8/16 bit; gray, RGB, alpha, EXIF),
``read_camera`` (EXIF make, model, ISO, exposure time, f-number),
``read_mat``/``write_mat``/``read_dnd_boxes`` (SIDD v5 and DND v7.3 files), ``list_images``.
"""

from restorekit.io.exif import CameraInfo, read_camera
from restorekit.io.images import SUPPORTED_FORMATS, ImageMeta, read_image, write_image
from restorekit.io.info import describe_image, image_info
from restorekit.io.mat import read_dnd_boxes, read_mat, write_mat
from restorekit.io.paths import (
    IMAGE_EXTENSIONS,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    cache_root,
    is_image_path,
    list_images,
    read_file_bytes,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "SUPPORTED_FORMATS",
    "CameraInfo",
    "ImageMeta",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "cache_root",
    "describe_image",
    "image_info",
    "is_image_path",
    "list_images",
    "read_camera",
    "read_dnd_boxes",
    "read_file_bytes",
    "read_image",
    "read_mat",
    "write_image",
    "write_mat",
]
