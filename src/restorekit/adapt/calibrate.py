"""Noise calibration: fit a signal-dependent noise model to a camera's noisy/clean pairs.

Measurement. The noise of a pixel is ``noisy - clean``. Per channel, pixels are binned by their
clean intensity (``bins`` equal bins over [0, 1]); each bin keeps its pixel count, mean clean
intensity (the abscissa, not the bin centre, since the variance is linear in the intensity
inside a bin), the noise variance around the bin's mean noise, and the share of clipped pixels.
A bin is left out of the fit when it has fewer than ``min_count`` pixels or when more than
``max_clipped`` of its pixels are clipped (noisy or clean at 0 or 1): clipping at the ends of
the range shrinks the variance there. A burst reference averaging M frames carries noise of
variance sigma^2 / M, so each such pair's noise is scaled by sqrt(M / (M + 1)).

Models, both fitted per channel by weighted least squares with non-negative coefficients
(``scipy.optimize.nnls``). Weights are the inverse variance of a bin's sample variance,
``(n - 1) / (2 v^2)``, with ``v`` the model's variance (iterated from the measured one):

* Poisson-Gaussian: ``var = a * x + b`` -- restorekit.noise ``poisson_gaussian``.
* CBDNet: ``std^2 = (sigma_s * x)^2 + sigma_c^2``. CBDNet defines it on irradiance before the
  camera response function; the CRF a camera used is unknown, so we fit it in the sRGB domain,
  on the image values themselves, as an approximation. It therefore matches restorekit.noise
  ``cbdnet_gaussian`` (the same form applied to the image), not ``cbdnet`` (the camera chain).

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

from restorekit.adapt.pairs import Pair, find_pairs, load_pair
from restorekit.errors import RestoreKitError
from restorekit.io import atomic_write_bytes

PathArg = str | PathLike[str]
NoiseName = Literal["poisson_gaussian", "cbdnet_gaussian"]
NOISE_MODELS = ("poisson_gaussian", "cbdnet_gaussian")
CLIP_EPS = 1e-6
IRLS_ROUNDS = 4


@dataclass(frozen=True)
class NoiseBins:
    """Measured points, each array (C, bins): mean clean intensity (NaN if empty), noise
    variance, pixel count, share of clipped pixels, and whether the bin enters the fit."""

    intensity: np.ndarray
    variance: np.ndarray
    count: np.ndarray
    clipped: np.ndarray
    used: np.ndarray


class NoiseAccumulator:
    """Streams pairs into per-channel, per-bin sums (float64), one pair in memory at a time."""

    def __init__(self, bins: int = 32) -> None:
        if not 4 <= bins <= 1024:
            raise RestoreKitError(f"bins must be in [4, 1024], got {bins}")
        self.bins = bins
        self.channels: int | None = None
        self.names: list[str] = []
        self._sums: np.ndarray | None = None  # (5, C, bins): n, sum x, sum e, sum e^2, clipped

    def add(self, pair: Pair) -> None:
        """Accumulate the noise of one pair."""
        noisy = np.asarray(pair.noisy, dtype=np.float64)
        clean = np.asarray(pair.clean, dtype=np.float64)
        if noisy.shape != clean.shape or noisy.ndim != 3:
            raise RestoreKitError("noisy and clean must be CHW arrays of one shape", pair.name)
        channels = noisy.shape[0]
        if self._sums is None:
            self.channels = channels
            self._sums = np.zeros((5, channels, self.bins))
        elif channels != self.channels:
            raise RestoreKitError(
                f"has {channels} channel(s), the pairs before it {self.channels}", pair.name
            )
        noise = noisy - clean
        if pair.ref_frames is not None:
            noise *= np.sqrt(pair.ref_frames / (pair.ref_frames + 1.0))
        clipped = (
            (noisy <= CLIP_EPS)
            | (noisy >= 1 - CLIP_EPS)
            | (clean <= CLIP_EPS)
            | (clean >= 1 - CLIP_EPS)
        )
        index = np.clip((clean * self.bins).astype(np.int64), 0, self.bins - 1)
        for c in range(channels):
            where = index[c].ravel()
            for row, values in enumerate(
                (None, clean[c], noise[c], np.square(noise[c]), clipped[c])
            ):
                weights = None if values is None else values.ravel().astype(np.float64)
                self._sums[row, c] += np.bincount(where, weights=weights, minlength=self.bins)
        self.names.append(pair.name)

    def result(self, min_count: int = 100, max_clipped: float = 0.005) -> NoiseBins:
        """The measured bins; which ones are used follows ``min_count`` and ``max_clipped``."""
        if self._sums is None:
            raise RestoreKitError("no pairs to calibrate on")
        n, sx, se, se2, nclip = self._sums
        with np.errstate(invalid="ignore", divide="ignore"):
            intensity = np.where(n > 0, sx / n, np.nan)
            variance = np.where(n > 1, (se2 - se * se / n) / (n - 1), np.nan)
            clipped = np.where(n > 0, nclip / n, 0.0)
        used = (n >= max(min_count, 2)) & (clipped <= max_clipped) & np.isfinite(variance)
        return NoiseBins(intensity, np.maximum(variance, 0.0), n.astype(np.int64), clipped, used)


def _nnls_fit(features: np.ndarray, variance: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Non-negative weighted least squares of ``variance ~ features @ coef`` (IRLS weights)."""
    from scipy.optimize import nnls

    floor = max(float(np.median(variance)) * 1e-3, 1e-12)
    model = np.maximum(variance, floor)
    coef = np.zeros(features.shape[1])
    for _ in range(IRLS_ROUNDS):
        root_w = np.sqrt((count - 1) / (2.0 * model * model))
        coef, _ = nnls(features * root_w[:, None], variance * root_w)
        model = np.maximum(features @ coef, floor)
    return coef


