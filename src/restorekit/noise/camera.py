"""CBDNet's realistic camera noise (Guo et al. 2019, ``utils/AddNoiseMosai.m``) as a stage chain.

``y = JPEG(CRF(DM(M(L) + n)))`` with irradiance ``L = ICRF(x)``, per image, as the chain

    InverseCRF -> CBDNetNoiseLevel -> SplitBy("bayer", [Mosaic, CBDNetNoise, Demosaic])
    -> CRF [-> JPEG]

1. :class:`InverseCRF` — one of the bank's curves, index ``crf`` uniform over the bank.
2. :class:`CBDNetNoiseLevel` — ``sigma_s ~ U[0, 0.16]`` and ``sigma_c ~ U[0, 0.06]`` drawn per
   channel; the ground-truth map is ``sigma_c + L * sigma_s`` per pixel and channel (irradiance
   domain, ignoring the ISP, as the CBDNet authors define it).
3. :class:`Mosaic` — ``bayer`` uniform over gbrg, grbg, bggr, rggb and "none" (no mosaic).
4. :class:`CBDNetNoise` — shot part ``N(0,1) * sigma_s * L`` plus read part ``N(0,1) * sigma_c``.
5. :class:`Demosaic` — ``uint16(L * 2^16)`` then Malvar-He-Cutler (MATLAB ``demosaic`` on uint16,
   whose output is rounded and saturated to uint16 again) and ``/ 2^16``.
6. :class:`CRF` — clip to [0, 1], then the same curve forwards.
7. :class:`JPEG` — optional (CBDNet(JPEG): quality in [60, 100]); AINDNet's SN data has none.

MATLAB adds noise to all three channels and then mosaics; here the mosaic comes first and noise
is drawn per photosite with that site's channel parameters, the shot and read parts as their
exact Gaussian sum. Both give the same distribution as MATLAB's (the two discarded channels
never reach the output) with a sixth of the random numbers, the main CPU cost.
With the "none" option there is no mosaic, no quantisation and no demosaic, as in MATLAB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import (
    NoiseResult,
    Params,
    Range,
    as_range,
    channel_ranges,
    check_batch,
    choice,
    draw_ranges,
    listed_ranges,
    per_sample,
    resolve_generator,
    spatial,
)
from restorekit.noise.bayer import BAYER_PATTERNS, demosaic_malvar, mosaic, site_map
from restorekit.noise.chain import NoiseChain, Signal, SplitBy, Stage
from restorekit.noise.crf import CRFBank
from restorekit.noise.gaussian import add_shot_read
from restorekit.noise.jpeg import jpeg_roundtrip
from restorekit.noise.registry import register_noise

CBDNET_BAYER: tuple[str, ...] = (*BAYER_PATTERNS, "none")
"""AddNoiseMosai.m's five options, in its order (parameter ``bayer`` indexes this tuple)."""


class InverseCRF(Stage):
    """sRGB intensity -> irradiance with the inverse of curve ``crf`` (drawn from ``choices``)."""

    def __init__(self, bank: CRFBank, choices: Sequence[int] | None = None) -> None:
        self.bank = bank
        self.choices = (
            tuple(range(len(bank))) if choices is None else tuple(int(c) for c in choices)
        )
        bad = [c for c in self.choices if not 0 <= c < len(bank)]
        if bad or not self.choices:
            raise RestoreKitError(
                f"crf index must be in 0..{len(bank) - 1}, got {list(choices or [])}"
            )

    def config(self) -> dict[str, Any]:
        return {"bank": self.bank.source, "curves": len(self.choices)}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        return {"crf": choice(batch_size, self.choices, generator, device)}

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        linear = self.bank.icrf(signal.image, params["crf"])
        return Signal(linear, linear=linear)


