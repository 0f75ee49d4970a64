"""The typed model spec: attached by build_model and load_model, read by inference."""

from __future__ import annotations

from pathlib import Path

import torch

from restorekit.infer.loading import model_channels, model_max_tile, model_size_multiple
from restorekit.models import build_model
from restorekit.models.registry import get_entry
from restorekit.models.spec import ModelSpec, spec_of
from restorekit.weights import load_model, save_model


def test_build_model_attaches_name_kwargs_channels_and_multiple() -> None:
    gray = build_model("aindnet-xs-gray")
    multiple = get_entry("aindnet-xs-gray").size_multiple
    assert spec_of(gray) == ModelSpec("aindnet-xs-gray", {}, in_channels=1, size_multiple=multiple)
    hinet = build_model("hinet", wf=4, in_chn=1)  # HINet keeps its official keyword
    assert (hinet.spec.in_channels, hinet.spec.kwargs) == (1, {"wf": 4, "in_chn": 1})
    assert model_channels(hinet) == 1 and model_size_multiple(hinet) == hinet.spec.size_multiple


def test_load_model_adds_what_the_weights_know(tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = save_model(
        tmp_path / "m.safetensors",
        build_model("hinet", wf=4),
        name="hinet",
        kwargs={"wf": 4},
        source="a test",
        licence="Apache-2.0",
        max_tile=64,
    )
    spec = load_model(path).spec
    assert (spec.name, spec.kwargs, spec.max_tile) == ("hinet", {"wf": 4}, 64)
    assert (spec.source, spec.licence) == ("a test", "Apache-2.0")
    assert model_max_tile(load_model(path)) == 64


def test_a_module_from_elsewhere_has_no_spec() -> None:
    assert spec_of(torch.nn.Identity()) is None and model_max_tile(torch.nn.Identity()) is None
    assert model_channels(torch.nn.Identity()) == 3
    assert model_channels(torch.nn.Conv2d(1, 1, 3)) == 1  # its in_channels attribute
