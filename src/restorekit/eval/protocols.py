"""Evaluation protocols: a dataset, a seeded degradation and the metric variant(s), by name.

A protocol yields ``Sample``s (name, noisy, clean, true sigma) in a fixed order; everything that
decides its numbers is in ``describe()``, which the report writes next to the table.

- ``GaussianProtocol``: clean images + AWGN of a given sigma (Restormer/KAIR convention).
- ``PairsProtocol``: a folder with ``noisy/`` and ``gt/`` whose files pair by file name.
- ``DerainProtocol``: rainy/clean pairs in ``input/`` and ``target/`` (Rain100L/H, Rain13k's test
  sets), scored on the Y channel as the deraining papers do.
- ``DeblurProtocol``: blurry/sharp pairs in ``input/`` and ``target/`` or GoPro's own
  ``<sequence>/blur`` + ``<sequence>/sharp`` layout, scored on RGB (GoPro protocol).
- ``SiddValProtocol``: the SIDD validation ``.mat`` blocks, scored with both the HINet
  official float protocol and the MPRNet/Restormer clamp-to-[0,1] protocol.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from restorekit.data.base import FileItem
from restorekit.data.folders import pair_folders, pick_images, read_split
from restorekit.data.gopro import gopro_pairs
from restorekit.errors import RestoreKitError
from restorekit.eval.metric_spec import SIDD_CLAMP01, SIDD_HINET_FLOAT, MetricSpec, uint8_metric
from restorekit.io import list_images, read_image, read_mat

SIDD_NOISY_KEY = "ValidationNoisyBlocksSrgb"
GAUSSIAN_INPUTS = ("float", "uint8")
"""The Gaussian protocol's input variants: float noise (papers) or an 8-bit file (users)."""
SIDD_GT_KEY = "ValidationGtBlocksSrgb"


@dataclass(frozen=True)
class Sample:
    """One evaluation input: CHW float32 arrays; ``sigma`` is the true AWGN std in [0,1] units
    (None for real noise), given to methods that can use it (BM3D)."""

    name: str
    noisy: np.ndarray
    clean: np.ndarray
    sigma: float | None = None


class Protocol(ABC):
    """A named benchmark protocol: a fixed, ordered list of samples and how they are scored."""

    name: str
    label: str
    metrics: tuple[MetricSpec, ...]
    input_label: ClassVar[str] = "noisy input"  # the degraded input's caption in figures

    @abstractmethod
    def __len__(self) -> int:
        """How many samples ``samples()`` yields."""

    @abstractmethod
    def samples(self) -> Iterator[Sample]:
        """The samples, in a fixed order (sorted by name)."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Dataset, degradation and metric variants, for the report."""

    def _metric_list(self) -> list[dict[str, Any]]:
        return [m.describe() for m in self.metrics]


def _limit(items: list[Any], limit: int | None) -> list[Any]:
    if limit is not None and limit < 1:
        raise RestoreKitError(f"limit must be >= 1, got {limit}", params=("limit",))
    return items if limit is None else items[:limit]


def _hwc_to_chw(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array.transpose(2, 0, 1))


def gaussian_noise(shape_chw: tuple[int, ...], sigma: float, seed: int) -> np.ndarray:
    """The AWGN the Gaussian protocol adds to one image, CHW float64, std ``sigma`` ([0,1] units).

    A fresh ``numpy.random.RandomState(seed)`` draws ``normal(0, sigma, (H, W, C))`` in HWC order,
    exactly as Restormer's ``np.random.seed(0); np.random.normal(0, sigma/255, img.shape)`` and
    KAIR's ``main_test_dncnn.py`` do for every image, so our noisy inputs equal theirs.
    """
    c, h, w = shape_chw
    noise = np.random.RandomState(seed).normal(0.0, sigma, (h, w, c))
    return _hwc_to_chw(noise)


def _split(split_file: str | Path | None, split: str | None) -> tuple[Path | None, str | None]:
    """``split_file`` as a path, and ``split``: both given, or neither."""
    if (split_file is None) != (split is None):
        raise RestoreKitError(
            "give both split_file and split, or neither", params=("split_file", "split")
        )
    return None if split_file is None else Path(split_file), split


