"""x8 dihedral TTA: exact inverses, equivariant models unchanged, composition with tiling."""

from __future__ import annotations

import torch

from restorekit.infer.tiling import tiled_forward
from restorekit.infer.tta import DIHEDRAL, dihedral, dihedral_inverse, tta_x8
from restorekit.models.output import RestorationOutput


def test_eight_distinct_transforms_each_inverted() -> None:
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    seen = set()
    for flip, turns in DIHEDRAL:
        y = dihedral(x, flip, turns)
        seen.add(tuple(y.flatten().tolist()))
        assert torch.equal(dihedral_inverse(y, flip, turns), x)
    assert len(seen) == 8


def test_pointwise_model_is_unchanged_and_kind_is_kept(pointwise, noisy) -> None:
    out = tta_x8(pointwise, noisy)
    assert isinstance(out, RestorationOutput)
    torch.testing.assert_close(out.image, pointwise(noisy).image)
    torch.testing.assert_close(out.noise_map, pointwise(noisy).noise_map)
    assert isinstance(tta_x8(lambda t: t * 3, noisy), torch.Tensor)


def test_tta_averages_the_transformed_outputs(noisy) -> None:
    """A model that adds a horizontal ramp: TTA averages the 8 ramps back into place."""
    ramp = torch.linspace(0, 1, noisy.shape[-1])

    def add_ramp(t: torch.Tensor) -> torch.Tensor:
        return t + torch.linspace(0, 1, t.shape[-1])

    expected = (
        sum(
            dihedral_inverse(
                dihedral(noisy, f, k) + torch.linspace(0, 1, dihedral(noisy, f, k).shape[-1]), f, k
            )
            for f, k in DIHEDRAL
        )
        / 8
    )
    out = tta_x8(add_ramp, noisy)
    torch.testing.assert_close(out, expected)
    assert not torch.allclose(out, noisy + ramp)


def test_tta_composes_with_tiling_both_ways(pointwise, noisy) -> None:
    inner = tiled_forward(lambda t: tta_x8(pointwise, t), noisy, 32, 8)
    outer = tta_x8(lambda t: tiled_forward(pointwise, t, 32, 8), noisy)
    torch.testing.assert_close(inner.image, pointwise(noisy).image)
    torch.testing.assert_close(outer.image, inner.image)
