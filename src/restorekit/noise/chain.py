"""Explicit chains of camera stages (house rule 4): ``NoiseChain([InverseCRF(bank), ...])``.

A stage turns one immutable :class:`Signal` into the next. Stages draw their own parameters
in :meth:`Stage.sample` (the chain merges them into one dict, one name per parameter) and may
read parameters drawn by another stage (the CRF reads the inverse CRF's ``crf`` index).
Stages that need one layout for the whole call (a Bayer mosaic turns (n, 3, H, W) into
(n, 1, H, W) only for images with a colour filter) sit inside a :class:`SplitBy` stage, which
runs them once per distinct value of a parameter and puts the batch back together in order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from restorekit.noise.base import NoiseModel, NoiseResult, Params, check_batch


@dataclass(frozen=True)
class Signal:
    """What flows through a chain.

    ``image`` is RGB (n, 3, H, W) or, between a mosaic and a demosaic, a Bayer raw
    (n, 1, H, W) with layout ``cfa``; ``linear`` is the clean linear RGB image the noise level
    refers to (CBDNet's irradiance ``L``); ``noise_map`` is set by the noise stage.
    """

    image: Tensor
    linear: Tensor | None = None
    noise_map: Tensor | None = None
    cfa: str | None = None


class Stage(ABC):
    """One step of a chain; stateless apart from its constructor arguments."""

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        """Draw this stage's own per-image parameters (none by default)."""
        return {}

    @abstractmethod
    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        """The next signal; never modifies ``signal`` or ``params``."""

    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments (for ``repr`` and logs)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _merge_params(stages: Sequence[Stage], drawn: list[Params]) -> Params:
    params: Params = {}
    for stage, new in zip(stages, drawn, strict=True):
        clash = params.keys() & new.keys()
        if clash:
            raise ValueError(f"{stage!r} draws parameter(s) already drawn: {sorted(clash)}")
        params.update(new)
    return params


class SplitBy(Stage):
    """Run ``stages`` once per distinct value of parameter ``key`` and reassemble the batch.

    For stages that need one layout per call (a Bayer mosaic turns RGB into one channel only
    for images with a colour filter). The sub-stages see ``image`` (and ``cfa``) only and must
    return RGB; ``linear`` and ``noise_map`` pass around them unchanged.
    """

    def __init__(self, key: str, stages: Sequence[Stage]) -> None:
        self.key = key
        self.stages = tuple(stages)

    def config(self) -> dict[str, Any]:
        return {"key": self.key, "stages": [repr(s) for s in self.stages]}

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self.stages)
        return f"SplitBy({self.key!r}, [{inner}])"

    def sample(
        self, batch_size: int, generator: torch.Generator, device: torch.device | str
    ) -> Params:
        drawn = [s.sample(batch_size, generator, device) for s in self.stages]
        return _merge_params(self.stages, drawn)

    def _run(
        self, image: Tensor, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Tensor:
        signal = Signal(image)
        for stage in self.stages:
            signal = stage.apply(signal, params, generator)
        if signal.cfa is not None or signal.image.shape != image.shape:
            raise ValueError(f"{self!r} must end with an image shaped like its input")
        return signal.image

    def apply(
        self, signal: Signal, params: Mapping[str, Tensor], generator: torch.Generator
    ) -> Signal:
        values = params[self.key].tolist()
        if len(set(values)) == 1:
            image = self._run(signal.image, params, generator)
            return Signal(image, signal.linear, signal.noise_map, None)
        image = torch.empty_like(signal.image)
        for value in sorted(set(values)):
            members = [i for i, v in enumerate(values) if v == value]
            index = torch.tensor(members, device=signal.image.device)
            sub = {k: v.index_select(0, index) for k, v in params.items()}
            out = self._run(signal.image.index_select(0, index), sub, generator)
            for row, i in enumerate(members):  # plain copies: faster than index_copy_ on CPU
                image[i].copy_(out[row])
        return Signal(image, signal.linear, signal.noise_map, None)


class NoiseChain(NoiseModel):
    """A noise model made of ordered stages; ``sample`` merges theirs, ``apply`` runs them."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = tuple(stages)

    def config(self) -> dict[str, Any]:
        return {"stages": [repr(s) for s in self.stages]}

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {stage!r}" for stage in self.stages)
        return f"{type(self).__name__}([\n{inner}\n])"

    def sample(
        self, batch_size: int, *, generator: torch.Generator, device: torch.device | str = "cpu"
    ) -> Params:
        drawn = [s.sample(batch_size, generator, device) for s in self.stages]
        return _merge_params(self.stages, drawn)

    def apply(
        self, x: Tensor, params: Mapping[str, Tensor], *, generator: torch.Generator
    ) -> NoiseResult:
        check_batch(x, what=type(self).__name__)
        params = {k: v.to(x.device) for k, v in params.items()}
        signal = Signal(x)
        for stage in self.stages:
            signal = stage.apply(signal, params, generator)
        if signal.noise_map is None:
            raise ValueError("the chain has no noise-level stage (no noise map was produced)")
        return NoiseResult(signal.image, signal.noise_map, params)
