"""Tiled inference: coverage, exactness on pointwise models, and the tiled/whole seam test."""

from __future__ import annotations

import itertools

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.infer.tiling import parse_tile, ramp, tile_starts, tiled_forward
from restorekit.models import build_model
from restorekit.models.output import RestorationOutput


@pytest.mark.parametrize(
    ("size", "tile", "overlap"), [(80, 32, 8), (64, 64, 8), (100, 48, 16), (7, 3, 1)]
)
def test_tile_starts_cover_with_overlap(size: int, tile: int, overlap: int) -> None:
    starts = tile_starts(size, tile, overlap)
    assert starts[0] == 0
    assert starts[-1] + min(tile, size) == size
    for a, b in itertools.pairwise(starts):
        assert a + tile - b >= overlap  # neighbours overlap by at least `overlap`


def test_ramp_is_positive_and_complementary() -> None:
    w = ramp(40, 16, start=True, end=True)
    assert float(w.min()) > 0
    assert float(w.max()) == 1.0
    assert torch.allclose(w[:16] + w[:16].flip(0), torch.ones(16))
    assert torch.equal(ramp(40, 16, start=False, end=False), torch.ones(40))


def test_pointwise_model_is_reproduced_exactly(pointwise, noisy) -> None:
    whole = pointwise(noisy)
    tiled = tiled_forward(pointwise, noisy, 24, 8)
    assert isinstance(tiled, RestorationOutput)
    torch.testing.assert_close(tiled.image, whole.image, rtol=0, atol=1e-6)
    torch.testing.assert_close(tiled.noise_map, whole.noise_map, rtol=0, atol=1e-6)


def test_rectangular_tiles_and_tensor_models(noisy) -> None:
    def double(t: torch.Tensor) -> torch.Tensor:
        return 2 * t

    out = tiled_forward(double, noisy, (40, 24), 8)
    assert isinstance(out, torch.Tensor)
    torch.testing.assert_close(out, 2 * noisy)


def test_tile_larger_than_image_is_whole_image(stats_denoiser, noisy) -> None:
    out = tiled_forward(stats_denoiser, noisy, 512, 32)
    assert torch.equal(out.image, stats_denoiser(noisy).image)


def test_seam_tiled_matches_whole_within_0_05_db(stats_denoiser, noisy, clean, psnr_fn) -> None:
    """House rule 9's seam test on a model whose output depends on per-tile statistics."""
    with torch.no_grad():
        whole = stats_denoiser(noisy).image
        tiled = tiled_forward(stats_denoiser, noisy, 48, 24).image
    assert psnr_fn(whole, clean) > psnr_fn(noisy, clean) + 3  # it does denoise
    assert abs(psnr_fn(tiled, clean) - psnr_fn(whole, clean)) < 0.05
    assert psnr_fn(tiled, whole) > 60


def test_tiny_hinet_tiles_blend_without_seams(noisy, psnr_fn) -> None:
    torch.manual_seed(0)
    model = build_model("hinet", wf=4, depth=3).eval()
    with torch.no_grad():
        whole = model(noisy).image
        tiled = tiled_forward(model, noisy, 56, 24).image
    assert tiled.shape == whole.shape
    assert psnr_fn(tiled, whole) > 30  # random weights: only no gross seams or misplacements


@pytest.mark.parametrize(("tile", "overlap"), [(0, 0), (16, 16), (16, -1)])
def test_bad_tile_settings_are_user_errors(pointwise, noisy, tile: int, overlap: int) -> None:
    with pytest.raises(RestoreKitError):
        tiled_forward(pointwise, noisy, tile, overlap)


@pytest.mark.parametrize(
    ("text", "tile"),
    [("auto", "auto"), ("AUTO", "auto"), ("whole", None), ("0", None), ("none", None),
     ("192", 192), ("256x128", (256, 128)), (" 64X96 ", (64, 96))],
)  # fmt: skip
def test_parse_tile_grammar(text: str, tile) -> None:
    assert parse_tile(text) == tile


@pytest.mark.parametrize("text", ["big", "-5", "12x", "0x64", "1x2x3", "1.5", ""])
def test_parse_tile_refuses_in_one_line(text: str) -> None:
    with pytest.raises(RestoreKitError, match=r"tile must be auto, whole \(or 0, none\), N or HxW"):
        parse_tile(text)
