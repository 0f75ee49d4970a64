"""GoPro deblurring pairs (Nah, Kim, Lee, CVPR 2017) in the original layout.

``root/<split>/<sequence>/blur/*.png`` pairs with ``.../sharp/*.png`` of the same name (the
optional ``blur_gamma`` folders are not used). The blurry frame is the sample's "noisy" image
(the degraded input) and the sharp one its "clean" target. Training usually reads the 512/256
crops of ``restorekit prepare gopro`` through ``paired_folder`` instead of full frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from restorekit.data.base import FileDataset, FileItem
from restorekit.data.folders import PathArg, pair_folders
from restorekit.errors import RestoreKitError


def gopro_pairs(root: PathArg, split: str = "train") -> list[FileItem]:
    """The (blur, sharp) pairs of one split, named ``<sequence>/<frame file>``."""
    base = Path(root) / split
    if not base.is_dir():
        raise RestoreKitError(f"no '{split}' folder in the GoPro root", root)
    items = []
    for sequence in sorted(p for p in base.iterdir() if p.is_dir()):
        if not (sequence / "blur").is_dir() and not (sequence / "sharp").is_dir():
            continue
        for item in pair_folders(sequence / "blur", sequence / "sharp"):
            items.append(FileItem(f"{sequence.name}/{item.name}", item.files))
    if not items:
        raise RestoreKitError("no <sequence>/blur + <sequence>/sharp folders found", base)
    return items


class GoPro(FileDataset):
    """GoPro blur/sharp pairs of ``split`` ("train" or "test"); ``options``: see FileDataset."""

    def __init__(self, root: PathArg, *, split: str = "train", **options: Any) -> None:
        super().__init__(gopro_pairs(root, split), **options)
