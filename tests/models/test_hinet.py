"""HINet: official keys and numbers, parameter counts, any input size, presets and the
module-design variants (``norm``, ``stages``, ``csff``, ``sam``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.models import build_model, get_entry
from restorekit.models.hinet import HINet, UNetConvBlock
from restorekit.models.layers import pad_to_multiple, pad_to_size
from restorekit.models.layers.norm import set_local_stats

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hinet"


def _count(name: str, **kwargs: object) -> int:
    with torch.device("meta"):
        model = build_model(name, **kwargs)
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def official_state() -> dict[str, torch.Tensor]:
    return torch.load(FIXTURES / "hinet_wf8_d5.pth", map_location="cpu", weights_only=True)[
        "params"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hinet-1x", 88_669_702),
        ("hinet-0.5x", 22_176_518),
        ("hinet-1x-deblur", 88_668_806),
        ("hinet", 88_669_702),
    ],
)
def test_parameter_counts_match_official(name: str, expected: int) -> None:
    assert _count(name) == expected


def test_presets() -> None:
    for tag, wf in (("0.5x", 32), ("1x", 64), ("2x", 128)):
        assert get_entry(f"hinet-{tag}").kwargs() == {
            "wf": wf,
            "hin_position_left": 0,
            "hin_position_right": 4,
        }
        assert get_entry(f"hinet-{tag}-deblur").kwargs()["hin_position_left"] == 3
        assert get_entry(f"hinet-{tag}").size_multiple == 1


def test_keys_equal_official_in_order(official_state: dict[str, torch.Tensor]) -> None:
    with torch.device("meta"):
        ours = HINet(wf=8).state_dict()
    assert list(ours) == list(official_state)
    assert all(ours[k].shape == v.shape for k, v in official_state.items())
    assert len(ours) == 198


def test_deblur_hin_positions_drop_norm_keys() -> None:
    with torch.device("meta"):
        keys = build_model("hinet-1x-deblur", wf=8).state_dict().keys()
    norms = sorted({k.split(".norm.")[0] for k in keys if ".norm." in k})
    assert norms == ["down_path_1.3", "down_path_1.4", "down_path_2.3", "down_path_2.4"]
    assert len(keys) == 186


def test_matches_official_outputs(official_state: dict[str, torch.Tensor]) -> None:
    io = np.load(FIXTURES / "hinet_wf8_d5_io.npz")
    model = HINet(wf=8)
    model.load_state_dict(official_state, strict=True)
    model.eval()
    with torch.inference_mode():
        out = model(torch.from_numpy(io["input"]))
    assert len(out.stages) == 2 and out.image is out.stages[-1]
    for ours, key in zip(out.stages, ("out_1", "out_2"), strict=True):
        assert (ours - torch.from_numpy(io[key])).abs().max().item() < 1e-5
    assert out.noise_map is None


@pytest.mark.parametrize(
    ("depth", "size"),
    [(5, (37, 53)), (5, (16, 16)), (3, (4, 4)), (3, (3, 5)), (3, (1, 1)), (3, (1, 9))],
)
def test_any_input_size(depth: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    model = HINet(wf=4, depth=depth).eval()
    x = torch.rand(2, 3, *size)
    with torch.inference_mode():
        out = model(x)
    for stage in out.stages:
        assert stage.shape == x.shape
        assert torch.isfinite(stage).all()


def test_padding_is_identity_on_native_multiples() -> None:
    torch.manual_seed(0)
    model = HINet(wf=4, depth=3).eval()
    assert model.native_size_multiple == 4
    x = torch.rand(1, 3, 8, 12)
    with torch.inference_mode():
        padded = model(x).image
        direct = model.forward_stages(x)[1]
    assert torch.equal(padded, direct)


def test_gray_and_extra_blocks() -> None:
    torch.manual_seed(0)
    plain_keys = set(HINet(wf=4, depth=3).state_dict())
    model = HINet(in_chn=1, wf=4, depth=3, extra_blocks=2)
    extra = set(model.state_dict()) - plain_keys
    assert "down_path_1.0.extra.1.conv_1.weight" in extra
    assert "up_path_2.1.conv_block.extra.0.identity.bias" in extra
    assert not any(".extra." not in k for k in extra)
    out = model(torch.rand(1, 1, 9, 11))
    assert out.image.shape == (1, 1, 9, 11)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="wf >= 2"):
        HINet(wf=1)


def test_pad_to_size_reflects_repeatedly() -> None:
    x = torch.arange(3.0).view(1, 1, 1, 3)
    out = pad_to_size(x, 1, 9)
    assert out.flatten().tolist() == [0, 1, 2, 1, 0, 1, 2, 1, 0]
    assert pad_to_size(torch.ones(1, 1, 1, 1) * 7, 4, 4).unique().tolist() == [7.0]
    assert pad_to_multiple(torch.rand(2, 3, 37, 53), 16).shape == (2, 3, 48, 64)
    with pytest.raises(ValueError):
        pad_to_size(x, 1, 2)


# -- module-design variants (norm, stages, csff, sam) ----------------------------------------------


def _keys(**kwargs: object) -> list[str]:
    with torch.device("meta"):
        return list(HINet(wf=4, depth=3, **kwargs).state_dict())


@pytest.mark.parametrize(
    ("norm", "features", "local"), [("hin", 2, 6), ("in", 4, 6), ("bn", 2, 0), ("none", None, 0)]
)
def test_norm_variants(norm: str, features: int | None, local: int) -> None:
    model = HINet(wf=4, depth=3, norm=norm)
    block = model.down_path_2[0]
    assert (block.norm is None) == (features is None)
    if block.norm is not None:
        assert block.norm.num_features == features  # of conv_1's 4 output channels
    assert isinstance(block.norm, torch.nn.BatchNorm2d) == (norm == "bn")
    assert set_local_stats(model, 32) == local
    assert all(m.norm is None for m in model.up_path_1.modules() if isinstance(m, UNetConvBlock))
    out = model.eval()(torch.rand(2, 3, 9, 11))
    assert out.image.shape == (2, 3, 9, 11)


def test_in_variant_normalises_every_channel() -> None:
    torch.manual_seed(0)
    block = UNetConvBlock(3, 4, False, 0.2, norm="in")
    torch.nn.init.normal_(block.norm.weight)
    x = torch.rand(2, 3, 8, 8)
    expected = torch.nn.functional.instance_norm(
        block.conv_1(x), weight=block.norm.weight, bias=block.norm.bias
    )
    captured = []
    block.relu_1.register_forward_hook(lambda m, inputs, out: captured.append(inputs[0]))
    block(x)
    torch.testing.assert_close(captured[0], expected)


def test_single_stage_is_one_unet() -> None:
    keys = _keys(stages=1)
    prefixes = {k.split(".")[0] for k in keys}
    assert prefixes == {"conv_01", "down_path_1", "up_path_1", "skip_conv_1", "last"}
    assert set(keys) < set(_keys())
    model = HINet(wf=4, depth=3, stages=1).eval()
    out = model(torch.rand(1, 3, 9, 11))
    assert len(out.stages) == 1 and out.image is out.stages[0]


def test_csff_and_sam_can_be_dropped() -> None:
    default = _keys()
    no_csff = _keys(csff=False)
    assert no_csff == [k for k in default if ".csff_" not in k]
    no_sam = _keys(sam=False)
    assert [k for k in no_sam if not k.startswith("last_1.")] == [
        k for k in default if not k.startswith("sam12.")
    ]
    assert "last_1.weight" in no_sam
    out = HINet(wf=4, depth=3, sam=False).eval()(torch.rand(1, 3, 9, 11))
    assert len(out.stages) == 2


@pytest.mark.parametrize("kwargs", [{"stages": 3}, {"norm": "ln"}])
def test_invalid_variant_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        HINet(wf=4, depth=3, **kwargs)
