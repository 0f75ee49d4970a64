"""What a model is, typed, travelling with it (timm's ``PretrainedCfg`` idea, issue #19).

``build_model`` attaches a :class:`ModelSpec` as ``model.spec``: the registry name, the full
constructor kwargs, the input channels and the side multiple inputs are padded to.
``restorekit.weights.load_model`` adds what the weights' metadata knows (the largest tile the
model should see, its source and licence). Inference, evaluation and the benchmarks read these
facts from the spec instead of guessing them from attributes or kwargs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

#: Constructor keywords that name the input channels (HINet keeps its official ``in_chn``).
CHANNEL_KEYWORDS = ("in_channels", "in_chn")


@dataclass(frozen=True)
class ModelSpec:
    """A model's registry name and kwargs and the facts inference needs about it."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    in_channels: int = 3
    size_multiple: int = 1
    max_tile: int | None = None
    source: str | None = None
    licence: str | None = None


def input_channels(kwargs: dict[str, Any], default: int = 3) -> int:
    """The input channels a model's kwargs set (``in_channels`` or ``in_chn``), else ``default``."""
    for key in CHANNEL_KEYWORDS:
        if isinstance(kwargs.get(key), int):
            return int(kwargs[key])
    return default


def spec_of(model: object) -> ModelSpec | None:
    """The spec attached to ``model``, or None (a module built outside the registry)."""
    spec = getattr(model, "spec", None) if isinstance(model, nn.Module) else None
    return spec if isinstance(spec, ModelSpec) else None
