"""Registry-driven checks for every registered model (tiny configurations only)."""

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


def _small(name: str) -> tuple[torch.nn.Module, dict[str, Any]]:
    kwargs = _tiny_kwargs(name)
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


@pytest.mark.parametrize("name", list_models())
def test_forward_backward_on_odd_size(name: str) -> None:
    model, kwargs = _small(name)
    x = torch.rand(1, _channels(name, kwargs), 13, 19)
    out = model(x)
    assert isinstance(out, RestorationOutput)
    assert out.image.shape == x.shape
    assert out.stages and out.stages[-1] is out.image
    maps = [out.noise_map, out.noise_map_fine, out.noise_map_coarse]
    tensors = [*out.stages, *(m for m in maps if m is not None)]
    assert all(torch.isfinite(t).all() for t in tensors)
    sum(t.sum() for t in tensors).backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not unused, f"parameters without gradient: {unused[:5]}"


@pytest.mark.parametrize("name", list_models())
def test_state_dict_round_trip(name: str, tmp_path: Path) -> None:
    model, kwargs = _small(name)
    model.eval()
    path = save_model(tmp_path / f"{name}.safetensors", model, name=name, kwargs=kwargs)
    loaded = load_model(path)
    assert not loaded.training
    assert loaded.checkpoint_metadata["name"] == name
    ours, theirs = model.state_dict(), loaded.state_dict()
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    x = torch.rand(1, _channels(name, kwargs), 11, 15)
    with torch.inference_mode():
        assert torch.equal(model(x).image, loaded(x).image)
