"""`restorekit denoise --camera auto`: one zero-pair model per camera and ISO, adapted on first
use and cached (issue #21).

For each photo, :func:`camera_model` reads make, model and ISO from the EXIF, looks the camera up
in darktable's noise profiles and returns the cached model adapted to it
(:func:`restorekit.adapt.zero_pair.adapt_to_profile`, over the photo itself shrunk 4x),
adapting it first when the cache has none. The cache is ``$RESTOREKIT_CACHE/cameras``, else
``$XDG_CACHE_HOME/restorekit/cameras``, else ``~/.cache/restorekit/cameras``; a file there is
named by camera, ISO and base model (``nikon-d800-iso3200-aindnet-sn.safetensors``; a base
given as a file adds a digest of its bytes), so a new base never reuses an old adaptation.

The base is ``adapt``'s (``aindnet-sn``, the model before any real pairs, what
``benchmarks/zero_pair.py`` measured) unless the user names a model. Whatever stops the
adaptation (no EXIF, no profile file, no profile for the camera or ISO, a photo too small to
learn from) is not an error: the photo is restored with the fallback model (the default
denoiser, or the model the user named) and the reason comes back as a one-line note.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from PIL import Image

from restorekit.adapt.finetune import AdaptOptions
from restorekit.adapt.profiles import NoiseProfile, NoiseProfiles
from restorekit.adapt.zero_pair import LIKE_DOWNSCALE, adapt_to_profile
from restorekit.errors import RestoreKitError
from restorekit.infer import DEFAULT_MODEL, restore_files
from restorekit.infer.files import expand_inputs, plan_jobs
from restorekit.io import cache_root
from restorekit.weights import bundled_models

PathArg = str | PathLike[str]

SHRINK = LIKE_DOWNSCALE
"""The photo is shrunk this much (area average) to serve as its own clean image."""
MIN_CLEAN_SIDE = 128
"""Shortest side, after shrinking, a photo needs to adapt from (96 px patches plus a hold-out)."""


@dataclass(frozen=True)
class CameraChoice:
    """The model to restore one photo with, and why: ``note`` is None when it is the camera's."""

    model: str
    note: str | None = None
    profile: NoiseProfile | None = None


def cache_dir() -> Path:
    """Where adapted camera models are kept (module docstring)."""
    return cache_root() / "cameras"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@functools.lru_cache(maxsize=8)
def _base_tag(base: str) -> str:
    """The base's bundled name, or its file name plus a digest of its bytes (once per process,
    not once per photo)."""
    if base in bundled_models():
        return _slug(base)
    path = Path(base)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{_slug(path.stem)}-{digest}"


def cache_path(profile: NoiseProfile, base: str) -> Path:
    """The cache file of ``base`` adapted to ``profile``'s camera and ISO."""
    name = f"{_slug(profile.camera)}-iso{profile.iso:g}-{_base_tag(base)}.safetensors"
    return cache_dir() / name


def camera_model(
    photo: PathArg,
    base: str,
    *,
    profiles: NoiseProfiles | None = None,
    fallback: str | None = None,
    **options: Any,
) -> CameraChoice:
    """The model for ``photo``: its camera's cached adaptation of ``base`` (made now if missing),
    or ``fallback`` (default: ``base``) with a note saying why not. ``options`` go to
    ``adapt_to_profile`` (e.g. ``minutes``, ``progress``)."""
    fallback = fallback or base
    try:
        table = profiles if profiles is not None else NoiseProfiles.load()
        profile = table.for_photo(photo)
    except RestoreKitError as err:
        return CameraChoice(fallback, f"{err}; using {fallback}")
    target = cache_path(profile, base)
    if target.is_file():
        return CameraChoice(str(target), None, profile)
    with Image.open(photo) as image:
        width, height = image.size
    if min(width, height) // SHRINK < MIN_CLEAN_SIDE:
        note = (
            f"{photo}: {width}x{height} px is too small to adapt from (needs "
            f"{SHRINK * MIN_CLEAN_SIDE} px a side); using {fallback}"
        )
        return CameraChoice(fallback, note, profile)
    target.parent.mkdir(parents=True, exist_ok=True)
    adapt_to_profile(target, profile, table.path, photo, downscale=SHRINK, base=base, **options)
    return CameraChoice(str(target), None, profile)


def restore_by_camera(
    inputs: PathArg | Sequence[PathArg],
    output: PathArg | None = None,
    *,
    base: str | None = None,
    profiles: PathArg | None = None,
    minutes: float | None = AdaptOptions.minutes,
    progress: bool | None = None,
    **options: Any,
) -> tuple[list[Path], list[str]]:
    """Denoise each photo with its camera's model (:func:`camera_model`); returns the files
    written and the notes of photos restored with the fallback instead: ``base`` when given
    (it is then also what is adapted), else the default denoiser, while ``adapt``'s default
    base is adapted. ``options`` go to ``restorekit.infer.restore_files``."""
    fallback = base or DEFAULT_MODEL
    base = base or AdaptOptions.base
    plan_jobs(inputs, output)  # every output path checked before any adaptation
    notes: list[str] = []
    table: NoiseProfiles | None = None
    try:
        table = NoiseProfiles.load(profiles)
    except RestoreKitError as err:
        notes.append(f"{err}; using {fallback} for every photo")
    groups: dict[str, list[Path]] = {}
    for photo in expand_inputs(inputs):
        if table is None:
            choice = CameraChoice(fallback)
        else:
            choice = camera_model(
                photo, base, profiles=table, fallback=fallback, minutes=minutes, progress=progress
            )
        if choice.note:
            notes.append(choice.note)
        groups.setdefault(choice.model, []).append(photo)
    written: list[Path] = []
    for model, photos in groups.items():
        written += restore_files(photos, output, model=model, progress=progress, **options)
    return written, notes
