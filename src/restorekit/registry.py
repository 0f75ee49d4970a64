"""One small name -> object registry, shared by models, noise models, losses and datasets.

Recipes, checkpoint metadata and the CLI name things by string; every kind of thing is looked
up the same way, so an unknown name or option is the same one-line user error everywhere
("unknown loss 'l3'; known: charbonnier, l1, ..."). It depends on nothing but the error type,
so every layer can use it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from restorekit.errors import RestoreKitError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> objects of one ``kind`` (used in messages: "model", "noise model", ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        """Register ``item`` as ``name``; a name is registered once only (a programming error)."""
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""
        return lambda item: self.add(name, item)

    def get(self, name: str) -> T:
        """The item registered as ``name``; an unknown name is a user error listing the known."""
        try:
            return self._items[name]
        except KeyError:
            raise RestoreKitError(
                f"unknown {self.kind} '{name}'; known: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


def parameter_names(fn: Callable[..., Any]) -> list[str]:
    """The named parameters of ``fn`` (a function or class), without ``self``/``*args``/``**kw``."""
    params = inspect.signature(fn).parameters.values()
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in params if p.name != "self" and p.kind not in skip]


def check_options(what: str, given: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse options of ``given`` that ``what`` (e.g. "loss 'l1'") does not take, in one line."""
    known = list(known)
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        raise RestoreKitError(
            f"{what} has no option(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
