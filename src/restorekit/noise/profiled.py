"""A profiled camera's noise (issue #21): darktable-style per-channel Poisson-Gaussian raw noise
pushed through CBDNet's camera chain, so a model can be trained for a camera with zero pairs.

``y = JPEG(CRF(DM(M(L) + n)))`` with ``L = ICRF(x)`` as in :mod:`restorekit.noise.camera`, but
the photosite noise ``n`` has variance ``a[c] * L + b[c]`` for the site's channel ``c`` (R, G,
B), the form and units of a darktable noise profile (raw values in [0, 1]; see
:mod:`restorekit.adapt.profiles`). The chain:

    InverseCRF -> ProfiledNoiseLevel -> SplitBy("bayer", [Mosaic, RawPoissonGaussian, Demosaic])
    -> CRF [-> JPEG]

The irradiance ``L`` after the inverse response curve plays the raw image: like CBDNet's chain
there is no white balance or colour matrix. A variance ``a * L + b`` below zero (darktable fits
with a negative ``b`` or ``a`` exist) is taken as zero. ``a`` and ``b`` are fixed; the curve,
the Bayer pattern and the JPEG quality are drawn per image.

Ground-truth noise map: ``sqrt(max(a[c] * L + b[c], 0))`` per pixel and channel, the standard
deviation of the raw noise at the clean irradiance, in the irradiance domain (ignoring the ISP,
as CBDNet defines its map ``sigma_c + L * sigma_s``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import NoiseResult, Params, check_batch, randn, spatial
from restorekit.noise.bayer import BAYER_PATTERNS, site_map
from restorekit.noise.camera import CBDNET_BAYER, CRF, JPEG, Demosaic, InverseCRF, Mosaic
from restorekit.noise.chain import NoiseChain, Signal, SplitBy, Stage
from restorekit.noise.crf import CRFBank
from restorekit.noise.registry import register_noise


def _channel_values(value: Sequence[float], what: str) -> tuple[float, float, float]:
    """Three finite numbers (R, G, B)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        raise RestoreKitError(f"profiled {what} must be 3 numbers (R, G, B), got {value!r}")
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise RestoreKitError(
            f"profiled {what} must be 3 numbers (R, G, B), got {value!r}"
        ) from None
    if not all(math.isfinite(v) for v in out):
        raise RestoreKitError(f"profiled {what} must be finite, got {value!r}")
    return out


def _std(signal: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``sqrt(max(a * signal + b, 0))`` with ``signal`` clamped at 0."""
    return torch.addcmul(b, signal.clamp(min=0.0), a).clamp_(min=0.0).sqrt_()


class ProfiledNoiseLevel(Stage):
    """Holds per-channel ``a``, ``b`` as per-image parameters and records the noise map
    ``sqrt(max(a * L + b, 0))`` of the clean irradiance ``L`` (``signal.linear``, else the image).

    The noise itself is added by :class:`RawPoissonGaussian`, after the mosaic.
    """

    def __init__(self, a: Sequence[float], b: Sequence[float]) -> None:
        self.a = _channel_values(a, "a")
        self.b = _channel_values(b, "b")

    def config(self) -> dict[str, Any]:
        return {"a": list(self.a), "b": list(self.b)}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        return {
            "a": torch.tensor(self.a, device=device).expand(batch_size, 3).clone(),
            "b": torch.tensor(self.b, device=device).expand(batch_size, 3).clone(),
        }

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        linear = signal.image if signal.linear is None else signal.linear
        a = spatial(params["a"]).to(linear.dtype)
        b = spatial(params["b"]).to(linear.dtype)
        return Signal(signal.image, linear, _std(linear, a, b), signal.cfa)


class RawPoissonGaussian(Stage):
    """Gaussian noise of variance ``max(a * x + b, 0)`` on an RGB or Bayer signal ``x``.

    Reads the per-channel ``a``, ``b`` of :class:`ProfiledNoiseLevel`; on a mosaic each
    photosite uses its own channel's values.
    """

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        image = signal.image
        a = params["a"].to(image.dtype)
        b = params["b"].to(image.dtype)
        if signal.cfa is None:
            a, b = spatial(a), spatial(b)
        else:
            h, w = image.shape[2:]
            a, b = site_map(a, signal.cfa, h, w), site_map(b, signal.cfa, h, w)
        noise = randn(image.shape, generator, image.device, image.dtype)
        noisy = noise.mul_(_std(image, a, b)).add_(image)
        return Signal(noisy, signal.linear, signal.noise_map, signal.cfa)


@register_noise("profiled")
class ProfiledCamera(NoiseChain):
    """A profiled camera's raw noise through CBDNet's camera chain (module docstring).

    Args:
        a, b: per-channel (R, G, B) raw variance ``a * x + b`` for raw x in [0, 1], e.g. a
            darktable profile's (``NoiseProfiles.lookup(make, model, iso)``).
        crf_bank: folder with CBDNet's DoRF .mat files, a :class:`CRFBank`, or ``None`` /
            ``"builtin"`` for the built-in parametric bank.
        crf: curve index (or list of indices) to draw from; ``None`` = the whole bank.
        bayer: option name or list of names from :data:`CBDNET_BAYER`; default the four
            Bayer patterns ("none" adds the noise to every channel with no mosaic).
        jpeg: ``None`` (no JPEG), a quality or a ``[low, high]`` range.
        demosaic_bits: integer depth of the Malvar demosaic (16, as CBDNet) or ``None``.
    """

    def __init__(
        self,
        a: Sequence[float],
        b: Sequence[float],
        crf_bank: CRFBank | str | PathLike[str] | None = None,
        crf: int | Sequence[int] | None = None,
        bayer: str | Sequence[str] = BAYER_PATTERNS,
        jpeg: int | Sequence[int] | None = None,
        demosaic_bits: int | None = 16,
    ) -> None:
        self.bank = CRFBank.resolve(crf_bank)
        source = self.bank.source
        self._crf_bank = None if source == "builtin" else source
        choices = [crf] if isinstance(crf, int) else crf
        patterns = [bayer] if isinstance(bayer, str) else list(bayer)
        self._inverse = InverseCRF(self.bank, choices)
        self._level = ProfiledNoiseLevel(a, b)
        self._mosaic = Mosaic(patterns)
        self._demosaic = Demosaic(demosaic_bits)
        self._jpeg = None if jpeg is None else JPEG(jpeg)
        sensor = SplitBy("bayer", [self._mosaic, RawPoissonGaussian(), self._demosaic])
        stages = [self._inverse, self._level, sensor, CRF(self.bank)]
        super().__init__(stages if self._jpeg is None else [*stages, self._jpeg])

    def config(self) -> dict[str, Any]:
        choices = self._inverse.choices
        return {
            **self._level.config(),
            "crf_bank": self._crf_bank,
            "crf": list(choices) if len(choices) < len(self.bank) else None,
            "bayer": list(self._mosaic.patterns),
            "jpeg": None if self._jpeg is None else list(self._jpeg.quality),
            "demosaic_bits": self._demosaic.bits,
        }

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, channels=(3,), what="profiled")
        return super().apply(x, params, generator=generator)

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        out = super().describe(params, index)
        out["bayer"] = CBDNET_BAYER[out["bayer"]]
        out["crf_name"] = self.bank.names[out["crf"]]
        return out