class GaussianProtocol(Protocol):
    """Clean test images + AWGN of one sigma (8-bit units), the Restormer/KAIR convention.

    Each image is read as float32 in [0,1] (gray stays 1 channel, RGB 3), gets
    ``gaussian_noise(shape, sigma/255, seed)`` (the same seed for every image, re-created per
    image, so results do not depend on order or ``limit``), and the noisy float32 image is given to
    every method **unclipped** (``input="float"``). ``input="uint8"`` is what a user's noisy file
    holds: the same noisy image clamped to [0, 1] and rounded to 8 bits before any method sees
    it. Scoring: ``uint8_metric`` (clamp, round to 8 bits, PSNR/SSIM on uint8). The "noisy"
    baseline goes through the same clamp and rounding. ``split_file``/``split`` keep only the
    listed images (a validation split of training images, to choose between models without a
    test set).
    """

    def __init__(
        self,
        dataset: str | Path,
        sigma: float,
        *,
        seed: int = 0,
        limit: int | None = None,
        metric: MetricSpec | None = None,
        input: str = "float",
        split_file: str | Path | None = None,
        split: str | None = None,
    ) -> None:
        if not 0 < sigma <= 255:
            raise RestoreKitError(f"sigma must be in (0, 255] (8-bit units), got {sigma}")
        if input not in GAUSSIAN_INPUTS:
            raise RestoreKitError(f"input must be one of {GAUSSIAN_INPUTS}, got {input!r}")
        self.input = input
        self.dataset = Path(dataset)
        self.split_file, self.split = _split(split_file, split)
        paths = list_images(dataset)
        if self.split_file is not None:
            paths = pick_images(paths, self.dataset, self.split_file, split)
        self.paths = _limit(paths, limit)
        if not self.paths:
            raise RestoreKitError("no images found", path=dataset)
        self.sigma = float(sigma)
        self.seed = int(seed)
        self.metrics = (metric or uint8_metric(),)
        set_name = self.dataset.name if self.dataset.is_dir() else self.dataset.parent.name
        if split:
            set_name = f"{set_name}-{split}"
        suffix = "" if input == "float" else f"-{input}"
        self.name = f"gaussian-{set_name}-s{self.sigma:g}{suffix}"
        self.label = f"{set_name} σ={self.sigma:g}" + ("" if input == "float" else " 8-bit in")

    def __len__(self) -> int:
        return len(self.paths)

    def samples(self) -> Iterator[Sample]:
        for path in self.paths:
            clean, _ = read_image(path)
            noise = gaussian_noise(clean.shape, self.sigma / 255.0, self.seed)
            noisy = (clean + noise).astype(np.float32)
            if self.input == "uint8":
                noisy = np.round(np.clip(noisy, 0.0, 1.0) * 255.0).astype(np.float32) / 255.0
            yield Sample(path.name, noisy, clean, self.sigma / 255.0)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": "gaussian",
            "dataset": {
                "path": str(self.dataset),
                "images": len(self.paths),
                "split_file": None if self.split_file is None else str(self.split_file),
                "split": self.split,
            },
            "degradation": {
                "type": "additive white Gaussian noise",
                "sigma_255": self.sigma,
                "sigma": self.sigma / 255.0,
                "seed": self.seed,
                "seeding": (
                    "numpy RandomState(seed) re-created for every image (same seed per image), "
                    "normal(0, sigma/255) drawn in HWC order (Restormer/KAIR convention)"
                ),
                "input": "clean image read as float32 in [0,1]; noisy = clean + noise, float32"
                + ("" if self.input == "float" else ", then clamped to [0,1] and rounded to uint8"),
                "clipping": (
                    "noisy input NOT clipped: methods receive values outside [0,1]"
                    if self.input == "float"
                    else "noisy input clipped and rounded to 8 bits, as read from a file"
                ),
                "variant": self.input,
                "noisy_row": "the noisy input scored through the metric: clamped and rounded",
            },
            "metrics": self._metric_list(),
        }


