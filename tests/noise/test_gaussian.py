"""AWGN, Poisson-Gaussian and CBDNet's shot/read form: moments, seeds, shapes, the registry."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import (
    AWGN,
    CBDNetGaussian,
    NoiseResult,
    PoissonGaussian,
    awgn,
    build_noise,
    cbdnet_gaussian,
    list_noise,
    poisson_gaussian,
)

LEVELS = torch.tensor([0.1, 0.4, 0.8])


def _levels(channels: int = 3, size: int = 192) -> torch.Tensor:
    """A (3, C, size, size) batch: image i is constant at LEVELS[i]."""
    return LEVELS.view(3, 1, 1, 1).expand(3, channels, size, size).contiguous()


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("sigma", [5 / 255, 25 / 255, 50 / 255])
def test_awgn_std_matches_sigma(sigma: float) -> None:
    x = torch.full((2, 3, 256, 256), 0.5)
    out = awgn(x, sigma, generator=_g())
    noise = out.noisy - x
    assert abs(noise.std().item() / sigma - 1) < 0.02
    assert abs(noise.mean().item()) < sigma * 0.01
    assert torch.equal(out.noise_map, torch.full_like(x, sigma))


def test_awgn_range_draws_one_sigma_per_image() -> None:
    x = torch.zeros(6, 1, 128, 128)
    out = awgn(x, (10 / 255, 50 / 255), generator=_g(1))
    sigma = out.params["sigma"]
    assert sigma.shape == (6,)
    assert bool(((sigma >= 10 / 255) & (sigma <= 50 / 255)).all())
    assert sigma.unique().numel() == 6
    per_image = (out.noisy - x).flatten(1).std(1)
    torch.testing.assert_close(per_image, sigma, rtol=0.02, atol=0)
    torch.testing.assert_close(out.noise_map[:, 0, 0, 0], sigma)


def test_awgn_per_image_tensor_and_gray() -> None:
    x = torch.rand(2, 1, 16, 16)
    out = awgn(x, torch.tensor([0.0, 0.1]), generator=_g())
    assert torch.equal(out.noisy[0], x[0])
    assert out.noisy.shape == (2, 1, 16, 16)


def test_poisson_gaussian_std_at_several_intensities() -> None:
    x = _levels(channels=1)
    a, b = 0.01, 0.0004
    out = poisson_gaussian(x, a, b, generator=_g(2))
    expected = (a * LEVELS + b).sqrt()
    measured = (out.noisy - x).flatten(1).std(1)
    torch.testing.assert_close(measured, expected, rtol=0.02, atol=0)
    torch.testing.assert_close(out.noise_map[:, 0, 0, 0], expected)


def test_poisson_gaussian_per_channel_fit() -> None:
    """A calibrated camera: one fixed (a, b) per channel, via the registry as a recipe writes it."""
    a = [0.01, 0.002, 0.005]
    b = [0.0001, 0.0009, 0.0004]
    model = build_noise(
        "poisson_gaussian",
        a=[[v, v] for v in a],
        b=[[v, v] for v in b],
        channels=3,
    )
    assert model.config()["a"] == [[v, v] for v in a]
    x = _levels(channels=3)
    out = model(x, _g(5))
    assert out.params["a"].shape == (3, 3)
    expected = (torch.tensor(a)[None] * LEVELS[:, None] + torch.tensor(b)[None]).sqrt()
    measured = (out.noisy - x).flatten(2).std(2)
    torch.testing.assert_close(measured, expected, rtol=0.03, atol=0)


def test_poisson_gaussian_channel_errors() -> None:
    with pytest.raises(RestoreKitError, match="2 per-channel ranges given for channels=3"):
        PoissonGaussian(a=[[0.0, 0.1], [0.0, 0.1]], channels=3)
    model = PoissonGaussian(a=(0.0, 0.01), channels=3)
    with pytest.raises(RestoreKitError, match="do not fit an input with C=1"):
        model(torch.rand(1, 1, 8, 8), _g(0))


def test_cbdnet_gaussian_std_at_several_intensities() -> None:
    x = _levels(channels=3)
    sigma_s = torch.tensor([0.16, 0.08, 0.02])
    sigma_c = torch.tensor([0.01, 0.03, 0.06])
    out = cbdnet_gaussian(x, sigma_s, sigma_c, generator=_g(3))
    level = LEVELS.view(3, 1)
    expected = ((sigma_s * level) ** 2 + sigma_c**2).sqrt()  # (image, channel)
    measured = (out.noisy - x).flatten(2).std(2)
    torch.testing.assert_close(measured, expected, rtol=0.02, atol=0)
    # the ground-truth level is CBDNet's sigma_c + L * sigma_s, not the standard deviation
    torch.testing.assert_close(out.noise_map[:, :, 0, 0], sigma_c + level * sigma_s)


def test_cbdnet_gaussian_samples_per_channel() -> None:
    model = CBDNetGaussian()
    params = model.sample(4, generator=_g())
    assert params["sigma_s"].shape == (4, 3)
    assert float(params["sigma_s"].max()) <= 0.16
    assert float(params["sigma_c"].max()) <= 0.06
    gray = CBDNetGaussian(channels=1)(torch.rand(2, 1, 8, 8), _g())
    assert gray.noisy.shape == (2, 1, 8, 8)
    with pytest.raises(RestoreKitError, match="channel"):
        model.apply(torch.rand(2, 2, 8, 8), model.sample(2, generator=_g()), generator=_g())


@pytest.mark.parametrize("name", ["awgn", "poisson_gaussian", "cbdnet_gaussian"])
def test_seed_contract(name: str) -> None:
    model = build_noise(name)
    x = torch.rand(2, 3, 24, 24)
    first, again, other = model(x, _g(7)), model(x, _g(7)), model(x, _g(8))
    assert torch.equal(first.noisy, again.noisy)
    assert all(torch.equal(first.params[k], again.params[k]) for k in first.params)
    assert not torch.equal(first.noisy, other.noisy)


def test_sample_then_apply_is_the_call() -> None:
    model = PoissonGaussian(a=(0.0, 0.05), b=0.001)
    x = torch.rand(3, 3, 16, 16)
    g = _g(4)
    params = model.sample(3, generator=g)
    split = model.apply(x, params, generator=g)
    whole = model(x, _g(4))
    assert torch.equal(split.noisy, whole.noisy)


def test_generator_none_uses_torch_default_generator() -> None:
    x = torch.rand(1, 3, 8, 8)
    torch.manual_seed(11)
    first = awgn(x, 0.1)
    torch.manual_seed(11)
    assert torch.equal(awgn(x, 0.1).noisy, first.noisy)


def test_objects_require_an_explicit_generator() -> None:
    with pytest.raises(TypeError, match="Generator"):
        AWGN()(torch.rand(1, 3, 8, 8), None)  # type: ignore[arg-type]


def test_shapes_dtypes_and_no_mutation() -> None:
    model = AWGN(sigma=(0.0, 0.2))
    config = model.config()
    x = torch.rand(2, 3, 9, 7, dtype=torch.float64)
    before = x.clone()
    out = model(x, _g())
    assert isinstance(out, NoiseResult)
    assert out.noisy.dtype == out.noise_map.dtype == torch.float64
    assert out.noisy.shape == out.noise_map.shape == x.shape
    assert torch.equal(x, before)
    assert model.config() == config
    assert out.noise_map.is_contiguous()


def test_clip_option() -> None:
    out = AWGN(sigma=0.5, clip=True)(torch.rand(1, 3, 16, 16), _g())
    assert float(out.noisy.min()) >= 0 and float(out.noisy.max()) <= 1


def test_registry_round_trip_and_errors() -> None:
    assert {"awgn", "poisson_gaussian", "cbdnet_gaussian", "cbdnet", "unprocess"} <= set(
        list_noise()
    )
    model = build_noise("awgn", sigma=[0, 60 / 255])
    assert build_noise("awgn", **model.config()).config() == model.config()
    with pytest.raises(RestoreKitError, match="unknown noise model"):
        build_noise("nope")
    with pytest.raises(RestoreKitError, match="no option"):
        build_noise("awgn", sigmaa=0.1)
    with pytest.raises(RestoreKitError, match="low <= high"):
        build_noise("awgn", sigma=[0.3, 0.1])


def test_bad_input_is_a_user_error() -> None:
    with pytest.raises(RestoreKitError, match="N, C, H, W"):
        awgn(torch.rand(3, 8, 8), 0.1)
