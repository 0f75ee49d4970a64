"""Noise calibration: fit a signal-dependent noise model to a camera's noisy/clean pairs.

Measurement (``restorekit.adapt.noise_bins``): per channel, the noise variance of the pairs'
pixels binned by clean intensity, leaving out sparse and clipped bins. Models, fitted per
channel by weighted non-negative least squares on those bins:

* Poisson-Gaussian: ``var = a * x + b`` -- restorekit.noise ``poisson_gaussian``.
* CBDNet form in the sRGB domain: ``std^2 = (sigma_s * x)^2 + sigma_c^2`` on the image values
  themselves -- restorekit.noise ``cbdnet_gaussian`` (the form applied to the image).
* CBDNet camera chain (RGB pairs): the same form on irradiance, seen through a camera response
  curve chosen from a CRF bank and Malvar demosaicking (``restorekit.adapt.camera_fit``) --
  restorekit.noise ``cbdnet``, the noise AINDNet's SN stage trains on. CBDNet defines its
  levels there; on PolyU's training pairs with the DoRF bank it fits the measured variances
  about 1.7x better than the sRGB forms.

The noise is treated as independent per pixel: demosaicking and JPEG correlate real noise
spatially, which a per-pixel variance does not describe.

Output: the ``data.noise`` section of a training recipe (``{name, kwargs}``), the full fit as
JSON and a plot of variance against intensity (measured bins and fitted curves) as PNG.
The section gives each channel its own range (the channel's fit +-25 %, drawn per image), so a
recipe trained on it sees this camera's colour balance of noise; the exact fits are in the JSON
and the YAML's comments.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from restorekit.adapt.camera_fit import CameraNoiseFit, fit_camera_noise
from restorekit.adapt.noise_bins import (
    NoiseAccumulator,
    NoiseBins,
    relative_rms,
    spread_ranges,
    weighted_nnls,
)
from restorekit.adapt.pairs import Pair, find_pairs, load_pair
from restorekit.errors import RestoreKitError
from restorekit.io import atomic_write_bytes
from restorekit.noise import BAYER_PATTERNS, CRFBank

PathArg = str | PathLike[str]
NoiseName = Literal["poisson_gaussian", "cbdnet_gaussian", "cbdnet"]
NOISE_MODELS = ("poisson_gaussian", "cbdnet_gaussian", "cbdnet")


@dataclass(frozen=True)
class NoiseFit:
    """Per-channel fits (tuples of C floats, [0, 1] image units) and the bins they came from.

    ``a``, ``b``: Poisson-Gaussian ``var = a x + b``. ``sigma_s``, ``sigma_c``: CBDNet form
    ``std^2 = (sigma_s x)^2 + sigma_c^2`` fitted in the sRGB domain. ``camera``: CBDNet's
    camera chain fitted through a response curve (RGB pairs only, else None).
    """

    a: tuple[float, ...]
    b: tuple[float, ...]
    sigma_s: tuple[float, ...]
    sigma_c: tuple[float, ...]
    bins: NoiseBins
    pairs: tuple[str, ...] = ()
    camera: CameraNoiseFit | None = None

    @property
    def channels(self) -> int:
        return len(self.a)

    def variance(
        self, x: float | np.ndarray, channel: int, model: NoiseName = "poisson_gaussian"
    ) -> np.ndarray:
        """The fitted noise variance at clean intensity ``x`` for ``channel``."""
        x = np.asarray(x, dtype=np.float64)
        if model == "poisson_gaussian":
            return self.a[channel] * x + self.b[channel]
        if model == "cbdnet":
            return self._camera().variance(x, channel)
        return (self.sigma_s[channel] * x) ** 2 + self.sigma_c[channel] ** 2

    def fit_error(self, model: NoiseName = "poisson_gaussian") -> tuple[float, ...]:
        """Per channel, the RMS relative deviation of the used bins' variance from the model's
        (``restorekit.adapt.noise_bins.relative_rms``)."""
        errors = []
        for c in range(self.channels):
            x, v, _ = self.bins.points(c)
            errors.append(relative_rms(v, self.variance(x, c, model)))
        return tuple(errors)

    def _camera(self) -> CameraNoiseFit:
        if self.camera is None:
            raise RestoreKitError("the cbdnet camera-chain model needs RGB pairs")
        return self.camera

    def noise_config(
        self, model: NoiseName = "poisson_gaussian", spread: float = 0.25
    ) -> dict[str, Any]:
        """The ``data.noise`` section of a recipe: ``{"name", "kwargs"}`` for ``build_noise``.

        Each channel's values are drawn per image from ``[fit * (1 - spread), fit * (1 +
        spread)]``, so training covers the fit's uncertainty and nearby exposures rather than
        one exact level; the noisy output is clipped to [0, 1] like a camera's.
        """
        if model == "cbdnet":
            return self._camera().noise_config(spread)
        if model == "poisson_gaussian":
            kwargs = {"a": spread_ranges(self.a, spread), "b": spread_ranges(self.b, spread)}
        elif model == "cbdnet_gaussian":
            kwargs = {
                "sigma_s": spread_ranges(self.sigma_s, spread),
                "sigma_c": spread_ranges(self.sigma_c, spread),
            }
        else:
            raise RestoreKitError(f"noise model must be one of {', '.join(NOISE_MODELS)}")
        return {"name": model, "kwargs": {**kwargs, "channels": self.channels, "clip": True}}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-able (NaN bins become null)."""

        def listed(array: np.ndarray) -> list:
            return [[None if not np.isfinite(v) else float(v) for v in row] for row in array]

        bins = self.bins
        return {
            "pairs": list(self.pairs),
            "channels": self.channels,
            "poisson_gaussian": {
                "a": list(self.a),
                "b": list(self.b),
                "form": "var = a*x + b",
                "fit_error": list(self.fit_error("poisson_gaussian")),
            },
            "cbdnet": {
                "sigma_s": list(self.sigma_s),
                "sigma_c": list(self.sigma_c),
                "form": "std^2 = (sigma_s*x)^2 + sigma_c^2, fitted in the sRGB domain (no CRF)",
                "fit_error": list(self.fit_error("cbdnet_gaussian")),
            },
            "cbdnet_camera": None if self.camera is None else self.camera.to_dict(),
            "fit_error": "per channel, RMS relative deviation of the measured bin variances "
            "from the model",
            "units": "[0, 1] image units; x = clean intensity",
            "bins": {
                "intensity": listed(bins.intensity),
                "variance": listed(bins.variance),
                "count": bins.count.tolist(),
                "clipped_share": listed(bins.clipped),
                "used": bins.used.tolist(),
            },
        }


