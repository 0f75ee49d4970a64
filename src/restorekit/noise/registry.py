"""Noise models by name: the strings YAML recipes, logs and ``restorekit synth`` use."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from restorekit.errors import RestoreKitError
from restorekit.noise.base import NoiseModel

_NOISE: dict[str, type[NoiseModel]] = {}


def register_noise(name: str) -> Callable[[type[NoiseModel]], type[NoiseModel]]:
    """Class decorator registering a :class:`NoiseModel` subclass under ``name`` (once only)."""

    def decorate(cls: type[NoiseModel]) -> type[NoiseModel]:
        if name in _NOISE:
            raise ValueError(f"noise model name '{name}' is already registered")
        cls.name = name
        _NOISE[name] = cls
        return cls

    return decorate


def list_noise() -> list[str]:
    """All registered noise model names, sorted."""
    return sorted(_NOISE)


def build_noise(name: str, **kwargs: Any) -> NoiseModel:
    """Build the noise model ``name`` from JSON-able keyword arguments (as a recipe gives them)."""
    try:
        cls = _NOISE[name]
    except KeyError:
        raise RestoreKitError(
            f"unknown noise model '{name}'; known: {', '.join(list_noise())}"
        ) from None
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(k for k in kwargs if k not in params or k == "self")
    if unknown:
        known = ", ".join(k for k in params if k != "self")
        raise RestoreKitError(
            f"noise model '{name}' has no option(s) {', '.join(unknown)}; known: {known}"
        )
    return cls(**kwargs)