class Mosaic(Stage):
    """Sample through Bayer pattern ``CBDNET_BAYER[bayer]`` ("none" leaves the image RGB)."""

    def __init__(self, patterns: Sequence[str] = CBDNET_BAYER) -> None:
        names = [p.lower() for p in patterns]
        unknown = [p for p in names if p not in CBDNET_BAYER]
        if unknown or not names:
            raise RestoreKitError(
                f"unknown Bayer option(s) {unknown or '[]'}; known: {', '.join(CBDNET_BAYER)}"
            )
        self.patterns = tuple(names)

    def config(self) -> dict[str, Any]:
        return {"patterns": list(self.patterns)}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        options = [CBDNET_BAYER.index(p) for p in self.patterns]
        return {"bayer": choice(batch_size, options, generator, device)}

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        options = set(params["bayer"].tolist())
        if len(options) != 1:
            raise ValueError("Mosaic needs one pattern per call: run it inside SplitBy('bayer')")
        pattern = CBDNET_BAYER[options.pop()]
        if pattern == "none":
            return signal
        return Signal(mosaic(signal.image, pattern), signal.linear, signal.noise_map, pattern)


class CBDNetNoiseLevel(Stage):
    """Draws per-channel ``sigma_s``, ``sigma_c`` and records the map ``sigma_c + L * sigma_s``.

    Each is a value or ``[low, high]`` range shared by the channels, or a list of three ranges
    (R, G, B), e.g. a calibrated camera's (``restorekit calibrate --model cbdnet``).

    ``L`` is the clean irradiance (``signal.linear``, else the image). The noise itself is
    added by :class:`CBDNetNoise` with these parameters, after the mosaic.
    """

    def __init__(
        self,
        sigma_s: Range | Sequence[Range] = (0.0, 0.16),
        sigma_c: Range | Sequence[Range] = (0.0, 0.06),
    ) -> None:
        self.sigma_s = channel_ranges(sigma_s, 3, "cbdnet sigma_s")
        self.sigma_c = channel_ranges(sigma_c, 3, "cbdnet sigma_c")

    def config(self) -> dict[str, Any]:
        return {"sigma_s": listed_ranges(self.sigma_s), "sigma_c": listed_ranges(self.sigma_c)}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        return {
            "sigma_s": draw_ranges(self.sigma_s, batch_size, generator, device),
            "sigma_c": draw_ranges(self.sigma_c, batch_size, generator, device),
        }

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        linear = signal.image if signal.linear is None else signal.linear
        sigma_s = spatial(params["sigma_s"]).to(linear.dtype)
        sigma_c = spatial(params["sigma_c"]).to(linear.dtype)
        noise_map = torch.addcmul(sigma_c.expand_as(linear), linear, sigma_s)
        return Signal(signal.image, linear, noise_map, signal.cfa)


class CBDNetNoise(Stage):
    """Shot (std ``sigma_s * L``) plus read (std ``sigma_c``) noise on an RGB or Bayer signal.

    Reads the per-channel ``sigma_s``, ``sigma_c`` drawn by :class:`CBDNetNoiseLevel`; on a
    mosaic each photosite uses its own channel's values.
    """

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        image = signal.image
        sigma_s = params["sigma_s"].to(image.dtype)
        sigma_c = params["sigma_c"].to(image.dtype)
        if signal.cfa is None:
            noisy = add_shot_read(image, spatial(sigma_s), spatial(sigma_c), generator)
        else:
            h, w = image.shape[2:]
            noisy = add_shot_read(
                image,
                site_map(sigma_s, signal.cfa, h, w),
                site_map(sigma_c, signal.cfa, h, w),
                generator,
            )
        return Signal(noisy, signal.linear, signal.noise_map, signal.cfa)


class Demosaic(Stage):
    """Malvar-He-Cutler demosaic of a mosaicked signal, on ``bits``-bit integers like MATLAB.

    ``bits=16`` reproduces ``demosaic(uint16(L * 2^16)) / 2^16`` (round half away from zero,
    saturating); ``bits=None`` demosaics the float values as they are.
    """

    def __init__(self, bits: int | None = 16) -> None:
        if bits is not None and not 1 <= int(bits) <= 24:
            raise RestoreKitError(f"demosaic bits must be in 1..24 or None, got {bits}")
        self.bits = None if bits is None else int(bits)

    def config(self) -> dict[str, Any]:
        return {"bits": self.bits}

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        if signal.cfa is None:
            return signal
        if self.bits is None:
            rgb = demosaic_malvar(signal.image, signal.cfa)
        else:
            scale = float(2**self.bits)
            counts = signal.image.mul(scale).add_(0.5).floor_().clamp_(0.0, scale - 1)
            rgb = demosaic_malvar(counts, signal.cfa)
            rgb.add_(0.5).floor_().clamp_(0.0, scale - 1).div_(scale)
        return Signal(rgb, signal.linear, signal.noise_map, None)