def fit_noise(
    bins: NoiseBins,
    pairs: Iterable[str] = (),
    crf_bank: CRFBank | str | None = None,
    bayer: Sequence[str] = BAYER_PATTERNS,
) -> NoiseFit:
    """Fit every noise model to every channel of ``bins``; RGB bins also get the camera-chain
    fit through the curves of ``crf_bank`` (None: the built-in bank; a folder: the DoRF
    files) with the demosaicking of ``bayer``."""
    fits: dict[str, list[float]] = {"a": [], "b": [], "sigma_s": [], "sigma_c": []}
    for c in range(bins.variance.shape[0]):
        x, v, n = bins.points(c)
        ones = np.ones_like(x)
        a, b = weighted_nnls(np.stack([x, ones], axis=1), v, n)
        s2, c2 = weighted_nnls(np.stack([x * x, ones], axis=1), v, n)
        fits["a"].append(float(a))
        fits["b"].append(float(b))
        fits["sigma_s"].append(float(np.sqrt(s2)))
        fits["sigma_c"].append(float(np.sqrt(c2)))
    camera = fit_camera_noise(bins, crf_bank, bayer) if bins.variance.shape[0] == 3 else None
    return NoiseFit(
        **{k: tuple(v) for k, v in fits.items()}, bins=bins, pairs=tuple(pairs), camera=camera
    )


