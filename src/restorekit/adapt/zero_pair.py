"""Zero-pair adaptation (issue #21): a camera's noise profile turned into training pairs.

A photographer has no noisy/clean pairs, but darktable has measured the raw noise of their
camera at their ISO (:mod:`restorekit.adapt.profiles`). :func:`adapt_to_camera` synthesises that
noise over clean images with the ``profiled`` noise model (per-channel Poisson-Gaussian raw
noise -> Bayer mosaic -> demosaic -> response curve -> JPEG, :mod:`restorekit.noise.profiled`)
and hands the pairs to :func:`restorekit.adapt.adapt`, which fine-tunes the transfer groups as
for real pairs.

The clean images are a folder the user names (low-ISO photos, any size), or the photo itself
(``--like``), shrunk by an area average: ``downscale`` k divides the noise it already holds by
about k (k x k pixels averaged), so a 24 MP ISO 3200 photo at k = 4 is a 1.5 MP image whose own
noise is a quarter of the noise then added. Each clean image gives ``copies`` pairs with
independent noise (seeded per image and copy); the hold-out is the bottom strip of every pair
(``holdout_by="strip"``), so no scene is in both halves with different noise.

The response curve is drawn from the built-in parametric bank unless ``crf_bank`` names
CBDNet's DoRF folder; JPEG quality is drawn from ``jpeg`` (in-camera JPEGs; None for none);
``gain`` scales the profile's raw range to the curve's input (:data:`DEFAULT_GAIN`).
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restorekit.adapt.finetune import AdaptResult, adapt
from restorekit.adapt.pairs import Pair
from restorekit.adapt.profiles import NoiseProfile, NoiseProfiles
from restorekit.errors import RestoreKitError
from restorekit.io import list_images, read_camera, read_image
from restorekit.noise import build_noise
from restorekit.noise.base import NoiseModel

PathArg = str | PathLike[str]

DEFAULT_JPEG = (85, 100)
"""In-camera JPEG quality range drawn per pair (cameras save at 85-98 by default)."""
DEFAULT_GAIN = 4.0
"""Irradiance of a raw value 1 (``restorekit.noise.profiled``): on PolyU's train pairs (9 camera/ISO
groups, ``benchmarks/profile_physics.py``) gain 4 predicts the measured sRGB noise std to within
10 % (median), gain 1 under-predicts it by a third."""
LIKE_DOWNSCALE = 4
"""How much a photo is area-averaged to serve as its own clean image (``like``, no ``clean``)."""
MAX_CLEAN_PIXELS = 4_000_000
"""Clean images larger than this (after ``downscale``) are shrunk further, to bound memory."""


def profile_noise(
    profile: NoiseProfile,
    *,
    crf_bank: PathArg | None = None,
    jpeg: int | Sequence[int] | None = DEFAULT_JPEG,
    gain: float = DEFAULT_GAIN,
) -> NoiseModel:
    """The ``profiled`` noise model of one camera at one ISO."""
    return build_noise(
        "profiled",
        a=list(profile.a),
        b=list(profile.b),
        gain=gain,
        crf_bank=None if crf_bank is None else str(crf_bank),
        jpeg=None if jpeg is None else (list(jpeg) if isinstance(jpeg, Sequence) else int(jpeg)),
    )


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Area-average a CHW image by an integer ``factor`` (edges that do not fill a block are
    cropped); the mean of ``factor**2`` pixels keeps 1/``factor`` of their independent noise."""
    if factor < 1:
        raise RestoreKitError(f"downscale must be >= 1, got {factor}")
    if factor == 1:
        return image
    c, h, w = image.shape
    h, w = h // factor * factor, w // factor * factor
    if h == 0 or w == 0:
        raise RestoreKitError(
            f"an image of {image.shape[2]}x{image.shape[1]} px cannot shrink {factor}x"
        )
    blocks = image[:, :h, :w].reshape(c, h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(2, 4), dtype=np.float64).astype(np.float32)


def clean_images(
    sources: PathArg | Sequence[PathArg], downscale: int = 1
) -> list[tuple[str, np.ndarray]]:
    """(name, CHW float32 RGB) of each image in ``sources`` (files or folders), shrunk by
    ``downscale`` and, beyond :data:`MAX_CLEAN_PIXELS`, by the next factor that fits."""
    items = [sources] if isinstance(sources, str | PathLike) else list(sources)
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        paths.extend(list_images(path) if path.is_dir() else [path])
    if not paths:
        raise RestoreKitError("no clean images found", items[0] if items else ".")
    images = []
    for path in paths:
        image = read_image(path)[0]
        if image.shape[0] != 3:
            raise RestoreKitError("clean images must be colour (RGB) photos", path)
        factor = downscale
        while image.shape[1] * image.shape[2] / factor**2 > MAX_CLEAN_PIXELS:
            factor += 1
        images.append((path.name, shrink(image, factor)))
    return images


