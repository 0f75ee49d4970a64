"""CRF-aware calibration: CBDNet's camera-chain noise fitted through a camera response curve.

CBDNet's camera noise (``restorekit.noise`` ``cbdnet``) maps the clean sRGB value ``x`` to
irradiance ``L = f^-1(x)`` with a response curve ``f``, adds shot noise of standard deviation
``sigma_s * L`` and read noise of standard deviation ``sigma_c`` per photosite, demosaics and
maps back with ``f``. To first order, the noise variance of a pixel of clean intensity ``x`` in
channel ``c`` is then

    var(x) = r_c * f'(L)^2 * ((sigma_s L)^2 + sigma_c^2),    L = f^-1(x),

where ``r_c`` is the share of a photosite's noise variance that Malvar demosaicking leaves in
channel ``c``, averaged over the image and the Bayer patterns (1 without a mosaic), measured
by running the noise module's own mosaic and demosaic on white noise of one level for all
sites (Malvar's gradient correction mixes neighbouring channels' noise, so this assumes the
channels' levels are alike, as they are on the cameras we measured). For every curve of a CRF
bank, ``sigma_s^2`` and ``sigma_c^2`` are fitted per channel like the sRGB fits
(``restorekit.adapt.noise_bins.weighted_nnls`` on the measured bins), and the curve with the
smallest fit error (mean over the channels) wins. The result is a ``cbdnet`` recipe section
with that curve, the Bayer patterns and each channel's sigmas, so synthetic pre-training runs
the camera chain AINDNet was trained with, at this camera's levels.

What CBDNet's chain does not model (in-camera denoising, sharpening, JPEG) stays in the fit
error; so does the curve's own error, since the bank only approximates the camera's curve.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from restorekit.adapt.noise_bins import NoiseBins, relative_rms, spread_ranges, weighted_nnls
from restorekit.errors import RestoreKitError
from restorekit.noise import BAYER_PATTERNS, CBDNET_BAYER, CRFBank, demosaic_malvar, mosaic

SLOPE_STEP = 4
"""Half-width, in grid points of 1/1023, of the central difference that gives f'."""
RANKED = 5
"""How many of the best curves the fit reports."""


@functools.lru_cache(maxsize=8)
def demosaic_share(bayer: tuple[str, ...], size: int = 256) -> tuple[float, float, float]:
    """Per RGB channel, the mean share of unit white photosite noise that survives the
    mosaic -> Malvar demosaic of ``restorekit.noise``, averaged over the ``bayer`` options
    (``"none"``, no mosaic, keeps all of it). Measured on ``size``^2 seeded noise (~0.5 %)."""
    if not bayer:
        raise RestoreKitError("give at least one Bayer option")
    unknown = [b for b in bayer if b not in CBDNET_BAYER]
    if unknown:
        raise RestoreKitError(f"unknown Bayer option(s) {unknown}; known: {list(CBDNET_BAYER)}")
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(1, 3, size, size, generator=generator, dtype=torch.float64)
    shares = []
    for pattern in bayer:
        if pattern == "none":
            shares.append(torch.ones(3, dtype=torch.float64))
            continue
        rgb = demosaic_malvar(mosaic(noise, pattern), pattern)[0, :, 4:-4, 4:-4]
        shares.append(rgb.reshape(3, -1).var(dim=1))
    return tuple(float(v) for v in torch.stack(shares).mean(dim=0))