class CRF(Stage):
    """Irradiance -> intensity with the curve the :class:`InverseCRF` stage drew (``crf``)."""

    def __init__(self, bank: CRFBank) -> None:
        self.bank = bank

    def config(self) -> dict[str, Any]:
        return {"bank": self.bank.source}

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        if signal.cfa is not None:
            raise ValueError("CRF needs an RGB signal: demosaic first")
        return Signal(self.bank.crf(signal.image, params["crf"]), signal.linear, signal.noise_map)


class JPEG(Stage):
    """JPEG compression at an integer quality drawn per image from ``[low, high]``."""

    def __init__(self, quality: int | Sequence[int] = (60, 100)) -> None:
        low, high = as_range(quality, "jpeg quality", minimum=1)
        if high > 100 or low != int(low) or high != int(high):
            raise RestoreKitError(f"jpeg quality must be integers in 1..100, got {quality!r}")
        self.quality = (int(low), int(high))

    def config(self) -> dict[str, Any]:
        return {"quality": list(self.quality)}

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        low, high = self.quality
        q = torch.randint(
            low, high + 1, (batch_size,), generator=generator, device=generator.device
        )
        return {"jpeg_quality": q.to(device)}

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        image = jpeg_roundtrip(signal.image, params["jpeg_quality"])
        return Signal(image, signal.linear, signal.noise_map, signal.cfa)


class CameraChain(NoiseChain):
    """A sensor noise model inside CBDNet's camera chain: inverse response curve -> noise level
    -> per Bayer pattern (mosaic -> sensor noise -> demosaic) -> response curve -> optional JPEG.

    Subclasses give the two stages that differ (``level``: the per-image noise parameters and the
    ground-truth map; ``noise``: the noise added at each photosite) and their own arguments.

    Args:
        crf_bank: folder with CBDNet's DoRF .mat files, a :class:`CRFBank`, or ``None`` /
            ``"builtin"`` for the built-in parametric bank.
        crf: curve index (or list of indices) to draw from; ``None`` = the whole bank.
        bayer: option name or list of names from :data:`CBDNET_BAYER`.
        jpeg: ``None`` (no JPEG), a quality or a ``[low, high]`` range.
        demosaic_bits: integer depth of MATLAB's demosaic (16) or ``None`` for float.
    """

    def __init__(
        self,
        level: Stage,
        noise: Stage,
        crf_bank: CRFBank | str | PathLike[str] | None,
        crf: int | Sequence[int] | None,
        bayer: str | Sequence[str],
        jpeg: int | Sequence[int] | None,
        demosaic_bits: int | None,
    ) -> None:
        self.bank = CRFBank.resolve(crf_bank)
        source = self.bank.source
        self._crf_bank = None if source == "builtin" else source
        choices = [crf] if isinstance(crf, int) else crf
        patterns = [bayer] if isinstance(bayer, str) else list(bayer)
        self._inverse = InverseCRF(self.bank, choices)
        self._level = level
        self._mosaic = Mosaic(patterns)
        self._demosaic = Demosaic(demosaic_bits)
        self._jpeg = None if jpeg is None else JPEG(jpeg)
        sensor = SplitBy("bayer", [self._mosaic, noise, self._demosaic])
        stages = [self._inverse, level, sensor, CRF(self.bank)]
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
        check_batch(x, channels=(3,), what=self.name or type(self).__name__)
        return super().apply(x, params, generator=generator)

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        out = super().describe(params, index)
        out["bayer"] = CBDNET_BAYER[out["bayer"]]
        out["crf_name"] = self.bank.names[out["crf"]]
        return out


