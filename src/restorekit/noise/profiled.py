"""A profiled camera's noise (issue #21): darktable-style per-channel Poisson-Gaussian raw noise
pushed through CBDNet's camera chain, so a model can be trained for a camera with zero pairs.

``y = JPEG(CRF(DM(M(L) + n)))`` with ``L = ICRF(x)`` as in :mod:`restorekit.noise.camera`, but
the photosite noise ``n`` has variance ``a[c] * L + b[c]`` for the site's channel ``c`` (R, G,
B), the form and units of a darktable noise profile (raw values in [0, 1]; see
:mod:`restorekit.adapt.profiles`). The chain:

    InverseCRF -> ProfiledNoiseLevel -> SplitBy("bayer", [Mosaic, RawPoissonGaussian, Demosaic])
    -> CRF [-> JPEG]

The irradiance ``L`` after the inverse response curve plays the raw image scaled by ``gain``
(``L = gain * x``, so the variance of ``L`` is ``gain * a * L + gain^2 * b``): like CBDNet's chain
there is no white balance or colour matrix, and ``gain`` stands for the exposure scaling between
the raw data a profile was measured on and the curve's input. A negative variance (darktable
fits with a negative ``b`` or ``a`` exist) is taken as zero. ``a``, ``b`` and ``gain`` are
fixed; the curve, the Bayer pattern and the JPEG quality are drawn per image.

Ground-truth noise map: ``sqrt(max(k a[c] L + k^2 b[c], 0))`` (k = ``gain``) per pixel and
channel, the standard
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
from restorekit.noise.base import Params, randn, spatial
from restorekit.noise.bayer import BAYER_PATTERNS, site_map
from restorekit.noise.camera import CameraChain
from restorekit.noise.chain import Signal, Stage
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

    The noise itself is added by :class:`RawPoissonGaussian`, after the mosaic. ``gain`` k
    scales the raw signal to the irradiance ``L = k x``, so the per-image parameters are
    ``k a`` and ``k^2 b`` (module docstring).
    """

    def __init__(self, a: Sequence[float], b: Sequence[float], gain: float = 1.0) -> None:
        self.a = _channel_values(a, "a")
        self.b = _channel_values(b, "b")
        if not (math.isfinite(gain) and gain > 0):
            raise RestoreKitError(f"profiled gain must be a positive number, got {gain!r}")
        self.gain = float(gain)

    def config(self) -> dict[str, Any]:
        return {"a": list(self.a), "b": list(self.b), "gain": self.gain}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        a = [self.gain * v for v in self.a]
        b = [self.gain**2 * v for v in self.b]
        return {
            "a": torch.tensor(a, device=device).expand(batch_size, 3).clone(),
            "b": torch.tensor(b, device=device).expand(batch_size, 3).clone(),
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
class ProfiledCamera(CameraChain):
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
        gain: the irradiance of a raw value 1 (``L = gain * x``): the exposure and digital gain
            the camera applies between its raw data and the response curve. 1 takes the raw
            range as the curve's input range; on PolyU's train pairs 4 matches the measured
            sRGB noise best (``docs/camera_profiles.md``).
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
        gain: float = 1.0,
    ) -> None:
        level = ProfiledNoiseLevel(a, b, gain)
        super().__init__(level, RawPoissonGaussian(), crf_bank, crf, bayer, jpeg, demosaic_bits)
