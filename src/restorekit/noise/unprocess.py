"""Unprocessing (Brooks et al., CVPR 2019): sRGB -> raw, shot/read noise, raw -> sRGB.

Per image (``google-research/unprocessing``, spec section 5):

* a random colour correction matrix: a convex combination of four XYZ->camera matrices
  (weights ~ U(1e-8, 1e8), normalised), times sRGB's RGB->XYZ, rows normalised to sum to 1;
* gains: ``rgb_gain = 1 / N(0.8, 0.1)``, ``red_gain ~ U(1.9, 2.4)``, ``blue_gain ~ U(1.5, 1.9)``;
* inverse tone curve ``0.5 - sin(asin(1 - 2x) / 3)``, gamma expansion ``x^2.2``, RGB->camera,
  highlight-preserving inverse gains, clip, RGGB mosaic (packed to 4 half-size planes);
* noise: ``log shot ~ U(log 1e-4, log 0.012)``,
  ``log read = 2.18 log shot + 1.20 + N(0, 0.26)``, ``y = x + N(0, sqrt(shot x + read))``;
* forward ISP: white-balance gains, clip, bilinear demosaic, camera->RGB, clip, gamma 1/2.2.

``forward="inverse"`` (default) also re-applies ``rgb_gain`` and the smoothstep tone curve, so
the processed clean image matches the input up to clipping and highlight handling and the noisy
output pairs with the original clean batch; ``forward="brooks"`` is ``process.py`` as published
(only red/blue gains, no tone curve), for training on processed pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import (
    NoiseModel,
    NoiseResult,
    Params,
    as_range,
    check_batch,
    log_uniform,
    per_sample,
    randn,
    resolve_generator,
    uniform,
)
from restorekit.noise.bayer import demosaic_bilinear, demosaic_malvar, pack_rggb
from restorekit.noise.registry import register_noise

XYZ2CAMS = (
    ((1.0234, -0.2969, -0.2266), (-0.5625, 1.6328, -0.0469), (-0.0703, 0.2188, 0.6406)),
    ((0.4913, -0.0541, -0.0202), (-0.613, 1.3513, 0.2906), (-0.1564, 0.2151, 0.7183)),
    ((0.838, -0.263, -0.0639), (-0.2887, 1.0725, 0.2496), (-0.0627, 0.1427, 0.5438)),
    ((0.6596, -0.2079, -0.0562), (-0.4782, 1.3016, 0.1933), (-0.097, 0.1581, 0.5181)),
)
RGB2XYZ = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)


class UnprocessOutput(NamedTuple):
    """Everything one unprocessing pass produces (raws are packed RGGB, N x 4 x H/2 x W/2).

    ``variance`` is the true per-photosite noise variance ``shot * clean_raw + read``;
    ``noise_map`` its square root, bilinearly demosaiced to (N, 3, H, W).
    """

    clean_raw: Tensor
    noisy_raw: Tensor
    variance: Tensor
    clean_srgb: Tensor
    noisy_srgb: Tensor
    noise_map: Tensor
    params: Params


def _ccm(x: Tensor, matrix: Tensor) -> Tensor:
    return torch.einsum("nij,njhw->nihw", matrix.to(x.dtype), x)


def _col(v: Tensor, like: Tensor) -> Tensor:
    return v.to(like.dtype).view(-1, 1, 1, 1)


@register_noise("unprocess")
class Unprocess(NoiseModel):
    """Brooks et al.'s raw noise synthesis; ``apply`` returns the processed (sRGB) result.

    Args:
        shot: ``[low, high]`` of the log-uniform shot-noise factor, or a fixed value.
        read_slope, read_intercept, read_std: ``log read = slope * log shot + intercept +
            N(0, read_std)``.
        red_gain, blue_gain: uniform ranges (or fixed values) of the white-balance gains.
        rgb_gain_mean, rgb_gain_std: ``rgb_gain = 1 / N(mean, std)``.
        forward: ``"inverse"`` (pairs with the input) or ``"brooks"`` (process.py as published).
        demosaic: ``"bilinear"`` (Brooks) or ``"malvar"``.
    """

    def __init__(
        self,
        shot: float | Sequence[float] = (1e-4, 0.012),
        read_slope: float = 2.18,
        read_intercept: float = 1.20,
        read_std: float = 0.26,
        red_gain: float | Sequence[float] = (1.9, 2.4),
        blue_gain: float | Sequence[float] = (1.5, 1.9),
        rgb_gain_mean: float = 0.8,
        rgb_gain_std: float = 0.1,
        forward: str = "inverse",
        demosaic: str = "bilinear",
    ) -> None:
        self.shot = as_range(shot, "unprocess shot", minimum=1e-12)
        self.read_slope = float(read_slope)
        self.read_intercept = float(read_intercept)
        self.read_std = float(read_std)
        self.red_gain = as_range(red_gain, "unprocess red_gain", minimum=1e-6)
        self.blue_gain = as_range(blue_gain, "unprocess blue_gain", minimum=1e-6)
        if rgb_gain_mean <= 0 or rgb_gain_std < 0 or read_std < 0:
            raise RestoreKitError("unprocess: rgb_gain_mean must be > 0 and the stds >= 0")
        self.rgb_gain_mean = float(rgb_gain_mean)
        self.rgb_gain_std = float(rgb_gain_std)
        if forward not in ("inverse", "brooks"):
            raise RestoreKitError(
                f"unprocess forward must be 'inverse' or 'brooks', got {forward!r}"
            )
        if demosaic not in ("bilinear", "malvar"):
            raise RestoreKitError(
                f"unprocess demosaic must be 'bilinear' or 'malvar', got {demosaic!r}"
            )
        self.forward = forward
        self.demosaic = demosaic

    def config(self) -> dict[str, Any]:
        return {
            "shot": list(self.shot),
            "read_slope": self.read_slope,
            "read_intercept": self.read_intercept,
            "read_std": self.read_std,
            "red_gain": list(self.red_gain),
            "blue_gain": list(self.blue_gain),
            "rgb_gain_mean": self.rgb_gain_mean,
            "rgb_gain_std": self.rgb_gain_std,
            "forward": self.forward,
            "demosaic": self.demosaic,
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        n = batch_size
        weights = uniform((n, 4, 1, 1), 1e-8, 1e8, generator, device, torch.float64)
        xyz2cam = (weights * torch.tensor(XYZ2CAMS, dtype=torch.float64, device=device)).sum(1)
        xyz2cam = xyz2cam / weights.sum(1)
        rgb2cam = xyz2cam @ torch.tensor(RGB2XYZ, dtype=torch.float64, device=device)
        rgb2cam = rgb2cam / rgb2cam.sum(-1, keepdim=True)
        rgb_gain = 1.0 / (
            self.rgb_gain_mean
            + self.rgb_gain_std * randn((n,), generator, torch.device(device), torch.float32)
        )
        red_gain = uniform((n,), *self.red_gain, generator, device)
        blue_gain = uniform((n,), *self.blue_gain, generator, device)
        shot = log_uniform((n,), *self.shot, generator, device)
        log_read = (
            self.read_slope * shot.log()
            + self.read_intercept
            + self.read_std * randn((n,), generator, torch.device(device), torch.float32)
        )
        return {
            "rgb2cam": rgb2cam.float(),
            "rgb_gain": rgb_gain,
            "red_gain": red_gain,
            "blue_gain": blue_gain,
            "shot": shot,
            "read": log_read.exp(),
        }

    # -- the two halves of the ISP --------------------------------------------------------------

    @staticmethod
    def to_raw(x: Tensor, params: Mapping[str, Tensor]) -> Tensor:
        """Clean sRGB (N, 3, H, W) -> packed RGGB raw (N, 4, H/2, W/2) without noise."""
        img = x.clamp(0.0, 1.0)
        img = 0.5 - torch.sin(torch.asin(1.0 - 2.0 * img) / 3.0)  # inverse smoothstep
        img = img.clamp(min=1e-8).pow(2.2)
        img = _ccm(img, params["rgb2cam"])
        ones = torch.ones_like(params["red_gain"])
        gains = torch.stack((1.0 / params["red_gain"], ones, 1.0 / params["blue_gain"]), 1)
        gains = (gains / params["rgb_gain"][:, None]).to(img.dtype).view(-1, 3, 1, 1)
        gray = img.mean(1, keepdim=True)
        mask = ((gray - 0.9).clamp(min=0.0) / 0.1).square()
        safe = torch.maximum(mask + (1.0 - mask) * gains, gains)  # keep highlights saturated
        return pack_rggb((img * safe).clamp(0.0, 1.0))

    def to_srgb(self, raw: Tensor, params: Mapping[str, Tensor]) -> Tensor:
        """Packed RGGB raw -> sRGB (N, 3, H, W) in [0, 1] with the forward ISP."""
        red, blue = params["red_gain"], params["blue_gain"]
        ones = torch.ones_like(red)
        gains = torch.stack((red, ones, ones, blue), 1)
        if self.forward == "inverse":
            gains = gains * params["rgb_gain"][:, None]
        img = (raw * gains.to(raw.dtype).view(-1, 4, 1, 1)).clamp(0.0, 1.0)
        img = self._demosaic(img)
        img = _ccm(img, torch.linalg.inv(params["rgb2cam"].double()).float()).clamp(0.0, 1.0)
        img = img.clamp(min=1e-8).pow(1 / 2.2)
        if self.forward == "inverse":
            img = img * img * (3.0 - 2.0 * img)  # smoothstep, undoing the inverse tone curve
        return img

    def _demosaic(self, packed: Tensor) -> Tensor:
        if self.demosaic == "bilinear":
            return demosaic_bilinear(packed)
        n, _, h, w = packed.shape
        mosaic = torch.nn.functional.pixel_shuffle(packed, 2)  # planes R,Gr,Gb,B -> RGGB sites
        return demosaic_malvar(mosaic.reshape(n, 1, 2 * h, 2 * w), "rggb")

    def _raw_pair(
        self, x: Tensor, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Clean raw, noisy raw, variance and standard deviation (all packed RGGB)."""
        check_batch(x, channels=(3,), what="unprocess")
        if x.shape[2] % 2 or x.shape[3] % 2:
            raise RestoreKitError(f"unprocess needs even H and W, got {tuple(x.shape[2:])}")
        clean_raw = self.to_raw(x, params)
        variance = torch.addcmul(
            _col(params["read"], clean_raw).expand_as(clean_raw),
            clean_raw,
            _col(params["shot"], clean_raw),
        )
        std = variance.sqrt()
        noise = randn(clean_raw.shape, generator, x.device, x.dtype)
        return clean_raw, noise.mul_(std).add_(clean_raw), variance, std

    def simulate(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> UnprocessOutput:
        """Unprocess ``x``, add raw noise, process both raws: every intermediate product."""
        params = {k: v.to(x.device) for k, v in params.items()}
        clean_raw, noisy_raw, variance, std = self._raw_pair(x, params, generator)
        return UnprocessOutput(
            clean_raw=clean_raw,
            noisy_raw=noisy_raw,
            variance=variance,
            clean_srgb=self.to_srgb(clean_raw, params),
            noisy_srgb=self.to_srgb(noisy_raw, params),
            noise_map=demosaic_bilinear(std),
            params=params,
        )

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        """The processed noisy image and the raw-domain noise std map (no clean processing)."""
        params = {k: v.to(x.device) for k, v in params.items()}
        _, noisy_raw, _, std = self._raw_pair(x, params, generator)
        return NoiseResult(self.to_srgb(noisy_raw, params), demosaic_bilinear(std), params)

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        out = super().describe(params, index)
        out["log_shot"] = math.log(out["shot"])
        out["log_read"] = math.log(out["read"])
        return out


def _unprocess_setup(
    x: Tensor, fixed: Mapping[str, Tensor | float | None], generator: torch.Generator | None
) -> tuple[Unprocess, Params, torch.Generator]:
    check_batch(x, channels=(3,), what="unprocess")
    generator = resolve_generator(generator, x.device)
    model = Unprocess()
    n = x.shape[0]
    params = model.sample(n, generator=generator, device=x.device)
    for key, value in fixed.items():
        if value is None:
            continue
        if key == "rgb2cam":
            matrix = torch.as_tensor(value, dtype=torch.float32, device=x.device)
            try:
                params[key] = matrix.expand(n, 3, 3).clone()
            except RuntimeError:
                raise RestoreKitError("rgb2cam must be (3, 3) or (N, 3, 3)") from None
        else:
            params[key] = per_sample(value, n, None, x.device, key)
    return model, params, generator


def unprocess(
    x: Tensor,
    shot: Tensor | float | None = None,
    read: Tensor | float | None = None,
    rgb2cam: Tensor | None = None,
    rgb_gain: Tensor | float | None = None,
    red_gain: Tensor | float | None = None,
    blue_gain: Tensor | float | None = None,
    generator: torch.Generator | None = None,
) -> NoiseResult:
    """Brooks et al.'s noise on an sRGB batch: noisy sRGB, raw-domain noise std map, parameters.

    Arguments left ``None`` are drawn as in the paper; numbers or per-image tensors fix them.
    Use :func:`unprocess_raw` for the raw pairs and the variance map.
    ``generator=None`` uses torch's default generator for ``x``'s device.
    """
    out = unprocess_raw(x, shot, read, rgb2cam, rgb_gain, red_gain, blue_gain, generator)
    return NoiseResult(out.noisy_srgb, out.noise_map, out.params)


def unprocess_raw(
    x: Tensor,
    shot: Tensor | float | None = None,
    read: Tensor | float | None = None,
    rgb2cam: Tensor | None = None,
    rgb_gain: Tensor | float | None = None,
    red_gain: Tensor | float | None = None,
    blue_gain: Tensor | float | None = None,
    generator: torch.Generator | None = None,
) -> UnprocessOutput:
    """Like :func:`unprocess` but returns every product: raw and sRGB pairs, variance, map."""
    fixed = {
        "shot": shot,
        "read": read,
        "rgb2cam": rgb2cam,
        "rgb_gain": rgb_gain,
        "red_gain": red_gain,
        "blue_gain": blue_gain,
    }
    model, params, generator = _unprocess_setup(x, fixed, generator)
    return model.simulate(x, params, generator=generator)
