"""DND sRGB benchmark submission export (no scoring: DND's ground truth is not public).

Input (the DND download): ``ROOT/info.mat`` (v7.3; bounding boxes, 1-based inclusive
``[row1, col1, row2, col2]``, 20 per image) and ``ROOT/images_srgb/%04d.mat`` (key
``InoisySRGB``, H x W x 3 float in [0,1]). Output: one ``%04d.mat`` per image holding
``Idenoised`` (object array of the 20 crops, each H x W x 3 float32 clamped to [0,1]),
``israw = False`` and ``eval_version = "1.0"``: the files the DND site accepts (zip the ``.mat``
files of one method folder and upload them).

Context margin: each 512x512 box is denoised inside a window extended by ``margin`` pixels of
real image context on every side (clamped at the image border), then cropped back with explicit
end indices. ``margin=80`` (default) follows AINDNet's official ``test_dnd.py`` and spares the box
edges the model's padding artefacts; ``margin=0`` is the HINet/Restormer/MPRNet protocol (the box
alone). The margin used is written into ``dnd_export.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from restorekit import __version__
from restorekit.errors import RestoreKitError
from restorekit.eval.methods import Method
from restorekit.eval.report import _slug
from restorekit.io import atomic_write_text, read_dnd_boxes, read_mat, write_mat

DND_MARGIN = 80
DND_IMAGE_KEY = "InoisySRGB"
EVAL_VERSION = "1.0"


def box_with_margin(
    box: Sequence[int], margin: int, height: int, width: int
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """For a 1-based inclusive MATLAB box ``[r1, c1, r2, c2]``: the context window
    ``(top, bottom, left, right)`` (0-based, end exclusive, clamped to the image) and where the
    box lies inside that window, ``(top, bottom, left, right)`` with explicit end indices (never a
    negative slice, so a box touching the border keeps its size)."""
    r1, c1, r2, c2 = (int(v) for v in box)
    top, bottom, left, right = r1 - 1, r2, c1 - 1, c2
    if not (0 <= top < bottom <= height and 0 <= left < right <= width):
        raise RestoreKitError(f"box {list(box)} lies outside the {height}x{width} image")
    win_top, win_left = max(0, top - margin), max(0, left - margin)
    win = (win_top, min(height, bottom + margin), win_left, min(width, right + margin))
    inner = (top - win_top, bottom - win_top, left - win_left, right - win_left)
    return win, inner


def denoise_box(
    method: Method, image_hwc: np.ndarray, box: Sequence[int], margin: int
) -> np.ndarray:
    """Denoise one DND box of ``image_hwc`` with ``margin`` px of context; HWC float32 in [0,1]."""
    height, width = image_hwc.shape[:2]
    (top, bottom, left, right), (it, ib, il, ir) = box_with_margin(box, margin, height, width)
    window = image_hwc[top:bottom, left:right].transpose(2, 0, 1)
    window = np.ascontiguousarray(window, dtype=np.float32)
    out, _ = method.run(window, None)
    if out.shape != window.shape:
        raise RestoreKitError(
            f"method '{method.name}' returned shape {out.shape} for input {window.shape}"
        )
    result = np.clip(out[:, it:ib, il:ir], 0.0, 1.0).transpose(1, 2, 0)
    return np.ascontiguousarray(result, dtype=np.float32)


def export_dnd(
    dnd_root: str | Path,
    methods: Sequence[Method],
    out_dir: str | Path,
    *,
    margin: int = DND_MARGIN,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Write DND submission files for every method into ``out_dir/<method>/%04d.mat``.

    Returns (and writes as ``out_dir/dnd_export.json``) a manifest with the protocol, margin,
    methods and files. ``limit`` exports only the first images (a full submission needs all 50).
    """
    root, out = Path(dnd_root), Path(out_dir)
    if margin < 0:
        raise RestoreKitError(f"DND margin must be >= 0, got {margin}")
    if limit is not None and limit < 1:
        raise RestoreKitError(f"limit must be >= 1, got {limit}", params=("limit",))
    info = root / "info.mat"
    if not info.is_file():
        raise RestoreKitError("DND info.mat not found (expected ROOT/info.mat)", path=info)
    boxes = np.asarray(read_dnd_boxes(info))
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise RestoreKitError(f"bounding boxes must be (images, boxes, 4), got {boxes.shape}")
    count = boxes.shape[0] if limit is None else min(limit, boxes.shape[0])
    names = [m.name for m in methods]
    if not names or len(set(names)) != len(names):
        raise RestoreKitError(f"need one or more distinct methods, got {names}")
    folders = {m.name: out / _slug(m.name) for m in methods}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {m.name: [] for m in methods}
    for i in tqdm(range(count), desc="DND", disable=None if progress else True):
        image_path = root / "images_srgb" / f"{i + 1:04d}.mat"
        if not image_path.is_file():
            raise RestoreKitError("DND image not found", path=image_path)
        image = np.asarray(read_mat(image_path, DND_IMAGE_KEY), dtype=np.float32)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise RestoreKitError(f"expected H x W x 3, got {image.shape}", path=image_path)
        for method in methods:
            crops = np.empty((boxes.shape[1],), dtype=object)
            for k in range(boxes.shape[1]):
                crops[k] = denoise_box(method, image, boxes[i, k], margin)
            target = folders[method.name] / f"{i + 1:04d}.mat"
            write_mat(target, {"Idenoised": crops, "israw": False, "eval_version": EVAL_VERSION})
            files[method.name].append(str(target.relative_to(out)))
    manifest = {
        "restorekit_version": __version__,
        "protocol": {
            "name": "dnd-export",
            "dataset": str(root),
            "images": count,
            "boxes_per_image": int(boxes.shape[1]),
            "margin": margin,
            "margin_rule": (
                f"each box denoised with {margin} px of image context per side (clamped at the "
                "border) and cropped back"
                if margin
                else "each box denoised alone (no context)"
            ),
            "output": "Idenoised: object array of HxWx3 float32 crops clamped to [0,1]; "
            f"israw=False; eval_version='{EVAL_VERSION}'",
            "scoring": "none here: upload the .mat files of one method folder to the DND site",
            "complete": count == boxes.shape[0] == 50,
        },
        "methods": [m.describe() for m in methods],
        "files": files,
    }
    atomic_write_text(out / "dnd_export.json", json.dumps(manifest, indent=2) + "\n")
    return manifest