def _name_list(names: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(sorted(names)[:most])
    return shown + (f" (+{len(names) - most} more)" if len(names) > most else "")


class PairsProtocol(Protocol):
    """Real noisy/clean pairs: ``root/noisy/NAME`` with ``root/gt/NAME``, paired by name up to the
    extension as training pairs them (``restorekit.data.pair_folders``).

    With ``split_file``/``split`` (``restorekit.data.read_split``) only the names listed there
    are used (all must exist in both folders). Unpaired files are an error, never silently
    dropped. Scoring: ``uint8_metric``.
    Subclasses for other pair folders set ``kind``, ``folders``, ``default_metric`` and
    ``degradation``, and may override ``_index``.
    """

    kind: ClassVar[str] = "pairs"
    folders: ClassVar[tuple[str, str]] = ("noisy", "gt")
    default_metric: ClassVar[MetricSpec] = uint8_metric()
    degradation: ClassVar[dict[str, str]] = {
        "type": "real noise, as captured (no synthetic degradation)"
    }

    def __init__(
        self,
        root: str | Path,
        *,
        split_file: str | Path | None = None,
        split: str | None = None,
        limit: int | None = None,
        metric: MetricSpec | None = None,
    ) -> None:
        self.root = Path(root)
        self.split_file, self.split = _split(split_file, split)
        names = None if split_file is None else read_split(split_file, split)
        items, self.pairing = self._index(names)
        items = _limit(sorted(items, key=lambda item: item.name), limit)
        if not items:
            raise RestoreKitError("no image pairs found", path=self.root)
        self.names = [item.name for item in items]
        self.pairs = [(item.files["noisy"], item.files["clean"]) for item in items]
        self.metrics = (metric or self.default_metric,)
        suffix = f"-{split}" if split else ""
        self.name = f"{self.kind}-{self.root.name}{suffix}"
        self.label = f"{self.root.name}" + (f" ({split})" if split else "")

    def _index(self, names: list[str] | None) -> tuple[list[FileItem], str]:
        """The pairs (``names``: only these) and the pairing rule in words."""
        degraded_dir, clean_dir = (self.root / folder for folder in self.folders)
        for folder in (degraded_dir, clean_dir):
            if not folder.is_dir():
                raise RestoreKitError(
                    f"a {self.kind} dataset needs {self.folders[0]}/ and {self.folders[1]}/ "
                    "folders",
                    path=folder,
                )
        pairing = (
            f"{self.folders[0]}/NAME with {self.folders[1]}/NAME (same name up to the extension)"
        )
        return pair_folders(degraded_dir, clean_dir, names), pairing

    def __len__(self) -> int:
        return len(self.names)

    def samples(self) -> Iterator[Sample]:
        for name, (noisy_path, gt_path) in zip(self.names, self.pairs, strict=True):
            noisy, _ = read_image(noisy_path)
            clean, _ = read_image(gt_path)
            if noisy.shape != clean.shape:
                raise RestoreKitError(
                    f"noisy {noisy.shape} and gt {clean.shape} differ in shape", path=noisy_path
                )
            yield Sample(name, noisy, clean, None)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "dataset": {
                "path": str(self.root),
                "images": len(self.names),
                "pairing": self.pairing,
                "split_file": None if self.split_file is None else str(self.split_file),
                "split": self.split,
            },
            "degradation": dict(self.degradation),
            "metrics": self._metric_list(),
        }


class DerainProtocol(PairsProtocol):
    """Rainy/clean pairs: ``root/input/NAME`` with ``root/target/NAME`` (MPRNet's layout of
    Rain100L/H, Test100/1200/2800), scored like the Rain13k papers: the outputs and targets are
    clamped and rounded to uint8 RGB, then PSNR/SSIM on BT.601 Y (``uint8-y``, BasicSR's
    ``test_y_channel`` as HINet validates). The "input" (or "noisy") method is the rainy input.
    """

    kind = "derain"
    input_label = "rainy input"
    folders = ("input", "target")
    default_metric = uint8_metric(y_channel=True)
    degradation: ClassVar[dict[str, str]] = {
        "type": "rain streaks as the test set holds them (Rain100L/H: synthetic streaks of Yang "
        "et al., CVPR 2017; no degradation is added here)",
        "noisy_row": "the rainy input scored through the metric",
        "y_variant": "Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255 of the uint8 RGB, not "
        "rounded (BasicSR/HINet); MPRNet's MATLAB script rounds Y to uint8 (rgb2ycbcr), a "
        "few thousandths of a dB lower (Rain100L inputs: 26.901 here, 26.898 rounded)",
    }


