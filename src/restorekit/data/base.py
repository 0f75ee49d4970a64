"""What every restorekit dataset shares: sample keys, per-sample RNG, patches, channels, caching.

A dataset is a list of *items* (an image, a pair, a DND crop). ``__getitem__`` accepts a plain
index or a key ``(index, epoch)`` — the form :func:`restorekit.data.make_loader`'s sampler
yields — and draws the random patch and dihedral mode from ``sample_rng(seed, epoch, index)``
(see :mod:`restorekit.data.loader` for the whole seeding scheme). ``length`` makes an epoch
longer than the number of items (HINet's SIDD recipe uses 320,000): index ``i`` shows item
``i % num_items`` with its own patch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from restorekit.data.transforms import crop_and_augment, sample_rng, to_channels
from restorekit.errors import RestoreKitError
from restorekit.io import read_image

SampleKey = int | tuple[int, int]


class ImageDataset(Dataset):
    """Base class: subclasses list their items and load one as CHW float32 arrays by role.

    Options of every dataset: ``patch_size`` (None: whole images), ``augment`` (random dihedral
    transform), ``channels`` (1, 3, or None to keep each image's own), ``seed`` and ``length``
    (see the module notes). Subclasses take their layout options and pass ``**options`` on.
    """

    def __init__(
        self,
        *,
        patch_size: int | None = None,
        augment: bool = False,
        channels: int | None = 3,
        seed: int = 0,
        length: int | None = None,
    ) -> None:
        if patch_size is not None and (not isinstance(patch_size, int) or patch_size < 1):
            raise RestoreKitError(
                f"patch_size must be a positive integer or None, got {patch_size}"
            )
        if channels not in (None, 1, 3):
            raise RestoreKitError(f"channels must be 1, 3 or None, got {channels}")
        if length is not None and (not isinstance(length, int) or length < 1):
            raise RestoreKitError(f"length must be a positive integer or None, got {length}")
        if not isinstance(seed, int) or seed < 0:
            raise RestoreKitError(f"seed must be a non-negative integer, got {seed}")
        self.patch_size = patch_size
        self.augment = bool(augment)
        self.channels = channels
        self.seed = seed
        self.length = length
        self.epoch = 0

    # -- what a subclass provides -------------------------------------------------------------
    def num_items(self) -> int:
        """How many distinct items (images, pairs, crops) the dataset holds."""
        raise NotImplementedError

    def item_name(self, item: int) -> str:
        """The identifier of item ``item`` (a file name, ``scene_010``, ``0001_01``, ...)."""
        raise NotImplementedError

    def load_item(self, item: int) -> dict[str, np.ndarray]:
        """Item ``item`` as ``{role: CHW float32 array}`` (roles: noisy, clean)."""
        raise NotImplementedError

    # -- shared behaviour ---------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """The epoch used for plain integer indices (keys from our sampler carry their own)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length if self.length is not None else self.num_items()

    def __getitem__(self, key: SampleKey) -> dict[str, torch.Tensor | str]:
        index, epoch = (int(key[0]), int(key[1])) if isinstance(key, tuple) else (key, self.epoch)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of length {len(self)}")
        item = index % self.num_items()
        name = self.item_name(item)
        arrays = {role: to_channels(a, self.channels) for role, a in self.load_item(item).items()}
        if len({a.shape for a in arrays.values()}) != 1:
            sizes = ", ".join(f"{r} {'x'.join(map(str, a.shape))}" for r, a in arrays.items())
            raise RestoreKitError(f"the images of '{name}' differ in size ({sizes})")
        if self.patch_size is not None or self.augment:
            rng = sample_rng(self.seed, epoch, index)
            arrays = crop_and_augment(arrays, rng, patch_size=self.patch_size, augment=self.augment)
        sample: dict[str, torch.Tensor | str] = {
            role: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
            for role, a in arrays.items()
        }
        sample["name"] = name
        return sample


class FileItem(NamedTuple):
    """One item of a file-based dataset: its name and one image file per role."""

    name: str
    files: Mapping[str, Path]


class FileDataset(ImageDataset):
    """A dataset whose items are image files read with :func:`restorekit.io.read_image`.

    With ``cache=True`` every file is decoded once, when the dataset is built (in the main
    process, so forked DataLoader workers share the memory). Cached 8/16-bit images are stored
    as uint8/uint16 when that round-trips exactly, a quarter/half of float32.
    """

    def __init__(self, items: Sequence[FileItem], *, cache: bool = False, **common: Any) -> None:
        super().__init__(**common)
        if not items:
            raise RestoreKitError("the dataset has no images")
        self.items = list(items)
        self.cache = bool(cache)
        self._cache: dict[Path, tuple[np.ndarray, float]] = {}
        if self.cache:
            for entry in self.items:
                for path in entry.files.values():
                    self._cache[path] = _compact(_read(path))

    def num_items(self) -> int:
        return len(self.items)

    def item_name(self, item: int) -> str:
        return self.items[item].name

    def load_item(self, item: int) -> dict[str, np.ndarray]:
        return {role: self._image(path) for role, path in self.items[item].files.items()}

    def _image(self, path: Path) -> np.ndarray:
        if path in self._cache:
            stored, scale = self._cache[path]
            return stored.astype(np.float32) / np.float32(scale) if scale else stored
        return _read(path)


def _read(path: Path) -> np.ndarray:
    """Decode one image to float32 CHW; the io layer raises RestoreKitError for bad files."""
    image, _ = read_image(path)
    return np.asarray(image, dtype=np.float32)


def _compact(image: np.ndarray) -> tuple[np.ndarray, float]:
    """Store ``image`` as uint8/uint16 (with its scale) when that is lossless, else as float32."""
    for dtype, scale in ((np.uint8, 255.0), (np.uint16, 65535.0)):
        stored = np.round(image * np.float32(scale)).astype(dtype)
        if np.array_equal(stored.astype(np.float32) / np.float32(scale), image):
            return stored, scale
    return image, 0.0
