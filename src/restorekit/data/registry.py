"""Dataset classes by name, so a YAML recipe names a dataset the way it names a model."""

from __future__ import annotations

import inspect
from typing import Any

from restorekit.data.base import ImageDataset
from restorekit.data.dnd import DND
from restorekit.data.folders import CleanFolder, PairedFolder, Rain13k
from restorekit.data.gopro import GoPro
from restorekit.data.sidd import SIDDMedium, SIDDVal
from restorekit.errors import RestoreKitError
from restorekit.registry import Registry, check_options

DATASETS: Registry[type[ImageDataset]] = Registry("dataset")
for _name, _cls in {
    "clean_folder": CleanFolder,
    "paired_folder": PairedFolder,
    "sidd_medium": SIDDMedium,
    "sidd_val": SIDDVal,
    "dnd": DND,
    "gopro": GoPro,
    "rain13k": Rain13k,
}.items():
    DATASETS.add(_name, _cls)


def list_datasets() -> list[str]:
    """All dataset names, sorted."""
    return DATASETS.names()


def dataset_options(cls: type[ImageDataset]) -> list[str]:
    """The keyword options of dataset class ``cls``: its own, then those of its bases.

    A dataset's ``__init__`` names its layout options and passes ``**options`` on to its base
    class, whose keyword-only parameters (``cache``, ``patch_size``, ...) are then options too,
    up the chain until an ``__init__`` without ``**options``.
    """
    names: list[str] = []
    inits = [vars(k)["__init__"] for k in cls.__mro__ if "__init__" in vars(k)]
    for depth, init in enumerate(inits):
        params = list(inspect.signature(init).parameters.values())[1:]
        for p in params:
            passed_on = p.kind is p.VAR_KEYWORD or p.name in names
            if not passed_on and (depth == 0 or p.kind is p.KEYWORD_ONLY):
                names.append(p.name)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names


def build_dataset(name: str, **kwargs: Any) -> ImageDataset:
    """Build dataset ``name`` with ``kwargs``; unknown names and options are user errors."""
    cls = DATASETS.get(name)
    check_options(f"dataset '{name}'", kwargs, dataset_options(cls))
    missing = [
        p.name
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name not in kwargs
    ]
    if missing:
        raise RestoreKitError(f"dataset '{name}' needs option(s) {', '.join(missing)}")
    return cls(**kwargs)
