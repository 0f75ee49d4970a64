"""Official HINet .pth files: unwrapping, config inference, strict loading, safe unpickling."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.models import build_model
from restorekit.weights import load_model
from restorekit.weights.official import convert_official_hinet, hinet_kwargs_from_state_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hinet"
OFFICIAL = FIXTURES / "hinet_wf8_d5.pth"


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return torch.load(OFFICIAL, map_location="cpu", weights_only=True)["params"]


def test_load_official_fixture_reproduces_reference_outputs() -> None:
    model = load_model(OFFICIAL)
    assert not model.training
    assert model.checkpoint_metadata["kwargs"]["wf"] == 8
    io = np.load(FIXTURES / "hinet_wf8_d5_io.npz")
    with torch.inference_mode():
        out = model(torch.from_numpy(io["input"]))
    assert (out.stages[0] - torch.from_numpy(io["out_1"])).abs().max().item() < 1e-5
    assert (out.image - torch.from_numpy(io["out_2"])).abs().max().item() < 1e-5


@pytest.mark.parametrize("wrap", ["params", "params_ema", "bare", "module"])
def test_wrappers_and_module_prefix(
    wrap: str, state: dict[str, torch.Tensor], tmp_path: Path
) -> None:
    if wrap == "bare":
        obj: object = state
    elif wrap == "module":
        obj = {"params": {f"module.{k}": v for k, v in state.items()}}
    else:
        obj = {wrap: state}
    path = tmp_path / "net_g.pth"
    torch.save(obj, path)
    loaded = load_model(path).state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


@pytest.mark.parametrize(
    ("name", "left", "right"), [("hinet-1x", 0, 4), ("hinet-1x-deblur", 3, 4), ("hinet", 5, 4)]
)
def test_infers_width_depth_and_hin_positions(name: str, left: int, right: int) -> None:
    with torch.device("meta"):
        sd = build_model(name, wf=4, hin_position_left=left, hin_position_right=right).state_dict()
    kwargs = hinet_kwargs_from_state_dict(sd)
    assert kwargs["wf"] == 4 and kwargs["depth"] == 5 and kwargs["in_chn"] == 3
    if left <= right:
        assert (kwargs["hin_position_left"], kwargs["hin_position_right"]) == (left, right)
    with torch.device("meta"):
        rebuilt = build_model("hinet", **kwargs).state_dict()
    assert list(rebuilt) == list(sd)


def test_deblur_checkpoint_loads_as_deblur_variant(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = build_model("hinet-1x-deblur", wf=4, depth=4)
    torch.save({"params": source.state_dict()}, tmp_path / "gopro.pth")
    kwargs = load_model(tmp_path / "gopro.pth").checkpoint_metadata["kwargs"]
    assert (kwargs["hin_position_left"], kwargs["hin_position_right"]) == (3, 3)
    assert kwargs["depth"] == 4


def test_missing_and_unexpected_keys_are_named(
    state: dict[str, torch.Tensor], tmp_path: Path
) -> None:
    broken = {k: v for k, v in state.items() if k != "last.weight"}
    broken["foo.bar"] = torch.zeros(1)
    torch.save({"params": broken}, tmp_path / "broken.pth")
    with pytest.raises(RestoreKitError) as info:
        load_model(tmp_path / "broken.pth")
    message = str(info.value)
    assert "missing 1 key(s): last.weight" in message
    assert "unexpected 1 key(s): foo.bar" in message
    assert "\n" not in message


def test_not_a_hinet_state_dict(tmp_path: Path) -> None:
    torch.save({"params": {"weight": torch.zeros(3)}}, tmp_path / "other.pth")
    with pytest.raises(RestoreKitError, match="not a HINet state_dict"):
        load_model(tmp_path / "other.pth")
    torch.save({"epoch": 3}, tmp_path / "nostate.pth")
    with pytest.raises(RestoreKitError, match="no state_dict found"):
        load_model(tmp_path / "nostate.pth")


class _Payload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


class _Custom:
    """An arbitrary class: weights_only loading must refuse to rebuild it."""


def test_code_execution_pickle_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    torch.save({"params": _Payload(marker)}, tmp_path / "evil.pth")
    with pytest.raises(RestoreKitError, match="refusing to load") as info:
        load_model(tmp_path / "evil.pth")
    assert "system" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_custom_class_pickle_is_refused(tmp_path: Path) -> None:
    torch.save({"params": _Custom()}, tmp_path / "custom.pth")
    with pytest.raises(RestoreKitError, match=r"refusing to load.*_Custom"):
        load_model(tmp_path / "custom.pth")


def test_convert_is_pure(state: dict[str, torch.Tensor]) -> None:
    wrapped = {"params": {f"module.{k}": v for k, v in state.items()}}
    kwargs, converted = convert_official_hinet(wrapped)
    assert list(converted) == list(state)
    assert next(iter(wrapped["params"])).startswith("module.")
    assert kwargs == {
        "in_chn": 3,
        "wf": 8,
        "depth": 5,
        "relu_slope": 0.2,
        "hin_position_left": 0,
        "hin_position_right": 4,
        "extra_blocks": 0,
    }
