"""Datasets, patch sampling, augmentation and loaders (see ``loader`` for the seeding scheme).

Every dataset yields dicts of CHW float32 tensors: paired ones ``{"noisy", "clean", "name"}``,
clean-only ones ``{"clean", "name"}`` (noise is added per batch on the training device by
:class:`SynthesizeBatch`), DND ``{"noisy", "name"}``. Build them by name with
:func:`build_dataset`.
"""

from restorekit.data.base import FileDataset, FileItem, ImageDataset
from restorekit.data.dnd import DND
from restorekit.data.folders import CleanFolder, PairedFolder, Rain13k, pick_images, read_split
from restorekit.data.gopro import GoPro
from restorekit.data.loader import EpochSampler, make_loader, seed_worker
from restorekit.data.registry import DATASETS, build_dataset, list_datasets
from restorekit.data.sidd import SIDDMedium, SIDDVal
from restorekit.data.synthetic import SynthesizeBatch

__all__ = [
    "DATASETS",
    "DND",
    "CleanFolder",
    "EpochSampler",
    "FileDataset",
    "FileItem",
    "GoPro",
    "ImageDataset",
    "PairedFolder",
    "Rain13k",
    "SIDDMedium",
    "SIDDVal",
    "SynthesizeBatch",
    "build_dataset",
    "list_datasets",
    "make_loader",
    "pick_images",
    "read_split",
    "seed_worker",
]
