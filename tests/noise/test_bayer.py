"""Bayer mosaics and demosaics: layouts, exactness, and Malvar 2004 vs colour-demosaicing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import (
    BAYER_PATTERNS,
    demosaic_bilinear,
    demosaic_malvar,
    mosaic,
    pack_rggb,
)


@pytest.mark.parametrize("pattern", BAYER_PATTERNS)
def test_mosaic_layout(pattern: str) -> None:
    # channel c of the image holds the value c + 1 everywhere: the mosaic shows which filter
    x = torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1).expand(1, 3, 4, 6)
    out = mosaic(x, pattern)
    assert out.shape == (1, 1, 4, 6)
    letter = {1.0: "r", 2.0: "g", 3.0: "b"}
    tile = "".join(letter[float(v)] for v in out[0, 0, :2, :2].flatten())
    assert tile == pattern
    assert torch.equal(out[0, 0], out[0, 0, :2, :2].repeat(2, 3))


@pytest.mark.parametrize("pattern", BAYER_PATTERNS)
def test_demosaic_exact_on_constant_images(pattern: str) -> None:
    flat = torch.full((2, 1, 7, 10), 0.37)
    torch.testing.assert_close(
        demosaic_malvar(flat, pattern), flat.expand(2, 3, 7, 10), rtol=0, atol=1e-7
    )
    colour = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1).expand(1, 3, 12, 14)
    out = demosaic_malvar(mosaic(colour, pattern), pattern)
    # away from the mirrored border (which swaps filter colours) every colour is recovered
    torch.testing.assert_close(out[..., 2:-2, 2:-2], colour[..., 2:-2, 2:-2], rtol=0, atol=1e-6)


@pytest.mark.parametrize("pattern", BAYER_PATTERNS)
@pytest.mark.parametrize("size", [(96, 80), (37, 51)])
def test_demosaic_matches_colour_demosaicing(
    astronaut: torch.Tensor, pattern: str, size: tuple[int, int]
) -> None:
    colour_demosaicing = pytest.importorskip("colour_demosaicing")
    x = astronaut[..., : size[0], : size[1]]
    raw = mosaic(x, pattern)
    ours = demosaic_malvar(raw, pattern)[0].permute(1, 2, 0).numpy()
    ref = colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004(
        raw[0, 0].numpy().astype(np.float64), pattern.upper()
    )
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5)


def test_demosaic_is_exact_on_16_bit_counts(astronaut: torch.Tensor) -> None:
    colour_demosaicing = pytest.importorskip("colour_demosaicing")
    counts = (mosaic(astronaut, "grbg") * 65535).round()
    ours = demosaic_malvar(counts, "grbg")[0].permute(1, 2, 0).numpy().astype(np.float64)
    ref = colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004(
        counts[0, 0].numpy().astype(np.float64), "GRBG"
    )
    np.testing.assert_array_equal(ours, ref)  # float32 sums of multiples of 1/16 are exact


def test_demosaic_tiny_images_and_errors() -> None:
    assert demosaic_malvar(torch.rand(1, 1, 1, 3), "rggb").shape == (1, 3, 1, 3)
    with pytest.raises(RestoreKitError, match="Bayer pattern"):
        mosaic(torch.rand(1, 3, 4, 4), "rgbg")
    with pytest.raises(RestoreKitError, match="mosaic"):
        demosaic_malvar(torch.rand(1, 3, 4, 4), "rggb")


def test_pack_rggb_and_bilinear_demosaic() -> None:
    x = torch.rand(2, 3, 8, 6)
    packed = pack_rggb(x)
    assert packed.shape == (2, 4, 4, 3)
    assert torch.equal(packed[:, 0], x[:, 0, 0::2, 0::2])
    assert torch.equal(packed[:, 3], x[:, 2, 1::2, 1::2])
    colour = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1).expand(1, 3, 8, 6)
    torch.testing.assert_close(demosaic_bilinear(pack_rggb(colour)), colour)
    # samples the filter saw are kept; a horizontal ramp is interpolated exactly inside
    ramp = torch.arange(12.0).view(1, 1, 1, 12).expand(1, 3, 10, 12)
    out = demosaic_bilinear(pack_rggb(ramp))
    torch.testing.assert_close(out[..., 1:-1, 1:-1], ramp[..., 1:-1, 1:-1])
    with pytest.raises(RestoreKitError, match="even"):
        pack_rggb(torch.rand(1, 3, 5, 6))
