"""Patch sampling and dihedral augmentation on CHW numpy arrays, driven by an explicit RNG.

Every function that draws a random number takes a ``numpy.random.Generator``; nothing here
touches a global RNG. The same draw is applied to every array of a sample (noisy and clean), so
a pair stays aligned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from restorekit.errors import RestoreKitError

# Mode m of the dihedral group D4: rotate by 90° m % 4 times (counter-clockwise, H-W plane),
# then flip left-right when m >= 4. Mode 0 is the identity.
NUM_DIHEDRAL = 8

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The RNG of one sample: a pure function of (dataset seed, epoch, sample index).

    It does not depend on the process, the rank or the DataLoader worker that draws it, so a
    resumed run (or one with another number of workers) sees exactly the same patches.
    """
    if min(seed, epoch, index) < 0:
        raise ValueError(f"seed, epoch and index must be >= 0, got {(seed, epoch, index)}")
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, index]))


def pad_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Reflect-pad a CHW array at the bottom and right up to at least ``height`` x ``width``.

    Reflection excludes the edge pixel (OpenCV's REFLECT_101, as BasicSR's ``padding``); a
    one-pixel-wide side, which cannot be reflected, is repeated instead.
    """
    _, h, w = image.shape
    pad_h, pad_w = max(0, height - h), max(0, width - w)
    if pad_h == 0 and pad_w == 0:
        return image
    mode = "reflect" if min(h, w) > 1 else "edge"
    return np.pad(image, ((0, 0), (0, pad_h), (0, pad_w)), mode=mode)


def dihedral(image: np.ndarray, mode: int) -> np.ndarray:
    """Apply dihedral ``mode`` (0..7) to a CHW array; returns a contiguous copy or the input."""
    if not 0 <= mode < NUM_DIHEDRAL:
        raise ValueError(f"dihedral mode must be in 0..7, got {mode}")
    out = np.rot90(image, k=mode % 4, axes=(1, 2))
    if mode >= 4:
        out = out[:, :, ::-1]
    return np.ascontiguousarray(out)


def crop_and_augment(
    arrays: Mapping[str, np.ndarray],
    rng: np.random.Generator,
    *,
    patch_size: int | None,
    augment: bool,
) -> dict[str, np.ndarray]:
    """One random ``patch_size`` crop (same place in every array) and one random dihedral mode.

    Arrays smaller than the patch are reflect-padded first. With ``patch_size=None`` the whole
    image is kept; with ``augment=False`` no mode is drawn. Draw order: top, left, mode.
    """
    shapes = {tuple(a.shape[1:]) for a in arrays.values()}
    if len(shapes) != 1:
        raise ValueError(f"arrays of one sample differ in size: {sorted(shapes)}")
    out = dict(arrays)
    if patch_size is not None:
        if patch_size < 1:
            raise RestoreKitError(f"patch_size must be a positive integer, got {patch_size}")
        out = {k: pad_to(a, patch_size, patch_size) for k, a in out.items()}
        _, h, w = next(iter(out.values())).shape
        top = int(rng.integers(0, h - patch_size + 1))
        left = int(rng.integers(0, w - patch_size + 1))
        out = {k: a[:, top : top + patch_size, left : left + patch_size] for k, a in out.items()}
    mode = int(rng.integers(0, NUM_DIHEDRAL)) if augment else 0
    return {k: dihedral(a, mode) for k, a in out.items()}


def to_channels(image: np.ndarray, channels: int | None) -> np.ndarray:
    """Convert a CHW array to 1 (BT.601 luma) or 3 (gray repeated) channels; None keeps it."""
    c = image.shape[0]
    if channels is None or c == channels:
        return image
    if channels == 3 and c == 1:
        return np.repeat(image, 3, axis=0)
    if channels == 1 and c == 3:
        return np.tensordot(_LUMA, image, axes=1)[None].astype(np.float32, copy=False)
    raise RestoreKitError(f"cannot convert a {c}-channel image to {channels} channels")
