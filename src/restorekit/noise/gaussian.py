"""Gaussian noise models applied directly to an image: AWGN and two signal-dependent forms.

* :class:`AWGN` — ``y = x + sigma * n``, one sigma per image (HINet / DnCNN-style training).
* :class:`PoissonGaussian` — variance ``a * x + b`` (Foi et al. 2008; Brooks et al. 2019's
  shot/read model): the Gaussian approximation of Poisson photon noise plus read noise.
* :class:`CBDNetGaussian` — CBDNet's ``AddNoiseMosai.m`` form: a shot part with standard
  deviation ``sigma_s * x`` plus an independent read part with standard deviation ``sigma_c``
  (variance ``(sigma_s x)^2 + sigma_c^2``), per channel. Not a Poisson model: its standard
  deviation, not its variance, grows linearly with the signal.

Every ``noise_map`` is the per-pixel standard deviation of the noise that was added. The noisy
output is not clipped unless ``clip=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.noise.base import (
    NoiseModel,
    NoiseResult,
    Params,
    Range,
    as_range,
    channel_ranges,
    check_batch,
    draw_ranges,
    listed_ranges,
    per_sample,
    randn,
    resolve_generator,
    spatial,
    uniform,
)
from restorekit.noise.registry import register_noise


def add_shot_read(
    image: Tensor, sigma_s: Tensor, sigma_c: Tensor, generator: torch.Generator
) -> Tensor:
    """``image + n_s * sigma_s * image + n_c * sigma_c`` for independent standard normals.

    The sum of the two independent Gaussian parts is drawn as one Gaussian of standard
    deviation ``hypot(sigma_s * image, sigma_c)``: exactly the same distribution as
    AddNoiseMosai.m's two draws, with half the random numbers (the CPU cost of this stage).
    ``sigma_s`` and ``sigma_c`` broadcast against ``image``.
    """
    std = torch.mul(image, sigma_s).hypot_(sigma_c.expand_as(image))
    out = randn(image.shape, generator, image.device, image.dtype)
    return out.mul_(std).add_(image)


def _full_map(value: Tensor, like: Tensor) -> Tensor:
    """A per-image (N, 1 or C, 1, 1) level expanded into a contiguous map shaped like ``like``."""
    return value.to(like.dtype).expand_as(like).contiguous()


@register_noise("awgn")
class AWGN(NoiseModel):
    """Additive white Gaussian noise, one ``sigma`` per image (fixed or drawn from a range).

    ``sigma`` is in [0, 1] image units (25/255 for the usual "sigma 25"); a ``[low, high]``
    pair draws sigma ~ U[low, high] per image, the same for all channels.
    """

    def __init__(self, sigma: Range = 25 / 255, clip: bool = False) -> None:
        self.sigma = as_range(sigma, "awgn sigma")
        self.clip = bool(clip)

    def config(self) -> dict[str, Any]:
        low, high = self.sigma
        return {"sigma": low if low == high else [low, high], "clip": self.clip}

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        return {"sigma": uniform((batch_size,), *self.sigma, generator, device)}

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what="awgn")
        sigma = spatial(params["sigma"]).to(x.device, x.dtype)
        noisy = torch.addcmul(x, randn(x.shape, generator, x.device, x.dtype), sigma)
        if self.clip:
            noisy.clamp_(0.0, 1.0)
        return NoiseResult(noisy, _full_map(sigma, x), dict(params))


@register_noise("poisson_gaussian")
class PoissonGaussian(NoiseModel):
    """Heteroscedastic Gaussian noise with variance ``a * x + b`` (``x`` clamped at 0).

    ``a`` (the shot/gain term) and ``b`` (the read-noise variance) are in [0, 1] image units, each
    fixed or drawn uniformly from a ``[low, high]`` range, per image (``channels=1``) or per
    image and channel (``channels=C``). With ``channels=C`` either may also be a list of C
    ``[low, high]`` ranges, one per channel: a calibrated camera's fit
    (``restorekit calibrate`` writes one).
    """

    def __init__(
        self,
        a: Range | Sequence[Range] = (0.0, 0.02),
        b: Range | Sequence[Range] = (0.0, 0.0025),
        clip: bool = False,
        channels: int = 1,
    ) -> None:
        if int(channels) < 1:
            raise RestoreKitError(f"poisson_gaussian channels must be >= 1, got {channels}")
        self.channels = int(channels)
        self.a = channel_ranges(a, self.channels, "poisson_gaussian a")
        self.b = channel_ranges(b, self.channels, "poisson_gaussian b")
        self.clip = bool(clip)

    def config(self) -> dict[str, Any]:
        return {
            "a": listed_ranges(self.a),
            "b": listed_ranges(self.b),
            "clip": self.clip,
            "channels": self.channels,
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        a = draw_ranges(self.a, batch_size, generator, device)
        b = draw_ranges(self.b, batch_size, generator, device)
        return {"a": a[:, 0], "b": b[:, 0]} if self.channels == 1 else {"a": a, "b": b}

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what="poisson_gaussian")
        a = spatial(params["a"]).to(x.device, x.dtype)
        b = spatial(params["b"]).to(x.device, x.dtype)
        if a.shape[1] not in (1, x.shape[1]) or b.shape[1] not in (1, x.shape[1]):
            raise RestoreKitError(
                f"poisson_gaussian: parameters for {a.shape[1]} channel(s) "
                f"do not fit an input with C={x.shape[1]}"
            )
        std = torch.addcmul(b, x.clamp(min=0.0), a).sqrt_()
        noisy = torch.addcmul(x, randn(x.shape, generator, x.device, x.dtype), std)
        if self.clip:
            noisy.clamp_(0.0, 1.0)
        return NoiseResult(noisy, std, dict(params))


@register_noise("cbdnet_gaussian")
class CBDNetGaussian(NoiseModel):
    """CBDNet's signal-dependent Gaussian noise applied to the image itself (no camera pipeline).

    ``y = x + n1 * sigma_s * x + n2 * sigma_c`` with independent standard normals ``n1, n2``
    (drawn as their exact sum, see :func:`add_shot_read`); the noise map is
    ``sigma_c + sigma_s * x``, CBDNet's ground-truth level (ISSUE GuoShi28/CBDNet#2). Defaults
    are CBDNet's ranges, drawn per image and per channel for ``channels`` channels (use
    ``channels=1`` for one value per image, e.g. gray images); either may also be a list of
    ``channels`` ``[low, high]`` ranges, one per channel.
    """

    def __init__(
        self,
        sigma_s: Range | Sequence[Range] = (0.0, 0.16),
        sigma_c: Range | Sequence[Range] = (0.0, 0.06),
        channels: int = 3,
        clip: bool = False,
    ) -> None:
        if int(channels) < 1:
            raise RestoreKitError(f"cbdnet_gaussian channels must be >= 1, got {channels}")
        self.channels = int(channels)
        self.sigma_s = channel_ranges(sigma_s, self.channels, "cbdnet_gaussian sigma_s")
        self.sigma_c = channel_ranges(sigma_c, self.channels, "cbdnet_gaussian sigma_c")
        self.clip = bool(clip)

    def config(self) -> dict[str, Any]:
        return {
            "sigma_s": listed_ranges(self.sigma_s),
            "sigma_c": listed_ranges(self.sigma_c),
            "channels": self.channels,
            "clip": self.clip,
        }

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        return {
            "sigma_s": draw_ranges(self.sigma_s, batch_size, generator, device),
            "sigma_c": draw_ranges(self.sigma_c, batch_size, generator, device),
        }

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what="cbdnet_gaussian")
        sigma_s = spatial(params["sigma_s"]).to(x.device, x.dtype)
        sigma_c = spatial(params["sigma_c"]).to(x.device, x.dtype)
        if sigma_s.shape[1] not in (1, x.shape[1]) or sigma_c.shape[1] not in (1, x.shape[1]):
            raise RestoreKitError(
                f"cbdnet_gaussian: parameters for {sigma_s.shape[1]} channel(s) "
                f"do not fit an input with C={x.shape[1]}"
            )
        noisy = add_shot_read(x, sigma_s, sigma_c, generator)
        if self.clip:
            noisy.clamp_(0.0, 1.0)
        noise_map = torch.addcmul(sigma_c.expand_as(x), x, sigma_s)
        return NoiseResult(noisy, noise_map, dict(params))


# ---------------------------------------------------------------------------------------------
# functional API: a fixed value, a (low, high) range drawn per image, or a per-image tensor.


def _fixed_or_sampled(
    model: NoiseModel,
    x: Tensor,
    given: Mapping[str, Tensor | float | Sequence[float]],
    widths: Mapping[str, int | None],
    generator: torch.Generator,
) -> Params:
    params = model.sample(x.shape[0], generator=generator, device=x.device)
    for key, value in given.items():
        if isinstance(value, Tensor):
            params[key] = per_sample(value, x.shape[0], widths[key], x.device, key)
    return params


def _range_of(value: Tensor | Range, default: Range) -> Range:
    return default if isinstance(value, Tensor) else value


def awgn(x: Tensor, sigma: Tensor | Range, generator: torch.Generator | None = None) -> NoiseResult:
    """Add white Gaussian noise of standard deviation ``sigma`` ([0, 1] units) to ``x``.

    ``sigma``: a number, a ``(low, high)`` range drawn per image, or a tensor of per-image
    values (N,). ``generator=None`` uses torch's default generator for ``x``'s device.
    """
    check_batch(x, what="awgn")
    generator = resolve_generator(generator, x.device)
    model = AWGN(_range_of(sigma, 0.0))
    params = _fixed_or_sampled(model, x, {"sigma": sigma}, {"sigma": None}, generator)
    return model.apply(x, params, generator=generator)


def poisson_gaussian(
    x: Tensor, a: Tensor | Range, b: Tensor | Range, generator: torch.Generator | None = None
) -> NoiseResult:
    """Add Gaussian noise of variance ``a * x + b`` (Poisson-Gaussian approximation).

    ``a``, ``b``: numbers, ``(low, high)`` ranges drawn per image, or per-image tensors (N,).
    ``generator=None`` uses torch's default generator for ``x``'s device.
    """
    check_batch(x, what="poisson_gaussian")
    generator = resolve_generator(generator, x.device)
    model = PoissonGaussian(_range_of(a, 0.0), _range_of(b, 0.0))
    params = _fixed_or_sampled(model, x, {"a": a, "b": b}, {"a": None, "b": None}, generator)
    return model.apply(x, params, generator=generator)


def cbdnet_gaussian(
    x: Tensor,
    sigma_s: Tensor | Range = (0.0, 0.16),
    sigma_c: Tensor | Range = (0.0, 0.06),
    generator: torch.Generator | None = None,
) -> NoiseResult:
    """Add CBDNet's shot (std ``sigma_s * x``) plus read (std ``sigma_c``) noise to ``x``.

    Values: numbers, ``(low, high)`` ranges drawn per image and channel, or tensors of shape
    (N,), (C,) or (N, C). ``generator=None`` uses torch's default generator for ``x``'s device.
    """
    check_batch(x, what="cbdnet_gaussian")
    generator = resolve_generator(generator, x.device)
    c = x.shape[1]
    model = CBDNetGaussian(_range_of(sigma_s, 0.0), _range_of(sigma_c, 0.0), channels=c)
    params = _fixed_or_sampled(
        model, x, {"sigma_s": sigma_s, "sigma_c": sigma_c}, {"sigma_s": c, "sigma_c": c}, generator
    )
    return model.apply(x, params, generator=generator)
