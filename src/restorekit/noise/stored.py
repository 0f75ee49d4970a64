"""What saving to a file does to a noisy image: 8-bit rounding and clipping, or JPEG.

Every noisy photo a user has is a file: its values were clipped to [0, 1] and rounded to 8 bits
(PNG, TIFF) or JPEG-compressed. A model trained only on float noise meets inputs it never saw
(``gaussian-color`` lost 0.6 dB at sigma 25 when its inputs were rounded, issue #17), so a
recipe wraps any noise model in :class:`Stored`, which gives each image one of three fates:
JPEG at a quality drawn from ``jpeg_quality`` (probability ``jpeg``), 8-bit rounding and
clipping (probability ``quantize``) or none (the rest). The ground-truth noise map is the inner
model's: the rounding error (1/255/sqrt(12) = 0.0011 rms) and what clipping removes are left
out of it, as CBDNet leaves JPEG out of its map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import NoiseModel, NoiseResult, Params, uniform
from restorekit.noise.camera import JPEG
from restorekit.noise.jpeg import jpeg_roundtrip
from restorekit.noise.registry import build_noise, register_noise

FLOAT, ROUNDED, COMPRESSED = 0, 1, 2
"""The values of the ``stored`` parameter: kept float, rounded to 8 bits, JPEG."""


@register_noise("stored")
class Stored(NoiseModel):
    """The noise model ``noise`` (``{name, kwargs}``) followed by a per-image file format.

    Args:
        noise: the inner model as a recipe writes it, ``{"name": ..., "kwargs": {...}}``, or a
            built :class:`NoiseModel`.
        quantize: probability that an image is clipped to [0, 1] and rounded to 8 bits.
        jpeg: probability that an image is JPEG-compressed instead (8-bit, then libjpeg).
        jpeg_quality: a quality or a ``[low, high]`` range, drawn per image.
    """

    def __init__(
        self,
        noise: Mapping[str, Any] | NoiseModel,
        quantize: float = 1.0,
        jpeg: float = 0.0,
        jpeg_quality: int | Sequence[int] = (60, 100),
    ) -> None:
        if isinstance(noise, NoiseModel):
            self.inner = noise
        elif isinstance(noise, Mapping) and "name" in noise:
            self.inner = build_noise(noise["name"], **dict(noise.get("kwargs") or {}))
        else:
            raise RestoreKitError(f"stored: noise must be {{name, kwargs}}, got {noise!r}")
        for what, p in (("quantize", quantize), ("jpeg", jpeg)):
            if not 0.0 <= float(p) <= 1.0:
                raise RestoreKitError(f"stored: {what} must be a probability in [0, 1], got {p}")
        if float(quantize) + float(jpeg) > 1.0:
            raise RestoreKitError(f"stored: quantize + jpeg must be <= 1, got {quantize} + {jpeg}")
        self.quantize, self.jpeg = float(quantize), float(jpeg)
        self._jpeg = JPEG(jpeg_quality)

    def config(self) -> dict[str, Any]:
        return {
            "noise": {"name": self.inner.name, "kwargs": self.inner.config()},
            "quantize": self.quantize,
            "jpeg": self.jpeg,
            "jpeg_quality": list(self._jpeg.quality),
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        params = self.inner.sample(batch_size, generator=generator, device=device)
        u = uniform((batch_size,), 0.0, 1.0, generator, device)
        stored = torch.full((batch_size,), FLOAT, dtype=torch.int64, device=u.device)
        stored[u < self.jpeg + self.quantize] = ROUNDED
        stored[u < self.jpeg] = COMPRESSED
        return {**params, "stored": stored, **self._jpeg.sample(batch_size, generator, device)}

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        inner = {k: v for k, v in params.items() if k not in ("stored", "jpeg_quality")}
        out = self.inner.apply(x, inner, generator=generator)
        noisy = out.noisy.clone()
        stored = params["stored"].to(noisy.device)
        rounded = stored == ROUNDED
        if bool(rounded.any()):
            noisy[rounded] = noisy[rounded].clamp(0, 1).mul(255).round().div(255)
        compressed = (stored == COMPRESSED).nonzero().flatten()
        if compressed.numel():
            quality = params["jpeg_quality"].to(noisy.device)[compressed]
            noisy[compressed] = jpeg_roundtrip(noisy[compressed], quality)
        extra = {"stored": params["stored"], "jpeg_quality": params["jpeg_quality"]}
        return NoiseResult(noisy, out.noise_map, {**out.params, **extra})

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        inner = {k: v for k, v in params.items() if k not in ("stored", "jpeg_quality")}
        fate = ("float", "uint8", "jpeg")[int(params["stored"][index])]
        out = {**self.inner.describe(inner, index), "stored": fate}
        if fate == "jpeg":
            out["jpeg_quality"] = int(params["jpeg_quality"][index])
        return out
