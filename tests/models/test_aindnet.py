"""AINDNet: parameter counts, AIN semantics, any-size forward, options, presets and the
module-design variants (``norm``, ``estimator``)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.models import RestorationOutput, build_model, get_entry, transfer_parameters
from restorekit.models.aindnet import (
    AIN,
    AINDNet,
    AINResBlock,
    GatedIN,
    NoiseEstimator,
    resize_map,
)
from restorekit.models.layers.norm import InstanceNorm2d, LocalStatsMixin, set_local_stats


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _meta_count(name: str, **kwargs: object) -> int:
    with torch.device("meta"):
        return _count(build_model(name, **kwargs))


def _tiny(**kwargs: object) -> AINDNet:
    torch.manual_seed(0)
    return AINDNet(width=4, estimator_width=4, **kwargs).eval()


def test_estimator_and_block_parameter_counts() -> None:
    assert _count(NoiseEstimator()) == 29_675
    assert _count(AINResBlock(64)) == 231_296
    assert _count(AINResBlock(128)) == 600_320
    assert _count(AINResBlock(256)) == 1_780_736


def test_full_model_parameter_count_and_small_forward() -> None:
    torch.manual_seed(0)
    model = build_model("aindnet").eval()
    assert _count(model) == 13_764_014
    ain = sum(_count(m) for m in model.modules() if isinstance(m, AIN))
    assert ain == 5_158_400
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 32, 32))
    assert out.image.shape == (1, 3, 32, 32)
    assert out.noise_map_coarse.shape == (1, 3, 4, 4)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("aindnet", 13_764_014),
        ("aindnet-s", 3_501_262),
        ("aindnet-xs", 916_574),
        ("aindnet-gray", 13_671_830),
        ("aindnet-xs-gray", 892_550),
    ],
)
def test_preset_parameter_counts(name: str, params: int) -> None:
    assert _meta_count(name) == params
    assert get_entry(name).size_multiple == 8


def test_ain_with_zero_gamma_beta_is_instance_norm() -> None:
    torch.manual_seed(0)
    ain = AIN(channels=5, map_channels=3, hidden=8)
    for conv in (ain.conv_gamma, ain.conv_beta):
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    x = torch.randn(2, 5, 9, 7) * 3 + 1
    noise_map = torch.rand(2, 3, 18, 14)
    expected = nn.InstanceNorm2d(5, affine=False, eps=1e-5, track_running_stats=False)(x)
    torch.testing.assert_close(ain(x, noise_map), expected)


def test_ain_starts_close_to_instance_norm() -> None:
    torch.manual_seed(0)
    ain = AIN(channels=16, map_channels=3, hidden=64)
    x = torch.randn(1, 16, 12, 12)
    plain = nn.functional.instance_norm(x, eps=1e-5)
    assert (ain(x, torch.rand(1, 3, 12, 12)) - plain).abs().mean() < 0.05


def test_initialisation_follows_tf() -> None:
    torch.manual_seed(0)
    model = AINDNet(width=16)
    conv = model.rec.blocks3[0].ain1.conv_gamma  # variance scaling 0.02, fan-in 16*9
    std = math.sqrt(1.3 * 0.02 / conv.weight[0].numel())
    assert conv.weight.abs().max() <= 2 * std
    assert 0.75 * std < conv.weight.std() < 0.95 * std  # truncation at 2 std: ~0.88 std
    deconv = model.rec.up4.deconv.weight
    assert deconv.abs().max() <= 0.04 and 0.015 < deconv.std() < 0.019
    head = model.rec.head2.weight  # Glorot uniform
    limit = math.sqrt(6 / (head.shape[1] * 9 + head.shape[0] * 9))
    assert head.abs().max() <= limit and head.abs().max() > 0.9 * limit
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    assert all(torch.count_nonzero(b) == 0 for b in biases)
    assert model.rec.up4.deconv.bias is None


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(37, 53), (1, 1), (3, 10), (16, 24)])
def test_any_size_forward_shapes(channels: int, size: tuple[int, int]) -> None:
    model = _tiny(in_channels=channels)
    x = torch.rand(2, channels, *size)
    with torch.inference_mode():
        out = model(x)
    assert isinstance(out, RestorationOutput)
    assert out.image.shape == x.shape
    assert out.stages == [out.image]
    assert out.noise_map.shape == x.shape
    assert out.noise_map_fine.shape == x.shape
    coarse = (2, channels, math.ceil(size[0] / 8), math.ceil(size[1] / 8))
    assert out.noise_map_coarse.shape == coarse
    assert (out.noise_map >= 0).all() and (out.noise_map_fine >= 0).all()


@pytest.mark.parametrize("resize", ["bilinear", "tf_legacy"])
def test_no_padding_mode_handles_odd_sizes(resize: str) -> None:
    model = _tiny(resize=resize, pad=False)
    x = torch.rand(1, 3, 37, 53)
    with torch.inference_mode():
        out = model(x)
    assert out.image.shape == x.shape
    assert out.noise_map_coarse.shape == (1, 3, 5, 7)


def test_padding_is_a_no_op_on_multiples_of_8() -> None:
    padded, native = _tiny(), _tiny(pad=False)
    x = torch.rand(1, 3, 16, 24)
    with torch.inference_mode():
        assert torch.equal(padded(x).image, native(x).image)


@pytest.mark.parametrize("resize", ["bilinear", "tf_legacy"])
def test_noise_map_blends_coarse_and_fine(resize: str) -> None:
    model = _tiny(resize=resize)
    x = torch.rand(1, 3, 16, 16)
    with torch.inference_mode():
        out = model(x)
    up = resize_map(out.noise_map_coarse, (16, 16), resize)
    torch.testing.assert_close(out.noise_map, 0.8 * up + 0.2 * out.noise_map_fine)


def test_resize_modes_differ_and_output_is_residual() -> None:
    model = _tiny()
    legacy = _tiny(resize="tf_legacy")
    legacy.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 16, 16)
    with torch.inference_mode():
        a, b = model(x), legacy(x)
        assert not torch.equal(a.noise_map, b.noise_map)
        residual = model.rec(x, a.noise_map)
    torch.testing.assert_close(a.image, x + residual)


def test_batch_items_are_independent() -> None:
    model = _tiny()
    x = torch.rand(3, 3, 13, 11)
    with torch.inference_mode():
        whole = model(x).image
        single = model(x[1:2]).image
    torch.testing.assert_close(whole[1:2], single)


def test_backward_reaches_every_parameter() -> None:
    model = _tiny().train()
    out = model(torch.rand(2, 3, 21, 19))
    (out.image.mean() + out.noise_map_coarse.mean()).backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize(
    "kwargs",
    [{"in_channels": 2}, {"resize": "nearest"}, {"width": 0}, {"estimator_width": 2.5}],
)
def test_bad_options_are_user_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(RestoreKitError):
        build_model("aindnet-xs", **kwargs)


def test_wrong_channel_count_is_a_user_error() -> None:
    with pytest.raises(RestoreKitError, match="expects"):
        _tiny(in_channels=1)(torch.rand(1, 3, 8, 8))


# -- module-design variants (norm, estimator) ------------------------------------------------------


def test_gated_in_with_a_zero_gate_conv_is_affine_instance_norm() -> None:
    torch.manual_seed(0)
    gated = GatedIN(channels=5, map_channels=3, hidden=8)
    nn.init.zeros_(gated.conv_gate.weight)
    nn.init.zeros_(gated.conv_gate.bias)
    nn.init.normal_(gated.norm.weight)
    x = torch.randn(2, 5, 9, 7) * 3 + 1
    torch.testing.assert_close(gated(x, torch.rand(2, 3, 18, 14)), gated.norm(x))


@pytest.mark.parametrize(("norm", "layers"), [("ain", 28), ("in", 28), ("gated", 28), ("none", 0)])
def test_local_statistics_reach_every_instance_norm(norm: str, layers: int) -> None:
    model = _tiny(norm=norm)
    assert set_local_stats(model, 32) == layers
    scales = {m.stats_scale for m in model.modules() if isinstance(m, LocalStatsMixin)}
    assert scales == (set() if layers == 0 else {1.0, 0.5, 0.25})


def test_map_free_norms_ignore_the_noise_map_and_concat_reads_it() -> None:
    x = torch.rand(1, 3, 16, 16)
    for norm in ("in", "none"):
        model = _tiny(norm=norm)
        keys = model.state_dict()
        assert not any("conv_gamma" in k or "conv_gate" in k for k in keys)
        with torch.inference_mode():
            expected = model(x).image
            model.est.conv5.bias.add_(1.0)  # another noise map, the same image
            torch.testing.assert_close(model(x).image, expected)
    concat = _tiny(norm="concat")
    assert concat.rec.head1.in_channels == 6
    assert isinstance(concat.rec.blocks1[0].ain1, InstanceNorm2d)


def test_fine_only_estimator_feeds_the_fine_map() -> None:
    model = _tiny(estimator="fine_only")
    assert model.state_dict().keys() == _tiny().state_dict().keys()
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 16, 24))
    assert torch.equal(out.noise_map, out.noise_map_fine)


def test_no_estimator_takes_the_ground_truth_map() -> None:
    model = _tiny(estimator="none")
    assert model.needs_noise_map and not _tiny().needs_noise_map
    assert not any(k.startswith("est.") for k in model.state_dict())
    x = torch.rand(2, 3, 13, 11)
    low, high = torch.full_like(x, 0.01), torch.full_like(x, 0.2)
    with torch.inference_mode():
        out = model(x, noise_map=low)
        assert not torch.equal(out.image, model(x, noise_map=high).image)
    assert torch.equal(out.noise_map, low)
    assert out.noise_map_fine is None and out.noise_map_coarse is None
    with pytest.raises(RestoreKitError, match="noise_map="):
        model(x)
    with pytest.raises(RestoreKitError, match="shape"):
        model(x, noise_map=low[:, :1])
    with pytest.raises(RestoreKitError, match="without noise_map"):
        _tiny()(x, noise_map=low)


def test_transfer_groups_of_the_variants() -> None:
    for kwargs, adaptive in (({"norm": "gated"}, GatedIN), ({"norm": "in"}, InstanceNorm2d)):
        model = _tiny(**kwargs)
        chosen = {id(p) for p in transfer_parameters(model)}
        for module in model.modules():
            if isinstance(module, adaptive):
                assert all(id(p) in chosen for p in module.parameters())
        assert all(id(p) in chosen for p in model.est.parameters())
    model = _tiny(estimator="none")
    expected = [p for m in model.modules() if isinstance(m, AIN) for p in m.parameters()]
    assert transfer_parameters(model) == [*expected, *model.rec.tail.parameters()]


@pytest.mark.parametrize(
    "kwargs",
    [{"norm": "bn"}, {"estimator": "coarse"}, {"estimator": "none", "norm": "in"}],
)
def test_bad_variant_options_are_user_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(RestoreKitError):
        build_model("aindnet-xs", **kwargs)
