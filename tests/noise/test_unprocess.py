"""Unprocessing (Brooks et al. 2019): raw/sRGB pairs, inversion, noise law, parameters."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import Unprocess, build_noise, unprocess, unprocess_raw


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_shapes_and_products(astronaut: torch.Tensor) -> None:
    x = astronaut.expand(2, 3, 96, 80)
    out = unprocess_raw(x, generator=_g())
    assert out.clean_raw.shape == out.noisy_raw.shape == out.variance.shape == (2, 4, 48, 40)
    assert out.clean_srgb.shape == out.noisy_srgb.shape == out.noise_map.shape == x.shape
    assert float(out.clean_raw.min()) >= 0 and float(out.clean_raw.max()) <= 1
    read = out.params["read"].view(2, 1, 1, 1)
    assert bool((out.variance >= read * 0.999).all())
    torch.testing.assert_close(out.noise_map[:, 0, ::2, ::2], out.variance[:, 0].sqrt())
    short = unprocess(x, generator=_g())
    assert torch.equal(short.noisy, out.noisy_srgb)
    assert torch.equal(short.noise_map, out.noise_map)


def test_forward_isp_inverts_unprocessing() -> None:
    # a smooth image away from highlights survives sRGB -> raw -> sRGB (up to demosaic error)
    ramp = torch.linspace(0.1, 0.7, 32)
    red, green = ramp.view(1, 32).expand(32, 32), ramp.view(32, 1).expand(32, 32)
    x = torch.stack([red, green, torch.full((32, 32), 0.4)])[None]
    out = unprocess_raw(x, generator=_g(3))
    torch.testing.assert_close(
        out.clean_srgb[..., 2:-2, 2:-2], x[..., 2:-2, 2:-2], atol=2e-3, rtol=0
    )
    brooks = Unprocess(forward="brooks").simulate(x, out.params, generator=_g(3))
    assert float((brooks.clean_srgb - x).abs().mean()) > 0.01  # no rgb_gain, no tone curve


def test_raw_noise_follows_shot_read_variance() -> None:
    x = torch.full((1, 3, 256, 256), 0.5)
    out = unprocess_raw(x, shot=0.01, read=0.0004, generator=_g(4))
    measured = (out.noisy_raw - out.clean_raw).flatten(2).std(2)
    expected = out.variance.flatten(2).mean(2).sqrt()
    torch.testing.assert_close(measured, expected, rtol=0.02, atol=0)


def test_parameter_distributions() -> None:
    params = Unprocess().sample(4000, generator=_g(5))
    ccm = params["rgb2cam"]
    torch.testing.assert_close(ccm.sum(-1), torch.ones(4000, 3))
    log_shot, log_read = params["shot"].log(), params["read"].log()
    assert float(params["shot"].min()) >= 1e-4 and float(params["shot"].max()) <= 0.012
    slope = torch.cov(torch.stack([log_shot, log_read]))[0, 1] / log_shot.var()
    assert abs(float(slope) - 2.18) < 0.05
    residual = log_read - 2.18 * log_shot - 1.20
    assert abs(float(residual.std()) - 0.26) < 0.02
    assert float(params["red_gain"].min()) >= 1.9 and float(params["red_gain"].max()) <= 2.4
    assert abs(float((1 / params["rgb_gain"]).mean()) - 0.8) < 0.01


def test_seed_contract_and_registry(astronaut: torch.Tensor) -> None:
    model = build_noise("unprocess", demosaic="malvar")
    first, again = model(astronaut, _g(1)), model(astronaut, _g(1))
    assert torch.equal(first.noisy, again.noisy)
    assert not torch.equal(first.noisy, model(astronaut, _g(2)).noisy)
    assert build_noise("unprocess", **model.config()).config() == model.config()
    assert "log_shot" in model.describe(first.params, 0)


def test_user_errors() -> None:
    with pytest.raises(RestoreKitError, match="even"):
        unprocess(torch.rand(1, 3, 9, 8))
    with pytest.raises(RestoreKitError, match="3 channel"):
        unprocess(torch.rand(1, 1, 8, 8))
    with pytest.raises(RestoreKitError, match="forward"):
        Unprocess(forward="camera")
