"""The one registry class: names, one-line errors for unknown names and options."""

import pytest

from restorekit.data.registry import DATASETS
from restorekit.errors import RestoreKitError
from restorekit.models.registry import MODELS
from restorekit.noise.registry import NOISE
from restorekit.registry import Registry, check_options, parameter_names
from restorekit.train.losses import LOSSES


def test_add_get_names_and_unknown_names() -> None:
    things: Registry[int] = Registry("thing")
    things.add("b", 2)
    things.register("a")(1)
    assert things.get("a") == 1 and things.names() == ["a", "b"] and "b" in things
    assert list(things) == ["a", "b"] and len(things) == 2
    with pytest.raises(RestoreKitError, match=r"^unknown thing 'c'; known: a, b$"):
        things.get("c")
    with pytest.raises(ValueError, match="already registered"):
        things.add("a", 3)


def test_options_are_checked_against_the_signature() -> None:
    def builder(self, alpha: float = 1.0, *args, beta: int = 2, **kwargs) -> None: ...

    assert parameter_names(builder) == ["alpha", "beta"]
    check_options("loss 'x'", {"alpha": 1}, ["alpha", "beta"])
    with pytest.raises(RestoreKitError, match=r"loss 'x' has no option\(s\) gamma; known: alpha"):
        check_options("loss 'x'", {"gamma": 1}, ["alpha"])


@pytest.mark.parametrize(
    ("registry", "kind", "member"),
    [
        (MODELS, "model", "hinet"),
        (NOISE, "noise model", "awgn"),
        (LOSSES, "loss", "l1"),
        (DATASETS, "dataset", "paired_folder"),
    ],
)
def test_every_kind_uses_it(registry: Registry, kind: str, member: str) -> None:
    assert isinstance(registry, Registry) and registry.kind == kind and member in registry
    with pytest.raises(RestoreKitError, match=f"unknown {kind} 'nope'"):
        registry.get("nope")