@dataclass(frozen=True)
class NoiseFit:
    """Per-channel fits (tuples of C floats, [0, 1] image units) and the bins they came from.

    ``a``, ``b``: Poisson-Gaussian ``var = a x + b``. ``sigma_s``, ``sigma_c``: CBDNet form
    ``std^2 = (sigma_s x)^2 + sigma_c^2`` fitted in the sRGB domain.
    """

    a: tuple[float, ...]
    b: tuple[float, ...]
    sigma_s: tuple[float, ...]
    sigma_c: tuple[float, ...]
    bins: NoiseBins
    pairs: tuple[str, ...] = ()

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
        return (self.sigma_s[channel] * x) ** 2 + self.sigma_c[channel] ** 2

    def fit_error(self, model: NoiseName = "poisson_gaussian") -> tuple[float, ...]:
        """Per channel, the RMS relative deviation of the used bins' variance from the model's:
        about sqrt(2 / pixels per bin) when the model fits, more when it does not."""
        errors = []
        for c in range(self.channels):
            use = self.bins.used[c]
            predicted = np.maximum(self.variance(self.bins.intensity[c][use], c, model), 1e-12)
            relative = self.bins.variance[c][use] / predicted - 1.0
            errors.append(float(np.sqrt(np.mean(relative**2))))
        return tuple(errors)

    def noise_config(
        self, model: NoiseName = "poisson_gaussian", spread: float = 0.25
    ) -> dict[str, Any]:
        """The ``data.noise`` section of a recipe: ``{"name", "kwargs"}`` for ``build_noise``.

        Each channel's values are drawn per image from ``[fit * (1 - spread), fit * (1 +
        spread)]``, so training covers the fit's uncertainty and nearby exposures rather than
        one exact level; the noisy output is clipped to [0, 1] like a camera's.
        """
        if not 0.0 <= spread < 1.0:
            raise RestoreKitError(f"spread must be in [0, 1), got {spread}")

        def ranges(values: Sequence[float]) -> list[list[float]]:
            return [[_round(v * (1 - spread)), _round(v * (1 + spread))] for v in values]

        if model == "poisson_gaussian":
            kwargs = {"a": ranges(self.a), "b": ranges(self.b)}
        elif model == "cbdnet_gaussian":
            kwargs = {"sigma_s": ranges(self.sigma_s), "sigma_c": ranges(self.sigma_c)}
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


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def fit_noise(bins: NoiseBins, pairs: Iterable[str] = ()) -> NoiseFit:
    """Fit both noise models to every channel of ``bins``."""
    fits: dict[str, list[float]] = {"a": [], "b": [], "sigma_s": [], "sigma_c": []}
    for c in range(bins.variance.shape[0]):
        use = bins.used[c]
        if use.sum() < 2:
            raise RestoreKitError(
                f"channel {c}: only {int(use.sum())} usable intensity bin(s); calibration needs "
                "more pixels, or fewer clipped ones, spread over at least two intensity levels"
            )
        x, v, n = bins.intensity[c][use], bins.variance[c][use], bins.count[c][use]
        ones = np.ones_like(x)
        a, b = _nnls_fit(np.stack([x, ones], axis=1), v, n)
        s2, c2 = _nnls_fit(np.stack([x * x, ones], axis=1), v, n)
        fits["a"].append(float(a))
        fits["b"].append(float(b))
        fits["sigma_s"].append(float(np.sqrt(s2)))
        fits["sigma_c"].append(float(np.sqrt(c2)))
    return NoiseFit(**{k: tuple(v) for k, v in fits.items()}, bins=bins, pairs=tuple(pairs))


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
        for label, model in (("a*x+b", "poisson_gaussian"), ("CBDNet", "cbdnet_gaussian")):
            errors = ", ".join(f"{100 * e:.0f}%" for e in fit.fit_error(model))
            lines.append(f"fit error ({label}, RMS relative, per channel): {errors}")
        return "\n".join(lines)


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
) -> CalibrationResult:
    """Measure and fit the noise of ``pairs`` (as ``measure_noise`` takes them); with
    ``output`` (a ``.yaml`` path) write the recipe section for ``model`` there, the full fit
    beside it as ``<stem>.fit.json`` and, with ``plot``, the variance plot as
    ``<stem>.plot.png``."""
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
    fit = fit_noise(measured, used_names)
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

    def row(values: Sequence[float]) -> str:
        return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"

    result = CalibrationResult(fit, config, ())
    header = [
        f"restorekit calibrate: noise fitted on {len(fit.pairs)} pair(s), per channel:",
        f"  Poisson-Gaussian var = a*x + b: a = {row(fit.a)}, b = {row(fit.b)}",
        "  CBDNet std^2 = (sigma_s*x)^2 + sigma_c^2 (sRGB domain, no CRF): "
        f"sigma_s = {row(fit.sigma_s)}, sigma_c = {row(fit.sigma_c)}",
        f"'{config['name']}' draws each channel's value per image from the range below "
        "(the fit +-25%).",
        "This is a recipe's data.noise section; on the command line:",
        f'  restorekit train -c configs/aindnet_sn.yaml "{result.override()}"',
    ]
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=None)
    return "".join(f"# {line}\n" for line in header) + body


