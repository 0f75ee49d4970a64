"""Rain streaks: seed contract, shapes, kernels, orientation, identity at zero, the registry."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import RainStreaks, build_noise, line_kernels, list_noise


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _params(n: int, angle: float, **extra: float) -> dict[str, torch.Tensor]:
    values = {"length": 30.0, "width": 0.5, "density": 0.004, "intensity": 0.5} | extra
    out = {k: torch.full((n,), float(v)) for k, v in values.items()}
    return out | {"angle": torch.full((n,), float(angle))}


def test_same_seed_same_rain_other_seed_other_rain() -> None:
    x = torch.rand(2, 3, 48, 40)
    model = RainStreaks()
    a, b, c = model(x, _g(1)), model(x, _g(1)), model(x, _g(2))
    assert torch.equal(a.noisy, b.noisy) and torch.equal(a.noise_map, b.noise_map)
    assert not torch.equal(a.noisy, c.noisy)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_dtypes_and_map_is_the_added_layer(dtype: torch.dtype, channels: int) -> None:
    x = torch.rand(3, channels, 33, 47, dtype=dtype) * 0.5
    out = RainStreaks()(x, _g())
    assert out.noisy.shape == x.shape and out.noisy.dtype == dtype
    assert out.noise_map.shape == x.shape and out.noise_map.dtype == dtype
    assert set(out.params) == {"angle", "length", "width", "density", "intensity"}
    assert all(v.shape == (3,) for v in out.params.values())
    # additive blend: below saturation the rainy image is exactly B + S
    torch.testing.assert_close(out.noisy, (x + out.noise_map).clamp(0, 1))
    assert float(out.noise_map.max()) > 0
    assert bool((out.noise_map <= out.params["intensity"].view(-1, 1, 1, 1) + 1e-6).all())
    assert torch.equal(out.noise_map[:, :1].expand_as(x), out.noise_map)  # achromatic


def test_line_kernels_are_normalised_and_non_negative() -> None:
    angle = torch.tensor([-30.0, 0.0, 17.0, 90.0])
    length = torch.tensor([5.0, 20.0, 33.0, 12.0])
    width = torch.tensor([0.3, 0.5, 1.0, 2.0])
    kernels = line_kernels(angle, length, width, 41)
    assert kernels.shape == (4, 41, 41)
    assert bool((kernels >= 0).all())
    torch.testing.assert_close(kernels.sum(dim=(1, 2)), torch.ones(4))
    torch.testing.assert_close(kernels, kernels.flip(-2, -1))  # centred, point-symmetric


@pytest.mark.parametrize("angle", [0.0, 90.0])
def test_angle_sets_the_streak_orientation(angle: float) -> None:
    x = torch.zeros(1, 1, 96, 96)
    layer = RainStreaks().apply(x, _params(1, angle), generator=_g()).noise_map[0, 0]
    dx = (layer[:, 1:] - layer[:, :-1]).square().sum()
    dy = (layer[1:] - layer[:-1]).square().sum()
    across, along = (dx, dy) if angle == 0.0 else (dy, dx)
    assert float(across) > 5 * float(along)


def test_tilt_direction() -> None:
    """Positive angles put a streak's lower end to the right."""
    kernel = line_kernels(torch.tensor([30.0]), torch.tensor([20.0]), torch.tensor([0.5]), 25)[0]
    assert float(kernel[20, 17]) > 0.01 and float(kernel[20, 7]) == pytest.approx(0, abs=1e-6)


def test_zero_intensity_is_the_identity() -> None:
    x = torch.rand(2, 3, 32, 32)
    for blend in ("add", "screen"):
        out = RainStreaks(intensity=0.0, blend=blend)(x, _g())
        assert torch.equal(out.noisy, x)
        assert not out.noise_map.any()


def test_screen_blend_stays_in_range_and_brightens() -> None:
    x = torch.rand(2, 3, 40, 40)
    out = RainStreaks(blend="screen", intensity=1.0, density=0.01)(x, _g())
    assert bool((out.noisy >= x).all()) and float(out.noisy.max()) <= 1.0
    torch.testing.assert_close(out.noisy, 1 - (1 - x) * (1 - out.noise_map))


def test_config_round_trip_through_the_registry() -> None:
    assert "rain_streaks" in list_noise()
    model = build_noise("rain_streaks", angle=[-10, 10], length=25, blend="screen")
    assert model.config()["angle"] == [-10.0, 10.0] and model.config()["length"] == 25.0
    again = build_noise("rain_streaks", **model.config())
    assert again.config() == model.config()
    x = torch.rand(2, 3, 24, 24)
    assert torch.equal(model(x, _g(5)).noisy, again(x, _g(5)).noisy)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"angle": [-100, 0]},
        {"length": 0.5},
        {"density": 2.0},
        {"intensity": [0.5, 0.2]},
        {"blend": "multiply"},
    ],
)
def test_bad_options_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(RestoreKitError):
        build_noise("rain_streaks", **kwargs)