def synthetic_pairs(
    clean: Sequence[tuple[str, np.ndarray]], noise: NoiseModel, *, copies: int = 4, seed: int = 0
) -> list[Pair]:
    """``copies`` noisy versions of each clean image, as pairs named ``<name>#<k>``."""
    if copies < 1:
        raise RestoreKitError(f"copies must be >= 1, got {copies}")
    pairs = []
    for index, (name, image) in enumerate(clean):
        x = torch.from_numpy(np.ascontiguousarray(image))[None]
        for k in range(copies):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + index * 1009 + k)
            noisy = noise(x, generator).noisy.clamp(0.0, 1.0)[0].numpy()
            pairs.append(Pair(f"{name}#{k}", noisy.astype(np.float32), image))
    return pairs


def camera_profile(
    *,
    camera: str | None = None,
    iso: float | None = None,
    like: PathArg | None = None,
    profiles: PathArg | None = None,
) -> tuple[NoiseProfile, Path]:
    """The noise profile of ``camera`` at ``iso`` or of ``like``'s EXIF (camera and ISO, each
    overridable), and the profile file it came from."""
    if (camera is None) == (like is None):
        raise RestoreKitError("give a camera (with its ISO) or a photo to take them from")
    table = NoiseProfiles.load(profiles)
    make, model = "", camera or ""
    if like is not None:
        exif = read_camera(like)
        if exif.model is None:
            raise RestoreKitError("no EXIF camera model: give the camera by name", like)
        make, model = exif.make or "", exif.model
        iso = iso if iso is not None else exif.iso
        if iso is None:
            raise RestoreKitError("no EXIF ISO: give the ISO", like)
    if iso is None:
        raise RestoreKitError(f"give the ISO {camera} shot at")
    return table.lookup(make, model, float(iso)), table.path


def adapt_to_camera(
    output: PathArg | None = None,
    *,
    camera: str | None = None,
    iso: float | None = None,
    like: PathArg | None = None,
    clean: PathArg | Sequence[PathArg] | None = None,
    downscale: int | None = None,
    profiles: PathArg | None = None,
    **options: Any,
) -> AdaptResult:
    """Adapt ``options["base"]`` to a camera's noise with zero pairs (module docstring).

    ``clean``: files or folders of clean photos; without it, the ``like`` photo itself.
    ``downscale``: area-average factor for the clean images (default 1 for ``clean``,
    :data:`LIKE_DOWNSCALE` for the photo itself). ``options``: those of
    :func:`adapt_to_profile` (``copies``, ``crf_bank``, ``jpeg``, ``gain``) and of
    :func:`restorekit.adapt.adapt` (``holdout_by`` defaults to ``strip``; ``minutes`` to
    ``AdaptOptions.minutes`` as with real pairs: 3 and 5 minutes scored within 0.11 dB on PolyU's
    test groups, ``docs/camera_profiles.md``).
    """
    profile, source = camera_profile(camera=camera, iso=iso, like=like, profiles=profiles)
    if clean is None:
        if like is None:
            raise RestoreKitError("give clean images to synthesise the camera's noise over")
        clean, downscale = like, LIKE_DOWNSCALE if downscale is None else downscale
    return adapt_to_profile(
        output,
        profile,
        source,
        clean,
        downscale=1 if downscale is None else downscale,
        **options,
    )


def adapt_to_profile(
    output: PathArg | None,
    profile: NoiseProfile,
    source: PathArg,
    clean: PathArg | Sequence[PathArg],
    *,
    downscale: int = 1,
    copies: int = 4,
    crf_bank: PathArg | None = None,
    jpeg: int | Sequence[int] | None = DEFAULT_JPEG,
    gain: float = DEFAULT_GAIN,
    **options: Any,
) -> AdaptResult:
    """:func:`adapt_to_camera` for a profile already looked up (``source``: the profile file it
    came from), over ``clean`` images shrunk ``downscale`` times."""
    noise = profile_noise(profile, crf_bank=crf_bank, jpeg=jpeg, gain=gain)
    images = clean_images(clean, downscale)
    pairs = synthetic_pairs(images, noise, copies=copies, seed=int(options.get("seed", 0)))
    origin = {
        "camera": profile.as_dict(),
        "profiles_file": str(source),
        "clean": [name for name, _ in images],
        "downscale": downscale,
        "copies": copies,
        "noise": noise.config(),
        "summary": (
            f"noise of {profile.describe()} (from {source}), over {len(images)} clean "
            f"image(s) shrunk {downscale}x, {copies} noisy copies each"
        ),
    }
    options.setdefault("holdout_by", "strip")
    return adapt(pairs, output, origin=origin, **options)
