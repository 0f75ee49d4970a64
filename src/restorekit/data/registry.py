"""One name -> dataset-class dict, so a YAML recipe names a dataset the way it names a model."""

from __future__ import annotations

import inspect
from typing import Any

from restorekit.data.base import ImageDataset
from restorekit.data.dnd import DND
from restorekit.data.folders import CleanFolder, PairedFolder, Rain13k
from restorekit.data.gopro import GoPro
from restorekit.data.sidd import SIDDMedium, SIDDVal
from restorekit.errors import RestoreKitError

DATASETS: dict[str, type[ImageDataset]] = {
    "clean_folder": CleanFolder,
    "paired_folder": PairedFolder,
    "sidd_medium": SIDDMedium,
    "sidd_val": SIDDVal,
    "dnd": DND,
    "gopro": GoPro,
    "rain13k": Rain13k,
}


def list_datasets() -> list[str]:
    """All dataset names, sorted."""
    return sorted(DATASETS)


def build_dataset(name: str, **kwargs: Any) -> ImageDataset:
    """Build dataset ``name`` with ``kwargs``; unknown names and options are user errors."""
    try:
        cls = DATASETS[name]
    except KeyError:
        raise RestoreKitError(
            f"unknown dataset '{name}'; known datasets: {', '.join(list_datasets())}"
        ) from None
    params = inspect.signature(cls.__init__).parameters
    known = [p for p in params if p != "self"]
    unknown = sorted(k for k in kwargs if k not in known)
    if unknown:
        raise RestoreKitError(
            f"dataset '{name}' has no option(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    missing = [
        p.name
        for p in params.values()
        if p.name != "self" and p.default is inspect.Parameter.empty and p.name not in kwargs
    ]
    if missing:
        raise RestoreKitError(f"dataset '{name}' needs option(s) {', '.join(missing)}")
    return cls(**kwargs)
