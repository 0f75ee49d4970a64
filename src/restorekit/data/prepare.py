"""Offline cropping of large training frames, like the official SIDD/GoPro preparation.

HINet/BasicSR cut SIDD-Medium into 512 x 512 crops with step 384 and GoPro into 512 x 512 with
step 256; along each axis one more crop, flush with the far edge, covers the remainder. A side
shorter than the crop gives a single crop of its full length. Crops of a pair are written as
lossless PNG to ``dst/noisy/<name>_sNNN.png`` and ``dst/gt/<name>_sNNN.png`` (the degraded
image — noisy or blurry — always goes to ``noisy/``), ready for the ``paired_folder`` dataset.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath

import numpy as np
from tqdm import tqdm

from restorekit.data.base import FileItem
from restorekit.data.folders import PathArg
from restorekit.data.gopro import gopro_pairs
from restorekit.data.sidd import sidd_medium_pairs
from restorekit.errors import RestoreKitError
from restorekit.io import read_image, write_image

DEFAULT_STEP = {"sidd": 384, "gopro": 256}
ROLE_DIRS = {"noisy": "noisy", "clean": "gt"}


def crop_starts(length: int, size: int, step: int) -> list[int]:
    """Crop offsets along one axis: every ``step`` from 0, plus one flush with the far edge."""
    if size < 1 or step < 1:
        raise RestoreKitError(f"crop size and step must be positive, got {size} and {step}")
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, step))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def _crop_pair(item: FileItem, dst: Path, size: int, step: int) -> int:
    """Cut one pair into crops and write them; returns the number of crop pairs."""
    images, depths = {}, {}
    for role, path in item.files.items():
        images[role], meta = read_image(path)
        depths[role] = meta.bit_depth
    shapes = {a.shape for a in images.values()}
    if len(shapes) != 1:
        raise RestoreKitError(f"the images of '{item.name}' differ in size", item.files["noisy"])
    _, height, width = next(iter(shapes))
    stem = PurePosixPath(item.name).with_suffix("").as_posix().replace("/", "_")
    count = 0
    for top in crop_starts(height, size, step):
        for left in crop_starts(width, size, step):
            count += 1
            for role, image in images.items():
                crop = np.ascontiguousarray(image[:, top : top + size, left : left + size])
                out = dst / ROLE_DIRS[role] / f"{stem}_s{count:03d}.png"
                write_image(out, crop, bit_depth=depths[role])
    return count


def prepare_crops(
    kind: str,
    src: PathArg,
    dst: PathArg,
    *,
    size: int = 512,
    step: int | None = None,
    split: str = "train",
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> int:
    """Crop the ``kind`` ("sidd" or "gopro") training pairs under ``src`` into ``dst``.

    ``src`` is the SIDD_Medium_Srgb folder, or the GoPro root (``split`` picks its sub-folder).
    ``step`` defaults to the official 384 (SIDD) / 256 (GoPro). A ``dst`` that already holds
    crops is refused unless ``overwrite``. Every file is written atomically by the io layer, so
    an interrupted run leaves only complete crops. Returns the number of crop pairs written.
    """
    if kind not in DEFAULT_STEP:
        raise RestoreKitError(f"unknown kind '{kind}'; choose from {sorted(DEFAULT_STEP)}")
    step = DEFAULT_STEP[kind] if step is None else step
    crop_starts(size, size, step)  # validates size and step before any work
    if workers < 1:
        raise RestoreKitError(f"workers must be >= 1, got {workers}")
    items = sidd_medium_pairs(src) if kind == "sidd" else gopro_pairs(src, split)
    dst = Path(dst)
    for sub in ROLE_DIRS.values():
        folder = dst / sub
        if folder.is_dir() and any(folder.iterdir()) and not overwrite:
            raise RestoreKitError("already holds files; pass overwrite to write over them", folder)
        folder.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(items), desc=f"prepare {kind}", unit="image", disable=not progress)
    total = 0
    with bar:
        if workers == 1:
            for item in items:
                total += _crop_pair(item, dst, size, step)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1)) as pool:
                jobs = [pool.submit(_crop_pair, item, dst, size, step) for item in items]
                for job in jobs:
                    total += job.result()
                    bar.update()
    return total
