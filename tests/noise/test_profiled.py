"""The profiled camera noise: raw variance a*x+b per channel, noise map, config round trip."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import CRFBank, ProfiledCamera, build_noise

A = [1e-3, 5e-4, 2e-3]
B = [1e-5, 4e-5, 2e-5]
LEVELS = [102, 307, 511, 716]  # on the 1024-point CRF grid: ~0.1, 0.3, 0.5, 0.7


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _identity_bank() -> CRFBank:
    grid = torch.arange(1024, dtype=torch.float32) / 1023
    return CRFBank(grid[None], grid[None], ["linear"], source="test")


def _flat_patches(size: int = 128) -> torch.Tensor:
    """One flat grey image per level (N, 3, size, size)."""
    values = torch.tensor(LEVELS, dtype=torch.float32) / 1023
    return values[:, None, None, None].expand(len(LEVELS), 3, size, size).contiguous()


def _expected_variance(x: float, channel: int) -> float:
    return A[channel] * x + B[channel]


def test_raw_variance_on_the_bayer_sites_matches_the_profile() -> None:
    # identity response curve and float demosaic: the output is the linear signal, and Malvar
    # keeps each photosite's own channel, so those samples are the raw noisy values
    model = ProfiledCamera(A, B, crf_bank=_identity_bank(), bayer="rggb", demosaic_bits=None)
    x = _flat_patches()
    out = model(x, _g(1))
    sites = {0: (0, 0), 1: (0, 1), 2: (1, 1)}  # rggb: R at (0, 0), G at (0, 1), B at (1, 1)
    for i, level in enumerate(LEVELS):
        clean = level / 1023
        for channel, (row, col) in sites.items():
            raw = out.noisy[i, channel, row::2, col::2]
            expected = _expected_variance(clean, channel)
            assert float(raw.mean()) == pytest.approx(clean, abs=4 * expected**0.5 / 64)
            assert float(raw.var()) == pytest.approx(expected, rel=0.1)


def test_without_mosaic_every_channel_gets_its_variance_and_the_map_is_its_std() -> None:
    model = ProfiledCamera(A, B, crf_bank=_identity_bank(), bayer="none")
    x = _flat_patches(96)
    out = model(x, _g(2))
    for i, level in enumerate(LEVELS):
        clean = level / 1023
        for channel in range(3):
            expected = _expected_variance(clean, channel)
            assert float(out.noisy[i, channel].var()) == pytest.approx(expected, rel=0.1)
            noise_map = out.noise_map[i, channel]
            assert torch.allclose(noise_map, torch.full_like(noise_map, expected**0.5), rtol=1e-5)


def test_negative_variance_is_zero_noise() -> None:
    model = ProfiledCamera(
        [0.0, 0.0, 1e-3], [-1e-4, -1e-4, -1e-4], crf_bank=_identity_bank(), bayer="none"
    )
    x = _flat_patches(16)
    out = model(x, _g())
    assert torch.allclose(out.noisy[:, :2], x[:, :2], atol=1e-6)
    assert float(out.noise_map[:, :2].abs().max()) == 0.0
    assert float(out.noise_map[0, 2].max()) == 0.0  # 1e-3 * 0.0997 - 1e-4 < 0
    assert float(out.noise_map[3, 2].min()) > 0.0


def test_defaults_params_and_describe(astronaut: torch.Tensor) -> None:
    model = build_noise("profiled", a=A, b=B)
    x = astronaut.expand(4, 3, 96, 80)
    out = model(x, _g())
    assert out.noisy.shape == out.noise_map.shape == x.shape
    assert set(out.params) == {"crf", "a", "b", "bayer"}
    assert out.params["a"].shape == (4, 3)
    assert float(out.noisy.min()) >= 0 and float(out.noisy.max()) <= 1
    info = model.describe(out.params, 0)
    assert info["bayer"] in ("gbrg", "grbg", "bggr", "rggb")
    assert info["a"] == pytest.approx(A)
    assert isinstance(info["crf_name"], str)


def test_config_round_trip_and_seed_contract(astronaut: torch.Tensor) -> None:
    kwargs = {"a": A, "b": B, "crf": [0, 3], "bayer": ["rggb", "bggr"], "jpeg": [80, 90]}
    model = build_noise("profiled", **kwargs)
    config = model.config()
    assert config == {**kwargs, "crf_bank": None, "demosaic_bits": 16, "gain": 1.0}
    again = build_noise("profiled", **config)
    assert again.config() == config
    x = astronaut.expand(3, 3, 96, 80)
    first, second = model(x, _g(5)), again(x, _g(5))
    assert torch.equal(first.noisy, second.noisy)
    assert torch.equal(first.noise_map, second.noise_map)
    assert not torch.equal(first.noisy, model(x, _g(6)).noisy)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": [1e-3, 1e-3], "b": B}, "profiled a must be 3 numbers"),
        ({"a": A, "b": "0.1"}, "profiled b must be 3 numbers"),
        ({"a": A, "b": [0.0, float("nan"), 0.0]}, "profiled b must be finite"),
        ({"a": A, "b": B, "bayer": "xtrans"}, "unknown Bayer option"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(RestoreKitError, match=match):
        build_noise("profiled", **kwargs)


def test_needs_rgb() -> None:
    with pytest.raises(RestoreKitError, match="profiled: needs 3 channel"):
        ProfiledCamera(A, B)(torch.zeros(1, 1, 8, 8), _g())


def test_gain_scales_the_raw_signal() -> None:
    # L = k x: variance k a L + k^2 b, as the same profile on a k-times brighter raw signal
    k = 4.0
    model = ProfiledCamera(A, B, crf_bank=_identity_bank(), bayer="none", gain=k)
    x = _flat_patches(96)
    out = model(x, _g(3))
    for i, level in enumerate(LEVELS):
        clean = level / 1023
        for channel in range(3):
            expected = k * A[channel] * clean + k * k * B[channel]
            assert float(out.noisy[i, channel].var()) == pytest.approx(expected, rel=0.1)
            assert float(out.noise_map[i, channel].mean()) == pytest.approx(expected**0.5, rel=1e-4)
    with pytest.raises(RestoreKitError, match="gain must be a positive number"):
        ProfiledCamera(A, B, gain=0.0)