def measure_noise(
    pairs: PathArg | Iterable[Pair],
    *,
    names: Sequence[str] | None = None,
    split_file: PathArg | None = None,
    split: str | None = None,
    bins: int = 32,
    min_count: int = 100,
    max_clipped: float = 0.005,
) -> tuple[NoiseBins, list[str]]:
    """Bin the noise of ``pairs``: a folder, read one pair at a time (``names`` or
    ``split_file`` + ``split`` select pairs as in ``find_pairs``), or loaded pairs."""
    if not 0 <= max_clipped < 1:
        raise RestoreKitError(f"max_clipped must be in [0, 1), got {max_clipped}")
    acc = NoiseAccumulator(bins)
    if isinstance(pairs, str | PathLike):
        for files in find_pairs(pairs, names, split_file=split_file, split=split):
            acc.add(load_pair(files, channels=None))
    else:
        if any(v is not None for v in (names, split_file, split)):
            raise RestoreKitError("names and split files select pairs of a folder only")
        for pair in pairs:
            acc.add(pair)
    return acc.result(min_count, max_clipped), acc.names


@dataclass(frozen=True)
class CalibrationResult:
    """The fit, the recipe section written, and the files (YAML, JSON, PNG)."""

    fit: NoiseFit
    config: dict[str, Any]
    files: tuple[Path, ...]

    def override(self) -> str:
        """The ``key=value`` that puts this noise into a recipe on the command line."""
        flow = yaml.safe_dump(
            self.config, default_flow_style=True, sort_keys=False, width=10**6
        ).strip()
        return f"data.noise={flow}"

    def summary(self) -> str:
        """A table of the per-channel fits for a terminal."""
        fit = self.fit
        names = ("R", "G", "B") if fit.channels == 3 else tuple(str(c) for c in range(fit.channels))
        used = ", ".join(str(int(u.sum())) for u in fit.bins.used)
        lines = [
            f"{len(fit.pairs)} pair(s), {int(fit.bins.count[0].sum()):,} pixels per channel, "
            f"bins used per channel: {used} of {fit.bins.used.shape[1]}",
            f"{'channel':<8}{'a':>11}{'b':>11}{'sigma_s':>10}{'sigma_c':>10}{'std@0.5 (/255)':>16}",
        ]
        for c, name in enumerate(names):
            std = float(np.sqrt(fit.variance(0.5, c))) * 255
            lines.append(
                f"{name:<8}{fit.a[c]:>11.3e}{fit.b[c]:>11.3e}{fit.sigma_s[c]:>10.4f}"
                f"{fit.sigma_c[c]:>10.4f}{std:>16.2f}"
            )
        models = [("a*x+b", "poisson_gaussian"), ("CBDNet sRGB", "cbdnet_gaussian")]
        if fit.camera is not None:
            camera = fit.camera
            lines.append(
                f"CBDNet camera chain through CRF {camera.crf_name} "
                f"({camera.crf_bank or 'built-in bank'}), bayer {','.join(camera.bayer)}: "
                f"sigma_s = {_row(camera.sigma_s)}, sigma_c = {_row(camera.sigma_c)}"
            )
            models.append(("CBDNet chain", "cbdnet"))
        for label, model in models:
            errors = ", ".join(f"{100 * e:.0f}%" for e in fit.fit_error(model))
            lines.append(f"fit error ({label}, RMS relative, per channel): {errors}")
        return "\n".join(lines)


def _row(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def calibrate(
    pairs: PathArg | Iterable[Pair],
    output: PathArg | None = "noise_calibration.yaml",
    *,
    names: Sequence[str] | None = None,
    split_file: PathArg | None = None,
    split: str | None = None,
    model: NoiseName = "poisson_gaussian",
    bins: int = 32,
    min_count: int = 100,
    max_clipped: float = 0.005,
    plot: bool = True,
    crf_bank: CRFBank | str | None = None,
) -> CalibrationResult:
    """Measure and fit the noise of ``pairs`` (as ``measure_noise`` takes them); with
    ``output`` (a ``.yaml`` path) write the recipe section for ``model`` there, the full fit
    beside it as ``<stem>.fit.json`` and, with ``plot``, the variance plot as
    ``<stem>.plot.png``. ``crf_bank``: the response curves of the camera-chain fit (None: the
    built-in bank; a folder: CBDNet's DoRF files, as ``restorekit.noise.CRFBank`` reads)."""
    if model not in NOISE_MODELS:
        raise RestoreKitError(f"noise model must be one of {', '.join(NOISE_MODELS)}, got {model}")
    target = None if output is None else Path(output)
    if target is not None and target.suffix.lower() not in (".yaml", ".yml"):
        raise RestoreKitError("the output must be a .yaml or .yml file", target)
    measured, used_names = measure_noise(
        pairs,
        names=names,
        split_file=split_file,
        split=split,
        bins=bins,
        min_count=min_count,
        max_clipped=max_clipped,
    )
    fit = fit_noise(measured, used_names, crf_bank)
    config = fit.noise_config(model)
    files: list[Path] = []
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, _yaml_text(fit, config).encode("utf-8"))
        files.append(target)
        details = {**fit.to_dict(), "noise_config": config}
        data = json.dumps(details, indent=1).encode("utf-8")
        atomic_write_bytes(target.with_suffix(".fit.json"), data)
        files.append(target.with_suffix(".fit.json"))
        if plot:
            save_noise_plot(fit, target.with_suffix(".plot.png"))
            files.append(target.with_suffix(".plot.png"))
    return CalibrationResult(fit, config, tuple(files))


