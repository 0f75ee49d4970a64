"""What every noise model shares: the result type, the sample/apply contract and RNG helpers.

A noise model draws its per-image parameters with :meth:`NoiseModel.sample` and applies them
with :meth:`NoiseModel.apply`; both take an explicit ``torch.Generator`` and never change the
model, so the same object can serve several DataLoader workers or training devices. Parameters
are plain dicts of per-sample tensors (first dimension = batch), which a dataset can log and a
test can fix.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError

Range = float | Sequence[float]
"""A parameter as recipes write it: a fixed number or a ``[low, high]`` range."""

Params = dict[str, Tensor]


class NoiseResult(NamedTuple):
    """A noisy batch, its ground-truth noise-level map and the parameters that made it.

    ``noise_map`` has the shape of ``noisy`` and holds the per-pixel noise level in the same
    [0, 1] units as the images: the standard deviation of the added noise, except for CBDNet's
    models, whose ground truth is by definition ``sigma_c + L * sigma_s``, and ``rain_streaks``,
    whose map is the streak layer it added. ``params`` maps names to per-sample tensors (first
    dimension = N).
    """

    noisy: Tensor
    noise_map: Tensor
    params: Params


class NoiseModel(ABC):
    """Base class: ``sample`` parameters, ``apply`` them; ``model(x, generator)`` does both.

    Subclasses keep their constructor arguments JSON-able (``config()`` returns them) so that
    ``build_noise(name, **model.config())`` rebuilds the same model from a recipe or a log.
    """

    name: str = ""

    @abstractmethod
    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        """Draw the parameters of ``batch_size`` images with ``generator`` onto ``device``."""

    @abstractmethod
    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        """Degrade ``x`` (N, C, H, W) with the given per-image ``params``."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The JSON-able constructor arguments of this model."""

    def __call__(self, x: Tensor, generator: torch.Generator) -> NoiseResult:
        """Sample parameters for the batch ``x`` and apply them (the training-time entry point)."""
        check_batch(x)
        check_generator(generator)
        params = self.sample(x.shape[0], generator=generator, device=x.device)
        return self.apply(x, params, generator=generator)

    def describe(self, params: Mapping[str, Tensor], index: int) -> dict[str, Any]:
        """The parameters of image ``index`` as JSON-able Python values (for logs and sidecars)."""
        return {key: value[index].tolist() for key, value in params.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------------------------------
# argument checks


def check_batch(x: Tensor, channels: Sequence[int] | None = None, what: str = "noise") -> None:
    """Reject anything but a floating (N, C, H, W) batch (optionally with C in ``channels``)."""
    if not isinstance(x, Tensor):
        raise RestoreKitError(f"{what}: expected a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4 or not x.is_floating_point():
        raise RestoreKitError(
            f"{what}: expected a float (N, C, H, W) batch, got {x.dtype} {tuple(x.shape)}"
        )
    if channels is not None and x.shape[1] not in channels:
        wanted = " or ".join(str(c) for c in channels)
        raise RestoreKitError(f"{what}: needs {wanted} channel(s), got C={x.shape[1]}")


def check_generator(generator: object) -> None:
    """Noise objects need an explicit generator (house rule 4): no silent global RNG."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"an explicit torch.Generator is required, got {type(generator).__name__}")


def resolve_generator(generator: torch.Generator | None, device: torch.device) -> torch.Generator:
    """The functional API's rule for ``generator=None``: torch's default generator of ``device``.

    That is the generator ``torch.randn(..., device=device)`` itself uses, so
    ``torch.manual_seed`` makes such calls reproducible; pass a generator to keep the noise
    independent of everything else that draws random numbers.
    """
    if generator is not None:
        check_generator(generator)
        return generator
    device = torch.device(device)
    if device.type == "cpu":
        return torch.default_generator
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        return torch.cuda.default_generators[index]
    raise RestoreKitError(f"pass an explicit torch.Generator for tensors on {device.type}")


# ---------------------------------------------------------------------------------------------
# random draws: made on the generator's device, then moved where the data lives


def randn(
    shape: Sequence[int], generator: torch.Generator, device: torch.device, dtype: torch.dtype
) -> Tensor:
    """Standard normal samples drawn with ``generator`` and placed on ``device``."""
    out = torch.randn(tuple(shape), generator=generator, device=generator.device, dtype=dtype)
    return out.to(device, non_blocking=True)


def uniform(
    shape: Sequence[int],
    low: float,
    high: float,
    generator: torch.Generator,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """U[low, high) samples (``low`` exactly when ``low == high``)."""
    u = torch.rand(tuple(shape), generator=generator, device=generator.device, dtype=dtype)
    return (low + (high - low) * u).to(device)


def log_uniform(
    shape: Sequence[int],
    low: float,
    high: float,
    generator: torch.Generator,
    device: torch.device | str,
) -> Tensor:
    """Samples whose logarithm is uniform between log(low) and log(high)."""
    return uniform(shape, math.log(low), math.log(high), generator, device).exp()


def choice(
    batch_size: int, options: Sequence[int], generator: torch.Generator, device: torch.device | str
) -> Tensor:
    """One of ``options`` per image, uniformly (int64)."""
    pick = torch.randint(len(options), (batch_size,), generator=generator, device=generator.device)
    return torch.as_tensor(list(options), dtype=torch.int64, device=generator.device)[pick].to(
        device
    )


# ---------------------------------------------------------------------------------------------
# parameter specifications: a fixed value or a (low, high) range, as recipes write them


def as_range(
    value: float | Sequence[float], what: str, minimum: float = 0.0
) -> tuple[float, float]:
    """``value`` (a number or a ``[low, high]`` pair) as a checked ``(low, high)`` tuple."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low = high = float(value)
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        low, high = (float(v) for v in value)
    else:
        raise RestoreKitError(f"{what} must be a number or a [low, high] pair, got {value!r}")
    if not (math.isfinite(low) and math.isfinite(high)) or low < minimum or high < low:
        raise RestoreKitError(f"{what} must satisfy {minimum} <= low <= high, got {value!r}")
    return low, high


def channel_ranges(
    value: Range | Sequence[Range], channels: int, what: str
) -> list[tuple[float, float]]:
    """One checked ``(low, high)`` per channel: a shared number/range, or a list of C ranges."""
    is_list = isinstance(value, Sequence) and not isinstance(value, str)
    if is_list and value and all(isinstance(v, Sequence) and not isinstance(v, str) for v in value):
        if len(value) != channels:
            raise RestoreKitError(
                f"{what}: {len(value)} per-channel ranges given for channels={channels}"
            )
        return [as_range(v, f"{what}[{i}]") for i, v in enumerate(value)]
    return [as_range(value, what)] * channels  # type: ignore[arg-type]


def range_config(value: tuple[float, float]) -> float | list[float]:
    """A config value: the number when ``low == high``, else ``[low, high]``."""
    low, high = value
    return low if low == high else [low, high]


def listed_ranges(ranges: list[tuple[float, float]]) -> list[float] | list[list[float]]:
    """A config value: one ``[low, high]`` when the channels share it, else one per channel."""
    if len(set(ranges)) == 1:
        return list(ranges[0])
    return [list(r) for r in ranges]


def draw_ranges(
    ranges: list[tuple[float, float]],
    batch_size: int,
    generator: torch.Generator,
    device: torch.device | str,
) -> Tensor:
    """(N, C) values, channel c uniform in ``ranges[c]`` (``low`` exactly when low == high)."""
    if len(set(ranges)) == 1:
        return uniform((batch_size, len(ranges)), *ranges[0], generator, device)
    low, high = (torch.tensor(v, dtype=torch.float32) for v in zip(*ranges, strict=True))
    u = uniform((batch_size, len(ranges)), 0.0, 1.0, generator, "cpu")
    return (low + (high - low) * u).to(device)


def per_sample(
    value: Tensor | float, batch_size: int, width: int | None, device: torch.device, what: str
) -> Tensor:
    """A fixed value given by the caller as per-sample float32 parameters on ``device``.

    ``width=None`` gives shape (N,); otherwise (N, width), broadcasting a scalar, an (N,) or a
    (width,) tensor.
    """
    t = torch.as_tensor(value, dtype=torch.float32, device=device)
    shape = (batch_size,) if width is None else (batch_size, width)
    try:
        if width is not None and t.ndim == 1 and t.shape[0] == batch_size != width:
            t = t[:, None]
        return t.expand(shape).clone()
    except RuntimeError:
        raise RestoreKitError(
            f"{what}: cannot use shape {tuple(t.shape)} for a batch of shape {shape}"
        ) from None


def spatial(p: Tensor) -> Tensor:
    """Per-sample parameters (N,) or (N, C) viewed as (N, 1 or C, 1, 1) for broadcasting."""
    return p.reshape(p.shape[0], -1, 1, 1)
