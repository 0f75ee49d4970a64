"""A camera's noisy/clean pairs for adaptation and calibration: finding, loading, holding out.

Two folder layouts are read:

* ``PAIRS_DIR/noisy/NAME`` + ``PAIRS_DIR/gt/NAME``: pairs matched by file name up to the
  extension (as ``restorekit.data.PairedFolder``); ``gt`` may itself be a burst average
  (PolyU, SIDD).
* ``PAIRS_DIR/SCENE/*``: one sub-folder per scene holding a burst of at least two aligned
  frames from a tripod. The first frame (sorted by name) is the noisy input and the mean of the
  other frames its reference; leaving the input out keeps the reference's residual noise
  independent of the input's, and ``Pair.ref_frames`` records how many frames it averages so
  calibration can remove that residual (see ``restorekit.adapt.calibrate``).

A hold-out for early stopping and before/after scores is chosen deterministically
(:func:`split_holdout`): whole pairs, spread over the sorted names, when there are enough;
otherwise the bottom strip of every pair, whose top part alone is trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np

from restorekit.data import ImageDataset
from restorekit.data.folders import pair_folders, read_split
from restorekit.data.transforms import to_channels
from restorekit.errors import RestoreKitError
from restorekit.io import list_images, read_image

PathArg = str | PathLike[str]
HoldoutBy = Literal["auto", "pairs", "strip"]
MIN_STRIP = 8  # rows; the held-out strip of a small image is never thinner


@dataclass(frozen=True)
class PairFiles:
    """Where one pair comes from: one noisy file and one clean file, or a burst of frames."""

    name: str
    noisy: Path
    clean: Path | None = None
    frames: tuple[Path, ...] = ()


@dataclass(frozen=True, eq=False)
class Pair:
    """One noisy/clean pair as CHW float32 arrays in [0, 1] of the same shape.

    ``ref_frames``: how many independent noisy frames the clean image averages (bursts), or
    None when unknown and assumed large (a given ``gt/`` image).
    """

    name: str
    noisy: np.ndarray
    clean: np.ndarray
    ref_frames: int | None = None


def find_pairs(
    pairs_dir: PathArg,
    names: Sequence[str] | None = None,
    *,
    split_file: PathArg | None = None,
    split: str | None = None,
) -> list[PairFiles]:
    """The pairs in ``pairs_dir`` (either layout), sorted by name; ``names`` keeps only those
    (file names for ``noisy/``+``gt/``, scene folder names for bursts), in the given order, as
    does a split file (``restorekit.data.read_split``: e.g. PolyU's split.json with "train")."""
    if split_file is not None:
        if names is not None:
            raise RestoreKitError("give names or a split file, not both")
        names = read_split(split_file, split)
    elif split is not None:
        raise RestoreKitError("a split needs a split file")
    root = Path(pairs_dir)
    if not root.is_dir():
        raise RestoreKitError("not a folder", root)
    noisy_dir, clean_dir = root / "noisy", root / "gt"
    if noisy_dir.is_dir() and clean_dir.is_dir():
        items = pair_folders(noisy_dir, clean_dir, None if names is None else list(names))
        return [PairFiles(i.name, i.files["noisy"], i.files["clean"]) for i in items]
    bursts = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        frames = list_images(folder)
        if len(frames) < 2:
            raise RestoreKitError("a burst needs at least two frames", folder)
        bursts[folder.name] = PairFiles(folder.name, frames[0], None, tuple(frames))
    if not bursts:
        raise RestoreKitError(
            "expected noisy/ and gt/ folders of pairs, or one sub-folder per scene holding a "
            "burst of at least two frames",
            root,
        )
    if names is None:
        return list(bursts.values())
    missing = [n for n in names if n not in bursts]
    if missing:
        raise RestoreKitError(f"no burst folder named '{missing[0]}'", root)
    return [bursts[n] for n in names]


def load_pair(files: PairFiles, channels: int | None = 3) -> Pair:
    """Read one pair (or average one burst) as float32 arrays with ``channels`` channels."""

    def read(path: Path) -> np.ndarray:
        return to_channels(read_image(path)[0], channels)

    if files.frames:
        frames = [read(p) for p in files.frames]
        shapes = {f.shape for f in frames}
        if len(shapes) != 1:
            raise RestoreKitError(
                f"the frames of a burst differ in size: {sorted(shapes)}", files.noisy.parent
            )
        clean = np.mean(frames[1:], axis=0, dtype=np.float64).astype(np.float32)
        return Pair(files.name, frames[0], clean, len(frames) - 1)
    if files.clean is None:
        raise RestoreKitError("a pair needs a clean image", files.noisy)
    noisy, clean = read(files.noisy), read(files.clean)
    if noisy.shape != clean.shape:
        raise RestoreKitError(
            f"noisy {'x'.join(map(str, noisy.shape))} and clean "
            f"{'x'.join(map(str, clean.shape))} differ in size",
            files.noisy,
        )
    return Pair(files.name, noisy, clean)


def load_pairs(
    pairs_dir: PathArg,
    names: Sequence[str] | None = None,
    channels: int | None = 3,
    *,
    split_file: PathArg | None = None,
    split: str | None = None,
) -> list[Pair]:
    """The pairs ``find_pairs`` selects, read into memory."""
    found = find_pairs(pairs_dir, names, split_file=split_file, split=split)
    return [load_pair(f, channels) for f in found]


@dataclass(frozen=True)
class Holdout:
    """Training pairs and held-out pairs (or strips); ``by`` says which kind of hold-out."""

    train: list[Pair]
    held_out: list[Pair]
    by: Literal["pairs", "strip"]


def centre_crop(pair: Pair, size: int | None) -> Pair:
    """``pair`` cropped to its central ``size`` x ``size`` (no-op for None or smaller images)."""
    if size is None:
        return pair
    _, h, w = pair.noisy.shape
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    box = (slice(None), slice(top, top + size), slice(left, left + size))
    return Pair(pair.name, pair.noisy[box], pair.clean[box], pair.ref_frames)


def split_holdout(
    pairs: Sequence[Pair],
    fraction: float = 0.25,
    by: HoldoutBy = "auto",
    eval_size: int | None = 512,
) -> Holdout:
    """Hold out ``fraction`` of the pairs for scoring, deterministically.

    ``by="pairs"`` holds out ``floor(n * fraction)`` whole pairs, spread evenly over the pairs
    sorted by name; ``"strip"`` holds out the bottom ``fraction`` of every pair's rows (at least
    8) and trains on the rows above; ``"auto"`` takes pairs when at least one whole pair falls
    to the hold-out (n >= 4 at 0.25), else strips. Held-out images are centre-cropped to at
    most ``eval_size`` per side so scoring stays cheap on large photos.
    """
    if not pairs:
        raise RestoreKitError("no pairs to adapt on")
    if not 0 < fraction < 1:
        raise RestoreKitError(f"the hold-out fraction must be in (0, 1), got {fraction}")
    ordered = sorted(pairs, key=lambda p: p.name)
    count = math.floor(len(ordered) * fraction)
    if by == "pairs" and count < 1:
        raise RestoreKitError(
            f"holding out {fraction:g} of {len(ordered)} pair(s) leaves no whole pair; "
            "hold out strips instead"
        )
    if by == "pairs" or (by == "auto" and count >= 1):
        chosen = {int((j + 0.5) * len(ordered) / count) for j in range(count)}
        train = [p for i, p in enumerate(ordered) if i not in chosen]
        held = [centre_crop(ordered[i], eval_size) for i in sorted(chosen)]
        return Holdout(train, held, "pairs")
    if by not in ("auto", "strip"):
        raise RestoreKitError(f"hold-out by must be auto, pairs or strip, got {by!r}")
    train, held = [], []
    for pair in ordered:
        height = pair.noisy.shape[1]
        rows = max(MIN_STRIP, math.ceil(height * fraction))
        if height - rows < MIN_STRIP:
            raise RestoreKitError(
                f"the image is {height} pixels high, too small to hold out a strip", pair.name
            )
        cut = height - rows
        top, bottom = np.s_[:, :cut], np.s_[:, cut:]
        train.append(Pair(pair.name, pair.noisy[top], pair.clean[top], pair.ref_frames))
        strip = Pair(f"{pair.name} (bottom {rows} rows)", pair.noisy[bottom], pair.clean[bottom])
        held.append(centre_crop(strip, eval_size))
    return Holdout(train, held, "strip")


class PairDataset(ImageDataset):
    """In-memory pairs as a restorekit dataset yielding ``{"noisy", "clean", "name"}``.

    Random crops and dihedral flips come from ``restorekit.data``'s per-sample RNG; ``length``
    makes an epoch longer than the number of pairs (index ``i`` shows pair ``i % n``).
    """

    def __init__(
        self,
        pairs: Sequence[Pair],
        *,
        patch_size: int | None = None,
        augment: bool = False,
        seed: int = 0,
        length: int | None = None,
    ) -> None:
        super().__init__(
            patch_size=patch_size, augment=augment, channels=None, seed=seed, length=length
        )
        if not pairs:
            raise RestoreKitError("the dataset has no pairs")
        self.pairs = list(pairs)

    def num_items(self) -> int:
        return len(self.pairs)

    def item_name(self, item: int) -> str:
        return self.pairs[item].name

    def load_item(self, item: int) -> dict[str, np.ndarray]:
        pair = self.pairs[item]
        return {"noisy": pair.noisy, "clean": pair.clean}
