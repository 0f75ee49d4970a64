"""Run methods over protocols and write the report; ``run_eval`` is what ``restorekit eval`` calls.

``evaluate(protocols, methods, out_dir)`` is the Python API: protocol objects and method objects
in, an ``EvalReport`` out (and its files written). ``EvalSpec`` + ``run_eval`` build those objects
from plain options (the CLI's), validated in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from restorekit.errors import RestoreKitError
from restorekit.eval.dnd import DND_MARGIN, export_dnd
from restorekit.eval.figure import FigureRow, choose_crop, crop
from restorekit.eval.methods import Method, ModelMethod, NoisyMethod, build_method
from restorekit.eval.metric_spec import uint8_metric
from restorekit.eval.protocols import (
    GAUSSIAN_INPUTS,
    SIDD_GT_KEY,
    SIDD_NOISY_KEY,
    DeblurProtocol,
    DerainProtocol,
    GaussianProtocol,
    PairsProtocol,
    Protocol,
    SiddValProtocol,
)
from restorekit.eval.report import EvalReport, ImageRecord
from restorekit.infer.precision import PRECISIONS
from restorekit.infer.tiling import check_tile_size
from restorekit.io.targets import check_output_folder
from restorekit.registry import Registry


def _info_text(info: dict[str, Any]) -> str:
    return ";".join(f"{k}={v}" for k, v in info.items())


def evaluate(
    protocols: Sequence[Protocol],
    methods: Sequence[Method],
    out_dir: str | Path | None = None,
    *,
    figure_images: int = 3,
    crop_size: int = 128,
    progress: bool = True,
    settings: dict[str, Any] | None = None,
) -> EvalReport:
    """Score every method on every protocol's samples; write the report if ``out_dir`` is given.

    Each method sees each image once; every metric variant of the protocol scores that output.
    The first ``figure_images`` images of each protocol go into its crop figure (degraded input,
    each method, clean; captions give the PSNR of the protocol's first metric variant).
    """
    names = [m.name for m in methods]
    if not names or len(set(names)) != len(names):
        raise RestoreKitError(f"need one or more distinct methods, got {names}")
    if figure_images < 0 or crop_size < 8:
        raise RestoreKitError("figure images must be >= 0 and the crop size >= 8")
    records: list[ImageRecord] = []
    seconds: dict[str, dict[str, float]] = {}
    figures: dict[str, list[FigureRow]] = {}
    for protocol in protocols:
        spent = dict.fromkeys(names, 0.0)
        rows: list[FigureRow] = []
        samples = tqdm(
            protocol.samples(),
            total=len(protocol),
            desc=protocol.label,
            disable=None if progress else True,
        )
        for index, sample in enumerate(samples):
            keep = index < figure_images
            box = choose_crop(sample.clean, crop_size) if keep else (0, 0, 0, 0)
            lead = (protocol.input_label, crop(sample.noisy, box)) if keep else None
            panels: list[tuple[str, np.ndarray]] = []
            for method in methods:
                start = time.perf_counter()
                extra = {"reference": sample.clean} if method.uses_reference else {}
                output, info = method.run(sample.noisy, sample.sigma, **extra)
                spent[method.name] += time.perf_counter() - start
                if output.shape != sample.clean.shape:
                    raise RestoreKitError(
                        f"method '{method.name}' returned shape {output.shape} for "
                        f"{sample.name} {sample.clean.shape}"
                    )
                scores = [metric.score(output, sample.clean) for metric in protocol.metrics]
                for metric, score in zip(protocol.metrics, scores, strict=True):
                    records.append(
                        ImageRecord(
                            protocol.name,
                            metric.name,
                            method.name,
                            sample.name,
                            score.psnr,
                            score.ssim,
                            _info_text(info),
                            score.note,
                        )
                    )
                if keep:
                    panel = (f"{method.name}\n{scores[0].psnr:.2f} dB", crop(output, box))
                    if isinstance(method, NoisyMethod):
                        lead = (f"{protocol.input_label}\n{scores[0].psnr:.2f} dB", panel[1])
                    else:
                        panels.append(panel)
            if lead is not None:
                clean = ("clean", crop(sample.clean, box))
                rows.append(FigureRow(sample.name, box, (lead, *panels, clean)))
        count = max(1, len(protocol))
        seconds[protocol.name] = {m: s / count for m, s in spent.items()}
        figures[protocol.name] = rows
    report = EvalReport(
        protocols=[p.describe() for p in protocols],
        methods=[m.describe() for m in methods],
        records=records,
        seconds_per_image=seconds,
        settings=dict(settings or {}),
        figures=figures,
    )
    if out_dir is not None:
        report.write(out_dir)
    return report


INFERENCE_OPTIONS = ("device", "tile", "overlap", "tta", "precision", "local_stats")
"""The ``EvalSpec`` fields that go to every model method (``ModelMethod.load``)."""


def _require(value: Any, option: str, protocol: str) -> None:
    if value is None or value == ():
        raise RestoreKitError(f"protocol {protocol} needs {option}", params=("protocol", option))


@dataclass(frozen=True)
class EvalSpec:
    """Everything ``restorekit eval`` accepts, validated when created."""

    protocol: str
    out: str
    methods: tuple[str, ...] = ("noisy",)
    dataset: str | None = None
    sigmas: tuple[float, ...] = (15.0, 25.0, 50.0)
    inputs: tuple[str, ...] = GAUSSIAN_INPUTS
    seed: int = 0
    split_file: str | None = None
    split: str | None = None
    noisy_mat: str | None = None
    gt_mat: str | None = None
    noisy_key: str = SIDD_NOISY_KEY
    gt_key: str = SIDD_GT_KEY
    dnd_root: str | None = None
    dnd_margin: int = DND_MARGIN
    limit: int | None = None
    crop_border: int = 0
    y_channel: bool = False
    device: str = "auto"
    tile: int | tuple[int, int] | str | None = "auto"
    overlap: int = 32
    tta: bool = False
    precision: str = "auto"
    local_stats: int | None = None
    figure_images: int = 3
    crop_size: int = 128
    progress: bool = True

    def __post_init__(self) -> None:
        for option in PROTOCOLS.get(self.protocol).needs:
            _require(getattr(self, option), option, self.protocol)
        if self.protocol == "gaussian":
            unknown = sorted(set(self.inputs) - set(GAUSSIAN_INPUTS))
            if unknown:
                raise RestoreKitError(
                    f"inputs: unknown variant(s) {', '.join(unknown)}; known: {GAUSSIAN_INPUTS}",
                    params=("inputs",),
                )
        if not self.methods:
            raise RestoreKitError("methods needs at least one method", params=("methods",))
        if self.limit is not None and self.limit < 1:
            raise RestoreKitError(f"limit must be >= 1, got {self.limit}", params=("limit",))
        if self.tile is not None and self.tile != "auto":
            sides = self.tile if isinstance(self.tile, tuple) else (self.tile,)
            if len(sides) not in (1, 2) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in sides
            ):
                raise RestoreKitError(f"tile must be 'auto', None, N or (H, W), got {self.tile}")
            if self.tile:
                check_tile_size(self.tile)
        if self.local_stats is not None and self.local_stats < 2:
            raise RestoreKitError(f"local_stats must be >= 2 pixels, got {self.local_stats}")
        if self.overlap < 0:
            raise RestoreKitError(f"overlap must be >= 0, got {self.overlap}", params=("overlap",))
        if self.precision not in PRECISIONS:
            raise RestoreKitError(f"precision must be one of {PRECISIONS}", params=("precision",))
        if self.dnd_margin < 0:
            raise RestoreKitError(f"dnd_margin must be >= 0, got {self.dnd_margin}")

    def settings(self) -> dict[str, Any]:
        """Run-wide options for the report (model inference options are reported per model,
        the protocol's own options in its description)."""
        return {"protocol": self.protocol, "limit": self.limit, "methods": list(self.methods)}


def build_protocols(spec: EvalSpec) -> list[Protocol]:
    """The protocol objects an ``EvalSpec`` names (Gaussian: one per input variant and sigma)."""
    build = PROTOCOLS.get(spec.protocol).build
    if build is None:
        raise RestoreKitError(f"protocol '{spec.protocol}' has no scored samples")
    return build(spec)


@dataclass(frozen=True)
class ProtocolEntry:
    """A protocol name's required ``EvalSpec`` options and its builder (None: ``dnd-export``,
    which writes result files for the online server instead of scoring)."""

    needs: tuple[str, ...]
    build: Callable[[EvalSpec], list[Protocol]] | None


def _gaussian(spec: EvalSpec) -> list[Protocol]:
    metric = uint8_metric(spec.crop_border, spec.y_channel)
    return [
        GaussianProtocol(
            str(spec.dataset),
            s,
            seed=spec.seed,
            limit=spec.limit,
            metric=metric,
            input=variant,
            split_file=spec.split_file,
            split=spec.split,
        )
        for variant in spec.inputs
        for s in spec.sigmas
    ]


def _folder_pairs(kind: type[PairsProtocol], y_channel: bool = False) -> ProtocolEntry:
    """A protocol over noisy/clean folders (``kind``); deraining is always scored on Y."""

    def build(spec: EvalSpec) -> list[Protocol]:
        metric = uint8_metric(spec.crop_border, y_channel or spec.y_channel)
        return [
            kind(
                str(spec.dataset),
                split_file=spec.split_file,
                split=spec.split,
                limit=spec.limit,
                metric=metric,
            )
        ]

    return ProtocolEntry(("dataset",), build)


def _sidd_val(spec: EvalSpec) -> list[Protocol]:
    return [
        SiddValProtocol(
            str(spec.noisy_mat),
            str(spec.gt_mat),
            noisy_key=spec.noisy_key,
            gt_key=spec.gt_key,
            limit=spec.limit,
        )
    ]


PROTOCOLS: Registry[ProtocolEntry] = Registry("protocol")
PROTOCOLS.add("gaussian", ProtocolEntry(("dataset", "sigmas", "inputs"), _gaussian))
PROTOCOLS.add("pairs", _folder_pairs(PairsProtocol))
PROTOCOLS.add("derain", _folder_pairs(DerainProtocol, y_channel=True))
PROTOCOLS.add("deblur", _folder_pairs(DeblurProtocol))
PROTOCOLS.add("sidd-val", ProtocolEntry(("noisy_mat", "gt_mat"), _sidd_val))
PROTOCOLS.add("dnd-export", ProtocolEntry(("dnd_root",), None))


def distinct_names(paths: list[str]) -> list[str]:
    """The shortest trailing parts of ``paths`` (without extension) that tell them apart:
    ``runs/a/final.safetensors``, ``runs/b/final.safetensors`` -> ``a/final``, ``b/final``."""
    parts = [Path(p).with_suffix("").parts for p in paths]
    for depth in range(1, max((len(p) for p in parts), default=0) + 1):
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return list(paths)


def run_eval(spec: EvalSpec) -> EvalReport | dict[str, Any]:
    """Build protocols and methods from ``spec`` and run them: an ``EvalReport`` for scored
    protocols, the DND export manifest for ``dnd-export``. The output folder is checked first."""
    check_output_folder(spec.out, "the output folder (out)")
    inference = {k: getattr(spec, k) for k in INFERENCE_OPTIONS}
    methods = [build_method(m, **inference) for m in spec.methods]
    names = [m.name for m in methods]
    clashing = [m for m in methods if names.count(m.name) > 1 and isinstance(m, ModelMethod)]
    for method, name in zip(clashing, distinct_names([m.source for m in clashing]), strict=True):
        method.name = name  # checkpoints with the same file name: runs/a/final vs runs/b/final
    if spec.protocol == "dnd-export":
        assert spec.dnd_root is not None
        return export_dnd(
            spec.dnd_root,
            methods,
            spec.out,
            margin=spec.dnd_margin,
            limit=spec.limit,
            progress=spec.progress,
        )
    protocols = build_protocols(spec)
    return evaluate(
        protocols,
        methods,
        spec.out,
        figure_images=spec.figure_images,
        crop_size=spec.crop_size,
        progress=spec.progress,
        settings=spec.settings(),
    )
