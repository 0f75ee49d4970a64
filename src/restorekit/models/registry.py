"""One explicit name -> builder registry for every model.

A name (``hinet-1x``, ``aindnet``) plus keyword arguments describes a model everywhere: YAML
recipes, checkpoint metadata and the CLI. Presets are names with different default kwargs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from restorekit.errors import RestoreKitError


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its builder, preset defaults and the size multiple inputs must meet."""

    name: str
    builder: Callable[..., nn.Module]
    defaults: dict[str, Any] = field(default_factory=dict)
    size_multiple: int = 1
    description: str = ""

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The full constructor kwargs: preset defaults updated by ``overrides`` (validated)."""
        params = inspect.signature(self.builder).parameters
        unknown = sorted(k for k in overrides if k not in params)
        if unknown:
            raise RestoreKitError(
                f"model '{self.name}' has no option(s) {', '.join(unknown)}; "
                f"known: {', '.join(params)}"
            )
        return {**self.defaults, **overrides}


_MODELS: dict[str, ModelEntry] = {}


def register_model(
    name: str,
    builder: Callable[..., nn.Module],
    *,
    defaults: dict[str, Any] | None = None,
    size_multiple: int = 1,
    description: str = "",
) -> None:
    """Register ``builder`` under ``name``; a name may be registered once only."""
    if name in _MODELS:
        raise ValueError(f"model name '{name}' is already registered")
    _MODELS[name] = ModelEntry(name, builder, dict(defaults or {}), size_multiple, description)


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; an unknown name is a user error listing the known ones."""
    try:
        return _MODELS[name]
    except KeyError:
        raise RestoreKitError(
            f"unknown model '{name}'; known models: {', '.join(sorted(_MODELS))}"
        ) from None


def list_models() -> list[str]:
    """All registered model names, sorted."""
    return sorted(_MODELS)


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with preset defaults overridden by ``kwargs``."""
    entry = get_entry(name)
    try:
        return entry.builder(**entry.kwargs(**kwargs))
    except (TypeError, ValueError) as err:
        raise RestoreKitError(f"model '{name}': bad option value ({err})") from None
