"""DND (Plötz & Roth, CVPR 2017) sRGB: noisy crops only, for the online-submission export.

Layout: ``root/info.mat`` (MATLAB v7.3; ``info.boundingboxes`` holds per image a 20 x 4 array of
1-based inclusive boxes ``[row0, col0, row1, col1]``) and ``root/images_srgb/%04d.mat`` (v7.3,
key ``InoisySRGB``, H x W x 3 float in [0, 1]). Each item is one 512 x 512 crop, named
``%04d_%02d`` with the 1-based image and box numbers, the per-crop file names the official
bundling script expects. There is no ground truth: samples are ``{"noisy", "name"}``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restorekit.data.base import ImageDataset
from restorekit.data.folders import PathArg
from restorekit.errors import RestoreKitError
from restorekit.io import read_dnd_boxes, read_mat

DND_KEY = "InoisySRGB"


class DND(ImageDataset):
    """The DND sRGB benchmark crops (50 images x 20 boxes in the real set), in order.

    Decoding an image gives all its crops; the crops of the last image read are kept, so
    reading in order decodes each image once (per DataLoader worker).
    """

    def __init__(self, root: PathArg, *, channels: int | None = 3) -> None:
        super().__init__(channels=channels)
        self.root = Path(root)
        info = self.root / "info.mat"
        if not info.is_file():
            raise RestoreKitError("DND info.mat not found", self.root)
        boxes = np.asarray(read_dnd_boxes(info)).astype(np.int64)
        if boxes.ndim != 3 or boxes.shape[2] != 4 or boxes.size == 0:
            raise RestoreKitError(
                f"expected boxes shaped (images, boxes, 4), got {boxes.shape}", info
            )
        self.boxes = boxes
        for i in range(boxes.shape[0]):
            if not self._image_path(i).is_file():
                raise RestoreKitError("DND image not found", self._image_path(i))
        self._last: tuple[int, list[np.ndarray]] | None = None

    def _image_path(self, image: int) -> Path:
        return self.root / "images_srgb" / f"{image + 1:04d}.mat"

    def num_items(self) -> int:
        return self.boxes.shape[0] * self.boxes.shape[1]

    def item_name(self, item: int) -> str:
        image, box = divmod(item, self.boxes.shape[1])
        return f"{image + 1:04d}_{box + 1:02d}"

    def load_item(self, item: int) -> dict[str, np.ndarray]:
        image, box = divmod(item, self.boxes.shape[1])
        if self._last is None or self._last[0] != image:
            self._last = (image, self._crops(image))
        return {"noisy": self._last[1][box]}

    def _crops(self, image: int) -> list[np.ndarray]:
        """All crops of one image as CHW float32 arrays."""
        path = self._image_path(image)
        noisy = np.asarray(read_mat(path, DND_KEY))
        if noisy.ndim != 3 or noisy.shape[2] != 3:
            raise RestoreKitError(f"expected an H x W x 3 image, got shape {noisy.shape}", path)
        height, width = noisy.shape[:2]
        crops = []
        for row0, col0, row1, col1 in self.boxes[image]:
            if not (1 <= row0 <= row1 <= height and 1 <= col0 <= col1 <= width):
                raise RestoreKitError(
                    f"box {[row0, col0, row1, col1]} lies outside the {height}x{width} image", path
                )
            crop = noisy[row0 - 1 : row1, col0 - 1 : col1]
            crops.append(np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32))
        return crops
