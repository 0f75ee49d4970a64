"""Noise measurement for calibration (per-channel bins of noise variance against intensity)
and the fit helpers every noise model shares.

The noise of a pixel is ``noisy - clean``. Per channel, pixels are binned by their clean
intensity (``bins`` equal bins over [0, 1]); each bin keeps its pixel count, mean clean
intensity (the abscissa, not the bin centre, since the variance is linear in the intensity
inside a bin), the noise variance around the bin's mean noise, and the share of clipped pixels.
A bin is left out of fits when it has fewer than ``min_count`` pixels or when more than
``max_clipped`` of its pixels are clipped (noisy or clean at 0 or 1): clipping at the ends of
the range shrinks the variance there. A burst reference averaging M frames carries noise of
variance sigma^2 / M, so each such pair's noise is scaled by sqrt(M / (M + 1)).

:func:`weighted_nnls` is the fit every noise model uses: non-negative least squares of the bin
variances on the model's features, weighted by the inverse variance of a bin's sample variance,
``(n - 1) / (2 v^2)``, with ``v`` the model's variance (iterated from the measured one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from restorekit.adapt.pairs import Pair
from restorekit.errors import RestoreKitError

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

    def points(self, channel: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The used bins of ``channel`` as a fit takes them: intensity, variance, pixel count
        (at least two bins, else a calibration error)."""
        use = self.used[channel]
        if use.sum() < 2:
            raise RestoreKitError(
                f"channel {channel}: only {int(use.sum())} usable intensity bin(s); calibration "
                "needs more pixels, or fewer clipped ones, spread over at least two intensity "
                "levels"
            )
        return self.intensity[channel][use], self.variance[channel][use], self.count[channel][use]


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


def weighted_nnls(features: np.ndarray, variance: np.ndarray, count: np.ndarray) -> np.ndarray:
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


def relative_rms(measured: np.ndarray, predicted: np.ndarray) -> float:
    """RMS relative deviation of measured bin variances from a model's: about
    sqrt(2 / pixels per bin) when the model fits, more when it does not."""
    relative = measured / np.maximum(predicted, 1e-12) - 1.0
    return float(np.sqrt(np.mean(relative**2)))


def spread_ranges(values: Sequence[float], spread: float) -> list[list[float]]:
    """``[fit * (1 - spread), fit * (1 + spread)]`` per value (4 significant digits): the
    per-image ranges a calibrated recipe section draws from."""
    if not 0.0 <= spread < 1.0:
        raise RestoreKitError(f"spread must be in [0, 1), got {spread}")
    return [[_round(v * (1 - spread)), _round(v * (1 + spread))] for v in values]


def _round(value: float) -> float:
    return float(f"{value:.4g}")