@dataclass(frozen=True)
class CameraNoiseFit:
    """CBDNet's camera-chain noise fitted through one response curve (tuples of 3 floats).

    ``crf``: index of the winning curve in the bank (``crf_name`` names it; ``crf_bank`` is the
    DoRF folder, or None for the built-in bank); ``sigma_s``, ``sigma_c``: irradiance-domain
    levels per channel; ``share``: demosaic variance share per channel for ``bayer``;
    ``fit_error``: RMS relative deviation of the used bins from the model, per channel;
    ``ranking``: the best curves by mean fit error, ``(name, error)``.
    """

    crf: int
    crf_name: str
    crf_bank: str | None
    bayer: tuple[str, ...]
    sigma_s: tuple[float, ...]
    sigma_c: tuple[float, ...]
    share: tuple[float, ...]
    fit_error: tuple[float, ...]
    ranking: tuple[tuple[str, float], ...]
    curve: np.ndarray = field(repr=False, compare=False)
    """(2, 1024): the winning curve's inverse and slope tables, for :meth:`variance`."""

    def variance(self, x: float | np.ndarray, channel: int) -> np.ndarray:
        """The model's sRGB noise variance at clean intensity ``x`` in ``channel``."""
        return _variance(
            np.asarray(x, dtype=np.float64),
            self.curve,
            self.sigma_s[channel] ** 2,
            self.sigma_c[channel] ** 2,
            self.share[channel],
        )

    def noise_config(self, spread: float = 0.25) -> dict[str, Any]:
        """The ``data.noise`` section: ``cbdnet`` with this curve, these Bayer options and each
        channel's sigmas drawn per image from ``[fit * (1 - spread), fit * (1 + spread)]``."""
        kwargs = {
            "sigma_s": spread_ranges(self.sigma_s, spread),
            "sigma_c": spread_ranges(self.sigma_c, spread),
            "crf_bank": self.crf_bank,
            "crf": [self.crf],
            "bayer": list(self.bayer),
        }
        return {"name": "cbdnet", "kwargs": kwargs}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (the curve itself is named, not listed)."""
        return {
            "crf": self.crf,
            "crf_name": self.crf_name,
            "crf_bank": self.crf_bank or "builtin",
            "bayer": list(self.bayer),
            "sigma_s": list(self.sigma_s),
            "sigma_c": list(self.sigma_c),
            "demosaic_share": list(self.share),
            "form": "var = r_c * f'(L)^2 * ((sigma_s*L)^2 + sigma_c^2), L = f^-1(x), "
            "sigmas in the irradiance domain",
            "fit_error": list(self.fit_error),
            "best_curves": [{"name": n, "fit_error": e} for n, e in self.ranking],
        }


def _curve_tables(bank: CRFBank) -> np.ndarray:
    """(K, 2, 1024): each curve's inverse table and slope ``f'`` on the grid."""
    forward = bank.forward.double().numpy()
    inverse = bank.inverse.double().numpy()
    grid_size = forward.shape[1]
    j = np.arange(grid_size)
    hi, lo = np.minimum(j + SLOPE_STEP, grid_size - 1), np.maximum(j - SLOPE_STEP, 0)
    slope = (forward[:, hi] - forward[:, lo]) / ((hi - lo) / (grid_size - 1))
    return np.stack([inverse, np.maximum(slope, 0.0)], axis=1)


def _features(x: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """(n, 2) features ``f'(L)^2 L^2`` and ``f'(L)^2`` at intensities ``x`` for one curve
    (``curve``: its inverse and slope tables, (2, 1024))."""
    grid = np.linspace(0.0, 1.0, curve.shape[1])
    irradiance = np.interp(np.clip(x, 0.0, 1.0), grid, curve[0])
    slope2 = np.interp(irradiance, grid, curve[1]) ** 2
    return np.stack([slope2 * irradiance**2, slope2], axis=-1)


def _variance(x: np.ndarray, curve: np.ndarray, s2: float, c2: float, share: float) -> np.ndarray:
    return share * (_features(x, curve) @ np.array([s2, c2]))


def fit_camera_noise(
    bins: NoiseBins,
    crf_bank: CRFBank | str | None = None,
    bayer: Sequence[str] = BAYER_PATTERNS,
) -> CameraNoiseFit:
    """Fit CBDNet's camera-chain noise to RGB ``bins`` through every curve of ``crf_bank``
    (``None``/``"builtin"``: the built-in bank; a folder: CBDNet's DoRF files) and keep the
    curve with the smallest mean fit error."""
    if bins.variance.shape[0] != 3:
        raise RestoreKitError(
            f"the camera-chain fit needs RGB pairs, these have {bins.variance.shape[0]} channel(s)"
        )
    bank = CRFBank.resolve(crf_bank)
    bayer = tuple(bayer)
    share = demosaic_share(bayer)
    tables = _curve_tables(bank)
    channels = [bins.points(c) for c in range(3)]
    results = []
    for k in range(len(bank)):
        curve = tables[k]
        coefs, errors = [], []
        for c, (x, v, n) in enumerate(channels):
            features = share[c] * _features(x, curve)
            coef = weighted_nnls(features, v, n) if features.any() else np.zeros(2)
            coefs.append(coef)
            errors.append(relative_rms(v, features @ coef))
        results.append((float(np.mean(errors)), k, coefs, errors))
    results.sort(key=lambda r: r[0])
    _, best, coefs, errors = results[0]
    return CameraNoiseFit(
        crf=best,
        crf_name=bank.names[best],
        crf_bank=None if bank.source == "builtin" else bank.source,
        bayer=bayer,
        sigma_s=tuple(float(np.sqrt(c[0])) for c in coefs),
        sigma_c=tuple(float(np.sqrt(c[1])) for c in coefs),
        share=share,
        fit_error=tuple(errors),
        ranking=tuple((bank.names[k], e) for e, k, _, _ in results[:RANKED]),
        curve=tables[best],
    )
