"""Noise models by name: the strings YAML recipes, logs and ``restorekit synth`` use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from restorekit.noise.base import NoiseModel
from restorekit.registry import Registry, check_options, parameter_names

NOISE: Registry[type[NoiseModel]] = Registry("noise model")


def register_noise(name: str) -> Callable[[type[NoiseModel]], type[NoiseModel]]:
    """Class decorator registering a :class:`NoiseModel` subclass under ``name`` (once only)."""

    def decorate(cls: type[NoiseModel]) -> type[NoiseModel]:
        cls.name = name
        return NOISE.add(name, cls)

    return decorate


def list_noise() -> list[str]:
    """All registered noise model names, sorted."""
    return NOISE.names()


def build_noise(name: str, **kwargs: Any) -> NoiseModel:
    """Build the noise model ``name`` from JSON-able keyword arguments (as a recipe gives them)."""
    cls = NOISE.get(name)
    check_options(f"noise model '{name}'", kwargs, parameter_names(cls.__init__))
    return cls(**kwargs)