class DeblurProtocol(PairsProtocol):
    """Blurry/sharp pairs, scored as the GoPro protocol: uint8 RGB PSNR/SSIM, no border.

    ``root`` holds ``input/`` and ``target/`` (same file names; MPRNet/HINet's GoPro test
    layout, ``GoPro_samples``) or GoPro's own split folder, ``<sequence>/blur/NAME`` with
    ``<sequence>/sharp/NAME`` (e.g. ``GOPRO_Large/test``), read by :func:`gopro_pairs`.
    The "input" (or "noisy") method is the blurry input.
    """

    kind = "deblur"
    input_label = "blurry input"
    folders = ("input", "target")
    degradation: ClassVar[dict[str, str]] = {
        "type": "motion blur as the test set holds it (GoPro: averaged frames of a 240 fps "
        "camera, Nah et al., CVPR 2017; no degradation is added here)",
        "noisy_row": "the blurry input scored through the metric",
    }

    def _index(self, names: list[str] | None) -> tuple[list[FileItem], str]:
        sequences = self.root.is_dir() and any(
            (p / "blur").is_dir() for p in self.root.iterdir() if p.is_dir()
        )
        if not sequences or any((self.root / f).is_dir() for f in self.folders):
            return super()._index(names)
        items = {item.name: item for item in gopro_pairs(self.root.parent, self.root.name)}
        missing = [n for n in names or [] if n not in items]
        if missing:
            raise RestoreKitError(
                f"the split lists pairs not found: {_name_list(missing)}", self.root
            )
        pairing = "<sequence>/blur/NAME with <sequence>/sharp/NAME (GoPro layout, by name)"
        return [items[n] for n in names] if names is not None else list(items.values()), pairing


def _blocks(path: str | Path, key: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """A SIDD-style uint8 array (..., H, W, 3) as (N, H, W, 3), and its stored shape."""
    array = np.asarray(read_mat(path, key))
    if array.ndim < 3 or array.shape[-1] != 3:
        raise RestoreKitError(f"'{key}' must be (..., H, W, 3), got {array.shape}", path=path)
    return array.reshape((-1, *array.shape[-3:])), tuple(int(s) for s in array.shape)


class SiddValProtocol(Protocol):
    """SIDD validation blocks from ``.mat`` files: shape (40, 32, 256, 256, 3) uint8 RGB, keys
    ``ValidationNoisyBlocksSrgb`` / ``ValidationGtBlocksSrgb`` (other keys/shapes (..., H, W, 3)
    work too, e.g. DANet's single block with ``im_noisy`` / ``im_gt``).

    Blocks are divided by 255 (float32) and given to methods; block ``n, b`` is named
    ``NN_BB``. Two named metric variants are computed from the same outputs:
    ``clamp01`` (MPRNet/Restormer/NAFNet-paper protocol) and ``hinet-float`` (HINet/NAFNet code's
    official validation: BasicSR PSNR on the raw float output, PSNR only).
    """

    def __init__(
        self,
        noisy_mat: str | Path,
        gt_mat: str | Path,
        *,
        noisy_key: str = SIDD_NOISY_KEY,
        gt_key: str = SIDD_GT_KEY,
        limit: int | None = None,
    ) -> None:
        self.noisy_mat, self.gt_mat = Path(noisy_mat), Path(gt_mat)
        self.noisy_key, self.gt_key = noisy_key, gt_key
        self.noisy, raw_shape = _blocks(noisy_mat, noisy_key)
        self.gt, _ = _blocks(gt_mat, gt_key)
        if self.noisy.shape != self.gt.shape:
            raise RestoreKitError(
                f"noisy blocks {self.noisy.shape} and gt blocks {self.gt.shape} differ",
                path=gt_mat,
            )
        per_image = raw_shape[1] if len(raw_shape) == 5 else None
        names = [
            f"{i // per_image:02d}_{i % per_image:02d}" if per_image else f"{i:04d}"
            for i in range(self.noisy.shape[0])
        ]
        self.names = _limit(names, limit)
        self.raw_shape = raw_shape
        self.metrics = (SIDD_CLAMP01, SIDD_HINET_FLOAT)
        self.name = "sidd-val"
        self.label = "SIDD val"

    def __len__(self) -> int:
        return len(self.names)

    def samples(self) -> Iterator[Sample]:
        for index, name in enumerate(self.names):
            noisy = _hwc_to_chw(self.noisy[index].astype(np.float32) / np.float32(255.0))
            clean = _hwc_to_chw(self.gt[index].astype(np.float32) / np.float32(255.0))
            yield Sample(name, noisy, clean, None)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": "sidd-val",
            "dataset": {
                "noisy_mat": str(self.noisy_mat),
                "gt_mat": str(self.gt_mat),
                "keys": [self.noisy_key, self.gt_key],
                "stored_shape": list(self.raw_shape),
                "images": len(self.names),
                "pairing": "block index n*32+b in both arrays, named NN_BB",
            },
            "degradation": {
                "type": "real noise, as captured; uint8 blocks / 255 as float32 (no clipping)"
            },
            "metrics": self._metric_list(),
        }
