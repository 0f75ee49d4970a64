"""The ``stored`` wrapper: what saving a noisy image to a file does (8-bit rounding, JPEG)."""

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import Stored, build_noise


def _model(**kwargs):
    return build_noise("stored", noise={"name": "awgn", "kwargs": {"sigma": 0.1}}, **kwargs)


def test_rounded_images_are_8bit_and_clipped():
    x = torch.rand(4, 3, 16, 16)
    out = _model(quantize=1.0)(x, torch.Generator().manual_seed(0))
    u8 = out.noisy * 255
    assert torch.equal(u8, u8.round())
    assert out.noisy.min() >= 0 and out.noisy.max() <= 1
    assert out.params["stored"].tolist() == [1, 1, 1, 1]


def test_float_images_are_left_alone_and_maps_are_the_inner_models():
    x = torch.rand(2, 3, 16, 16)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    stored = _model(quantize=0.0)(x, g1)
    inner = build_noise("awgn", sigma=0.1)
    params = inner.sample(2, generator=g2)
    torch.rand(2, generator=g2)  # the fate and quality draws that Stored makes after the inner
    torch.randint(60, 101, (2,), generator=g2)
    plain = inner.apply(x, params, generator=g2)
    assert torch.equal(stored.noisy, plain.noisy)
    assert torch.equal(stored.noise_map, plain.noise_map)
    assert (stored.noisy < 0).any()  # float noise is not clipped


def test_jpeg_fate_compresses_at_the_drawn_quality():
    x = torch.rand(3, 3, 32, 32)
    model = _model(quantize=0.0, jpeg=1.0, jpeg_quality=[70, 70])
    out = model(x, torch.Generator().manual_seed(1))
    assert out.params["jpeg_quality"].tolist() == [70, 70, 70]
    described = model.describe(out.params, 0)
    assert described["stored"] == "jpeg" and described["jpeg_quality"] == 70
    u8 = out.noisy * 255
    assert torch.allclose(u8, u8.round(), atol=1e-4)


def test_mixture_follows_the_probabilities():
    model = _model(quantize=0.5, jpeg=0.3)
    params = model.sample(4000, generator=torch.Generator().manual_seed(0))
    counts = torch.bincount(params["stored"], minlength=3).float() / 4000
    assert counts.tolist() == pytest.approx([0.2, 0.5, 0.3], abs=0.03)


def test_config_rebuilds_the_same_model():
    model = _model(quantize=0.25, jpeg=0.5, jpeg_quality=[80, 90])
    again = build_noise("stored", **model.config())
    assert isinstance(again, Stored) and again.config() == model.config()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantize": 1.5},
        {"quantize": 0.8, "jpeg": 0.4},
        {"jpeg": -0.1},
        {"jpeg_quality": [50, 120]},
        {"noise": "awgn"},
    ],
)
def test_bad_options_are_refused(kwargs):
    args = {"noise": {"name": "awgn", "kwargs": {"sigma": 0.1}}, **kwargs}
    with pytest.raises(RestoreKitError):
        build_noise("stored", **args)
