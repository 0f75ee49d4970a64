"""SIDD: the SIDD-Medium sRGB training pairs and the 1280 validation blocks.

SIDD-Medium sRGB (Abdelhamed, Lin, Brown, CVPR 2018) keeps each scene in
``Data/<scene>/NOISY_SRGB_010.PNG`` + ``GT_SRGB_010.PNG`` (and ``_011``): 160 scenes, 320 pairs
of full camera frames. Decoding a full frame per patch is slow, so training usually reads the
512/384 crops made by ``restorekit prepare sidd`` through ``paired_folder`` instead.

The validation set is two MATLAB v5 files of uint8 RGB blocks shaped (40, 32, 256, 256, 3):
``ValidationNoisyBlocksSrgb.mat`` / ``ValidationGtBlocksSrgb.mat``, keys equal to the stems.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from restorekit.data.base import FileDataset, FileItem, ImageDataset
from restorekit.data.folders import PathArg
from restorekit.errors import RestoreKitError
from restorekit.io import read_mat

_NOISY = re.compile(r"NOISY_SRGB_(\d+)\.png", re.IGNORECASE)
_GT = re.compile(r"GT_SRGB_(\d+)\.png", re.IGNORECASE)

SIDD_VAL_FILES = {"noisy": "ValidationNoisyBlocksSrgb", "clean": "ValidationGtBlocksSrgb"}


def sidd_medium_pairs(root: PathArg) -> list[FileItem]:
    """The (noisy, GT) pairs of SIDD-Medium sRGB, named ``<scene>_<instance>`` (e.g. ``..._010``).

    ``root`` is the SIDD_Medium_Srgb folder (holding ``Data/``) or its ``Data`` folder.
    """
    root = Path(root)
    data = root / "Data" if (root / "Data").is_dir() else root
    if not data.is_dir():
        raise RestoreKitError("not a folder", root)
    items = []
    for scene in sorted(p for p in data.iterdir() if p.is_dir()):
        noisy, gt = {}, {}
        for path in scene.iterdir():
            for pattern, found in ((_NOISY, noisy), (_GT, gt)):
                match = pattern.fullmatch(path.name)
                if match:
                    found[match.group(1)] = path
        for instance in sorted(set(noisy) | set(gt)):
            if instance not in gt:
                raise RestoreKitError("no GT_SRGB partner", noisy[instance])
            if instance not in noisy:
                raise RestoreKitError("no NOISY_SRGB partner", gt[instance])
            files = {"noisy": noisy[instance], "clean": gt[instance]}
            items.append(FileItem(f"{scene.name}_{instance}", files))
    if not items:
        raise RestoreKitError("no NOISY_SRGB_*.PNG / GT_SRGB_*.PNG pairs found", data)
    return items


class SIDDMedium(FileDataset):
    """SIDD-Medium sRGB pairs read from the original folders (full frames; see module notes).

    ``options``: those of :class:`FileDataset`.
    """

    def __init__(self, root: PathArg, **options: Any) -> None:
        super().__init__(sidd_medium_pairs(root), **options)


class SIDDVal(ImageDataset):
    """The 40 x 32 SIDD validation blocks of 256 x 256, named ``<image>_<block>`` (``07_31``).

    Both numbers are 0-based. ``root`` holds ``ValidationNoisyBlocksSrgb.mat`` and
    ``ValidationGtBlocksSrgb.mat``; both arrays are loaded into memory as uint8 (2 x 252 MB)
    when the dataset is built. ``options``: those of :class:`ImageDataset`.
    """

    def __init__(self, root: PathArg, **options: Any) -> None:
        super().__init__(**options)
        self.blocks: dict[str, np.ndarray] = {}
        for role, stem in SIDD_VAL_FILES.items():
            path = Path(root) / f"{stem}.mat"
            if not path.is_file():
                raise RestoreKitError(f"SIDD validation file {path.name} not found", root)
            array = np.asarray(read_mat(path, stem))
            if array.ndim != 5 or array.shape[-1] != 3 or array.dtype != np.uint8:
                raise RestoreKitError(
                    f"expected uint8 blocks shaped (images, blocks, H, W, 3), "
                    f"got {array.dtype} {array.shape}",
                    path,
                )
            self.blocks[role] = array
        shapes = {a.shape for a in self.blocks.values()}
        if len(shapes) != 1:
            raise RestoreKitError(f"noisy and GT blocks differ in shape: {sorted(shapes)}", root)

    def num_items(self) -> int:
        images, blocks = self.blocks["noisy"].shape[:2]
        return images * blocks

    def item_name(self, item: int) -> str:
        image, block = divmod(item, self.blocks["noisy"].shape[1])
        return f"{image:02d}_{block:02d}"

    def load_item(self, item: int) -> dict[str, np.ndarray]:
        image, block = divmod(item, self.blocks["noisy"].shape[1])
        return {
            role: array[image, block].transpose(2, 0, 1).astype(np.float32) / np.float32(255)
            for role, array in self.blocks.items()
        }
