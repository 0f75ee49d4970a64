"""Ensembles average members' images and the noise maps of members that have one."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.infer.ensemble import Ensemble
from restorekit.models.output import RestorationOutput


class Scale(nn.Module):
    def __init__(self, factor: float, size_multiple: int = 1) -> None:
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(factor))
        self.size_multiple = size_multiple

    def forward(self, x: torch.Tensor) -> RestorationOutput:
        image = x * self.factor
        return RestorationOutput(image=image, stages=[image])


def test_mean_of_members_and_noise_maps(pointwise, noisy) -> None:
    ens = Ensemble([Scale(1.0, 4), Scale(2.0, 6), pointwise])
    out = ens(noisy)
    expected = (noisy + 2 * noisy + pointwise(noisy).image) / 3
    torch.testing.assert_close(out.image, expected)
    torch.testing.assert_close(out.noise_map, pointwise(noisy).noise_map)  # the only one
    assert ens.size_multiple == 12


def test_no_noise_map_when_no_member_has_one(noisy) -> None:
    assert Ensemble([Scale(1.0), Scale(3.0)])(noisy).noise_map is None


def test_empty_ensemble_is_an_error() -> None:
    with pytest.raises(RestoreKitError):
        Ensemble([])