@register_noise("cbdnet")
class CBDNetCamera(CameraChain):
    """CBDNet's camera noise pipeline (AddNoiseMosai.m) with its sampling defaults.

    Args:
        sigma_s, sigma_c: fixed value or ``[low, high]`` range, drawn per image and channel, or
            a list of three ranges, one per channel (R, G, B).
        crf_bank, crf, jpeg, demosaic_bits: as :class:`CameraChain` (``jpeg=None``: no JPEG, as
            AINDNet; CBDNet draws 60..100).
        bayer: default all five options of :data:`CBDNET_BAYER` (four patterns and none).
    """

    def __init__(
        self,
        sigma_s: Range | Sequence[Range] = (0.0, 0.16),
        sigma_c: Range | Sequence[Range] = (0.0, 0.06),
        crf_bank: CRFBank | str | PathLike[str] | None = None,
        crf: int | Sequence[int] | None = None,
        bayer: str | Sequence[str] = CBDNET_BAYER,
        jpeg: int | Sequence[int] | None = None,
        demosaic_bits: int | None = 16,
    ) -> None:
        level = CBDNetNoiseLevel(sigma_s, sigma_c)
        super().__init__(level, CBDNetNoise(), crf_bank, crf, bayer, jpeg, demosaic_bits)


def _validate_indices(value: Tensor, high: int, what: str) -> Tensor:
    value = torch.as_tensor(value)
    if value.is_floating_point() or bool(((value < 0) | (value >= high)).any()):
        raise RestoreKitError(f"{what} must be integers in 0..{high - 1}")
    return value.long()


def cbdnet(
    x: Tensor,
    sigma_s: Tensor | Range | None = None,
    sigma_c: Tensor | Range | None = None,
    crf: Tensor | int | Sequence[int] | None = None,
    bayer: Tensor | str | Sequence[str] | None = None,
    jpeg: Tensor | int | Sequence[int] | None = None,
    crf_bank: CRFBank | str | PathLike[str] | None = None,
    generator: torch.Generator | None = None,
) -> NoiseResult:
    """CBDNet camera noise on an RGB batch ``x`` (N, 3, H, W) in [0, 1].

    Each argument left ``None`` is drawn as AddNoiseMosai.m does (``jpeg=None`` means no JPEG,
    AINDNet's setting). Otherwise: a number / name fixes it, a ``(low, high)`` pair (sigmas,
    jpeg) or a list (crf indices, bayer names) is drawn from per image, and a tensor gives
    per-image values (sigmas: (N,), (N, 3) or (3,) per channel; crf, bayer: (N,) indices into
    the bank and :data:`CBDNET_BAYER`; jpeg: (N,) qualities).
    Returns the noisy batch, the ground-truth map ``sigma_c + L * sigma_s`` and the parameters.
    ``generator=None`` uses torch's default generator for ``x``'s device.
    """
    check_batch(x, channels=(3,), what="cbdnet")
    generator = resolve_generator(generator, x.device)
    kwargs: dict[str, Any] = {"crf_bank": crf_bank}
    for key, value in (("sigma_s", sigma_s), ("sigma_c", sigma_c)):
        if value is not None and not isinstance(value, Tensor):
            kwargs[key] = value
    if crf is not None and not isinstance(crf, Tensor):
        kwargs["crf"] = crf
    if bayer is not None and not isinstance(bayer, Tensor):
        kwargs["bayer"] = bayer
    if jpeg is not None:
        kwargs["jpeg"] = (1, 100) if isinstance(jpeg, Tensor) else jpeg
    model = CBDNetCamera(**kwargs)
    n = x.shape[0]
    params = model.sample(n, generator=generator, device=x.device)
    if isinstance(sigma_s, Tensor):
        params["sigma_s"] = per_sample(sigma_s, n, 3, x.device, "sigma_s")
    if isinstance(sigma_c, Tensor):
        params["sigma_c"] = per_sample(sigma_c, n, 3, x.device, "sigma_c")
    if isinstance(crf, Tensor):
        index = _validate_indices(crf, len(model.bank), "crf")
        params["crf"] = index.to(x.device).expand(n).clone()
    if isinstance(bayer, Tensor):
        index = _validate_indices(bayer, len(CBDNET_BAYER), "bayer")
        params["bayer"] = index.to(x.device).expand(n).clone()
    if isinstance(jpeg, Tensor):
        quality = torch.as_tensor(jpeg).long().to(x.device).expand(n).clone()
        if bool(((quality < 1) | (quality > 100)).any()):
            raise RestoreKitError("jpeg quality must be in 1..100")
        params["jpeg_quality"] = quality
    return model.apply(x, params, generator=generator)
