"""One explicit name -> builder registry for every model.

A name (``hinet-1x``, ``aindnet``) plus keyword arguments describes a model everywhere: YAML
recipes, checkpoint metadata and the CLI. Presets are names with different default kwargs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.models.spec import ModelSpec, input_channels
from restorekit.registry import Registry, check_options, parameter_names


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
        check_options(f"model '{self.name}'", overrides, parameter_names(self.builder))
        return {**self.defaults, **overrides}


MODELS: Registry[ModelEntry] = Registry("model")


def register_model(
    name: str,
    builder: Callable[..., nn.Module],
    *,
    defaults: dict[str, Any] | None = None,
    size_multiple: int = 1,
    description: str = "",
) -> None:
    """Register ``builder`` under ``name``; a name may be registered once only."""
    MODELS.add(name, ModelEntry(name, builder, dict(defaults or {}), size_multiple, description))


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; an unknown name is a user error listing the known ones."""
    return MODELS.get(name)


def list_models() -> list[str]:
    """All registered model names, sorted."""
    return MODELS.names()


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with preset defaults overridden by ``kwargs``;
    its :class:`~restorekit.models.spec.ModelSpec` is attached as ``model.spec``."""
    entry = get_entry(name)
    full = entry.kwargs(**kwargs)
    try:
        model = entry.builder(**full)
    except (TypeError, ValueError) as err:
        raise RestoreKitError(f"model '{name}': bad option value ({err})") from None
    channels = input_channels(full, default=input_channels(vars(model)))
    multiple = max(entry.size_multiple, int(getattr(model, "native_size_multiple", 1)))
    model.spec = ModelSpec(name, dict(kwargs), channels, multiple)
    return model
