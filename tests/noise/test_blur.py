"""Motion blur: seed contract, kernels, linear motion at zero anxiety, noise, the registry."""

from __future__ import annotations

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import (
    MotionBlur,
    Stored,
    blur,
    build_noise,
    list_noise,
    rasterize,
    shake_trajectories,
)


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


FAST = {"samples": 200}


def test_same_seed_same_blur_other_seed_other_blur() -> None:
    x = torch.rand(2, 3, 40, 36)
    model = MotionBlur(**FAST)
    a, b, c = model(x, _g(1)), model(x, _g(1)), model(x, _g(2))
    assert torch.equal(a.noisy, b.noisy) and torch.equal(a.params["kernel"], b.params["kernel"])
    assert not torch.equal(a.params["kernel"], c.params["kernel"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_dtypes_and_noise_map(dtype: torch.dtype) -> None:
    x = torch.rand(3, 1, 29, 35, dtype=dtype)
    out = MotionBlur(sigma=[0.005, 0.01], kernel_size=15, length=[2, 12], **FAST)(x, _g())
    assert out.noisy.shape == x.shape and out.noisy.dtype == dtype
    assert out.noise_map.shape == x.shape and out.noise_map.dtype == dtype
    assert out.params["kernel"].shape == (3, 15, 15)
    sigma = out.params["sigma"].to(dtype)
    torch.testing.assert_close(out.noise_map, sigma.view(3, 1, 1, 1).expand_as(x))


def test_kernels_are_normalised_non_negative_and_fit() -> None:
    params = MotionBlur(length=[5, 29], anxiety=[0, 0.1], **FAST).sample(16, generator=_g())
    kernel = params["kernel"]
    assert kernel.shape == (16, 31, 31)
    assert bool((kernel >= 0).all())
    torch.testing.assert_close(kernel.sum(dim=(1, 2)), torch.ones(16))


def test_zero_anxiety_is_a_straight_path_of_the_given_length() -> None:
    length = torch.tensor([4.0, 10.0, 20.0])
    path = shake_trajectories(length, torch.zeros(3), 101, _g())
    torch.testing.assert_close((path[:, -1] - path[:, 0]).abs(), length.double())
    steps = (path[:, 1:] - path[:, :-1]).abs()
    torch.testing.assert_close(steps.sum(dim=1), length.double())


def test_rasterize_keeps_the_centre_of_mass_at_the_kernel_centre() -> None:
    path = torch.linspace(0, 6, 61, dtype=torch.float64).to(torch.complex128)[None]  # horizontal
    kernel = rasterize(path, 9)[0]
    assert float(kernel[:, 1:8].sum()) == pytest.approx(1.0) and bool((kernel[[3, 5]] == 0).all())
    cols = torch.arange(9.0)
    assert float((kernel.sum(0) * cols).sum()) == pytest.approx(4.0, abs=1e-5)


def test_blur_is_a_convolution_with_replicate_padding() -> None:
    x = torch.rand(2, 3, 12, 14)
    delta = torch.zeros(2, 5, 5)
    delta[:, 2, 2] = 1
    torch.testing.assert_close(blur(x, delta), x)
    shift = torch.zeros(2, 5, 5)
    shift[:, 2, 3] = 1  # a convolution moves content right by one pixel
    torch.testing.assert_close(blur(x, shift)[..., 1:], x[..., :-1])
    torch.testing.assert_close(blur(torch.ones(1, 1, 6, 6), shift[:1]), torch.ones(1, 1, 6, 6))


def test_no_noise_keeps_the_blurred_image_in_range() -> None:
    x = torch.rand(2, 3, 24, 24)
    out = MotionBlur(sigma=0.0, **FAST)(x, _g())
    torch.testing.assert_close(out.noisy, blur(x, out.params["kernel"]))
    assert not out.noise_map.any()
    assert float(out.noisy.min()) >= 0 and float(out.noisy.max()) <= 1 + 1e-6


def test_config_round_trip_and_8bit_storage() -> None:
    assert "motion_blur" in list_noise()
    model = build_noise("motion_blur", length=[3, 9], kernel_size=11, samples=150, clip=True)
    again = build_noise("motion_blur", **model.config())
    assert again.config() == model.config()
    x = torch.rand(2, 3, 20, 20)
    assert torch.equal(model(x, _g(3)).noisy, again(x, _g(3)).noisy)
    stored = Stored({"name": "motion_blur", "kwargs": model.config()})
    out = stored(x, _g(3))
    assert torch.equal(out.noisy, out.noisy.mul(255).round().div(255))
    assert "kernel" not in model.describe(out.params, 0)


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": 30}, {"length": 40}, {"samples": 1}, {"sigma": -0.1}],
)
def test_bad_options_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(RestoreKitError):
        build_noise("motion_blur", **kwargs)


def test_kernels_of_the_wrong_batch_are_rejected() -> None:
    params = MotionBlur(**FAST).sample(2, generator=_g())
    with pytest.raises(RestoreKitError, match="kernels"):
        MotionBlur(**FAST).apply(torch.rand(3, 3, 8, 8), params, generator=_g())