def save_noise_plot(fit: NoiseFit, path: PathArg) -> Path:
    """Noise variance against clean intensity, one panel per channel: measured bins (hollow
    where left out of the fit) and both fitted curves. Written atomically as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = ("tab:red", "tab:green", "tab:blue") if fit.channels == 3 else ("0.2",)
    labels = ("R", "G", "B") if fit.channels == 3 else ("gray",)
    fig = Figure(figsize=(4.0 * fit.channels, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, fit.channels, squeeze=False, sharey=True)[0]
    grid = np.linspace(0.0, 1.0, 101)
    bins = fit.bins
    for c, ax in enumerate(axes):
        colour = colours[c % len(colours)]
        used, x, v = bins.used[c], bins.intensity[c], bins.variance[c]
        left_out = ~used & np.isfinite(x) & (bins.count[c] > 1)
        ax.plot(x[used], v[used], "o", color=colour, ms=4, label="measured")
        ax.plot(x[left_out], v[left_out], "o", mfc="none", color=colour, ms=4, label="left out")
        ax.plot(grid, fit.variance(grid, c), "-", color="k", lw=1.2, label="a·x + b")
        ax.plot(
            grid,
            fit.variance(grid, c, "cbdnet_gaussian"),
            "--",
            color="0.45",
            lw=1.2,
            label="(σs·x)² + σc²",
        )
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
