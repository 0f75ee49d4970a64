"""Registry-driven checks for every registered model and every ablation variant (constructor
options such as ``norm="gated"``), at tiny configurations only."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.models import RestorationOutput, build_model, get_entry, list_models
from restorekit.weights import load_model, save_model

# Overrides that shrink a family to a smoke-test size (only those its builder accepts are used).
TINY = {"hinet": {"wf": 4, "depth": 3}, "aindnet": {"width": 4, "estimator_width": 4}}
MAX_SMOKE_PARAMS = 3_000_000
# Module-design variants: (registry name, options); defaults are the released networks.
VARIANTS = [
    *(("aindnet-xs", {"norm": norm}) for norm in ("in", "concat", "gated", "none")),
    ("aindnet-xs", {"estimator": "fine_only"}),
    *(("aindnet-xs", {"estimator": "none", "norm": norm}) for norm in ("ain", "gated", "concat")),
    ("aindnet-xs-gray", {"estimator": "none"}),
    *(("hinet", {"norm": norm}) for norm in ("in", "bn", "none")),
    ("hinet", {"stages": 1}),
    ("hinet", {"stages": 1, "norm": "bn"}),
    ("hinet", {"csff": False}),
    ("hinet", {"sam": False}),
    ("hinet", {"csff": False, "sam": False}),
]
CASES = [*((name, {}) for name in list_models()), *VARIANTS]
DEFAULT_OPTIONS = {
    "aindnet-xs": {"norm": "ain", "estimator": "two_scale"},
    "hinet": {"norm": "hin", "stages": 2, "csff": True, "sam": True},
}


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, options = case
    return "-".join([name, *(f"{k}={v}" for k, v in options.items())])


def _tiny_kwargs(name: str) -> dict[str, Any]:
    accepted = inspect.signature(get_entry(name).builder).parameters
    family = TINY.get(name.split("-")[0], {})
    return {k: v for k, v in family.items() if k in accepted}


def _channels(name: str, kwargs: dict[str, Any]) -> int:
    full = get_entry(name).kwargs(**kwargs)
    params = inspect.signature(get_entry(name).builder).parameters
    for key in ("in_chn", "in_channels"):
        if key in full:
            return int(full[key])
        if key in params and params[key].default is not inspect.Parameter.empty:
            return int(params[key].default)
    return 3


def _small(name: str, **options: Any) -> tuple[torch.nn.Module, dict[str, Any]]:
    kwargs = {**_tiny_kwargs(name), **options}
    try:
        with torch.device("meta"):
            model = build_model(name, **kwargs)
    except (NotImplementedError, RuntimeError):
        model = None  # not buildable on the meta device
    if model is not None:
        count = sum(p.numel() for p in model.parameters())
        if count > MAX_SMOKE_PARAMS:
            pytest.skip(f"{name}: {count:,} parameters, too large for a CPU smoke test")
    torch.manual_seed(0)
    return build_model(name, **kwargs), kwargs


def _run(model: torch.nn.Module, x: torch.Tensor) -> RestorationOutput:
    """``model(x)``, with a (deterministic) ground-truth noise map for models that take one."""
    if getattr(model, "needs_noise_map", False):
        return model(x, noise_map=0.05 + 0.1 * x.flip(-1))
    return model(x)


@pytest.mark.parametrize("name", list_models())
def test_entry_defaults_are_constructor_arguments(name: str) -> None:
    entry = get_entry(name)
    params = inspect.signature(entry.builder).parameters
    assert set(entry.defaults) <= set(params)
    assert isinstance(entry.size_multiple, int) and entry.size_multiple >= 1


@pytest.mark.parametrize("name", list_models())
def test_unknown_kwarg_is_a_user_error(name: str) -> None:
    with pytest.raises(RestoreKitError, match="no_such_option"):
        build_model(name, no_such_option=1)


def test_bad_option_value_is_a_one_line_user_error() -> None:
    with pytest.raises(RestoreKitError, match="model 'hinet': bad option value") as info:
        build_model("hinet", wf=1)
    assert "\n" not in str(info.value)


def test_unknown_name_lists_known_models() -> None:
    with pytest.raises(RestoreKitError) as info:
        build_model("no-such-model")
    message = str(info.value)
    assert "\n" not in message
    assert all(name in message for name in list_models())


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_forward_backward_on_odd_size(case: tuple[str, dict[str, Any]]) -> None:
    name, options = case
    model, kwargs = _small(name, **options)
    x = torch.rand(1, _channels(name, kwargs), 13, 19)
    out = _run(model, x)
    assert isinstance(out, RestorationOutput)
    assert out.image.shape == x.shape
    assert out.stages and out.stages[-1] is out.image
    maps = [out.noise_map, out.noise_map_fine, out.noise_map_coarse]
    tensors = [*out.stages, *(m for m in maps if m is not None)]
    assert all(torch.isfinite(t).all() for t in tensors)
    sum(t.sum() for t in tensors).backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not unused, f"parameters without gradient: {unused[:5]}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_state_dict_round_trip(case: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    name, options = case
    model, kwargs = _small(name, **options)
    model.eval()
    path = save_model(tmp_path / f"{name}.safetensors", model, name=name, kwargs=kwargs)
    loaded = load_model(path)
    assert not loaded.training
    assert loaded.checkpoint_metadata["name"] == name
    assert options.items() <= loaded.checkpoint_metadata["kwargs"].items()
    ours, theirs = model.state_dict(), loaded.state_dict()
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    x = torch.rand(1, _channels(name, kwargs), 11, 15)
    with torch.inference_mode():
        assert torch.equal(_run(model, x).image, _run(loaded, x).image)


@pytest.mark.parametrize("name", sorted(DEFAULT_OPTIONS))
def test_default_options_build_the_released_network(name: str) -> None:
    default, _ = _small(name)
    explicit, _ = _small(name, **DEFAULT_OPTIONS[name])
    ours, theirs = default.state_dict(), explicit.state_dict()
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    x = torch.rand(2, 3, 16, 24)
    with torch.inference_mode():
        a, b = default.eval()(x), explicit.eval()(x)
    assert len(a.stages) == len(b.stages)
    assert all(torch.equal(s, t) for s, t in zip(a.stages, b.stages, strict=True))