def _yaml_text(fit: NoiseFit, config: dict[str, Any]) -> str:
    """The recipe section with the per-channel fit and how to use it as comments."""
    result = CalibrationResult(fit, config, ())
    header = [
        f"restorekit calibrate: noise fitted on {len(fit.pairs)} pair(s), per channel:",
        f"  Poisson-Gaussian var = a*x + b: a = {_row(fit.a)}, b = {_row(fit.b)}",
        "  CBDNet std^2 = (sigma_s*x)^2 + sigma_c^2 (sRGB domain, no CRF): "
        f"sigma_s = {_row(fit.sigma_s)}, sigma_c = {_row(fit.sigma_c)}",
    ]
    if fit.camera is not None:
        header.append(
            f"  CBDNet camera chain (irradiance, CRF {fit.camera.crf_name}): "
            f"sigma_s = {_row(fit.camera.sigma_s)}, sigma_c = {_row(fit.camera.sigma_c)}"
        )
    header += [
        f"'{config['name']}' draws each channel's value per image from the range below "
        "(the fit +-25%).",
        "This is a recipe's data.noise section; on the command line:",
        f'  restorekit train -c configs/aindnet_sn.yaml "{result.override()}"',
    ]
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=None)
    return "".join(f"# {line}\n" for line in header) + body


def save_noise_plot(fit: NoiseFit, path: PathArg) -> Path:
    """Noise variance against clean intensity, one panel per channel: measured bins (hollow
    where left out of the fit) and the fitted curves. Written atomically as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = ("tab:red", "tab:green", "tab:blue") if fit.channels == 3 else ("0.2",)
    labels = ("R", "G", "B") if fit.channels == 3 else ("gray",)
    fig = Figure(figsize=(4.0 * fit.channels, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, fit.channels, squeeze=False, sharey=True)[0]
    grid = np.linspace(0.0, 1.0, 101)
    bins = fit.bins
    curves = [
        ("poisson_gaussian", "-", "k", "a·x + b"),
        ("cbdnet_gaussian", "--", "0.45", "(σs·x)² + σc²"),
    ]
    if fit.camera is not None:
        curves.append(("cbdnet", ":", "tab:purple", f"camera chain ({fit.camera.crf_name})"))
    for c, ax in enumerate(axes):
        colour = colours[c % len(colours)]
        used, x, v = bins.used[c], bins.intensity[c], bins.variance[c]
        left_out = ~used & np.isfinite(x) & (bins.count[c] > 1)
        ax.plot(x[used], v[used], "o", color=colour, ms=4, label="measured")
        ax.plot(x[left_out], v[left_out], "o", mfc="none", color=colour, ms=4, label="left out")
        for model, style, line_colour, label in curves:
            ax.plot(grid, fit.variance(grid, c, model), style, color=line_colour, label=label)
        ax.set_title(
            f"{labels[c]}: a={fit.a[c]:.2e}, b={fit.b[c]:.2e}\n"
            f"σs={fit.sigma_s[c]:.4f}, σc={fit.sigma_c[c]:.4f}",
            fontsize=8,
        )
        ax.set_xlabel("clean intensity")
        ax.set_xlim(0.0, 1.0)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("noise variance")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"noise of {len(fit.pairs)} pair(s) (sRGB values in [0, 1])", fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path
