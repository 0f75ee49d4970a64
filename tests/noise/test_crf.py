"""CRF banks: the exact nearest-neighbour lookups, CRF(ICRF(x)) ~ x, loading DoRF files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import CRFBank


def _roundtrip_error(bank: CRFBank) -> torch.Tensor:
    x = torch.linspace(0, 1, 4001).expand(len(bank), -1)
    index = torch.arange(len(bank))
    return (bank.crf(bank.icrf(x, index), index) - x).abs()


def test_builtin_bank_is_monotone_and_inverts() -> None:
    bank = CRFBank.builtin()
    assert len(bank) >= 32 and len(bank.names) == len(bank)
    assert bank.forward.shape == bank.inverse.shape == (len(bank), 1024)
    assert bool((bank.forward.diff(dim=1) > 0).all())
    assert bool((bank.inverse.diff(dim=1) >= 0).all())
    assert torch.equal(bank.forward[:, [0, -1]], torch.tensor([[0.0, 1.0]]).expand(len(bank), 2))
    mid = bank.forward[:, 512]  # as diverse as DoRF's curves (0.21 ... 0.98 at I = 0.5)
    assert float(mid.min()) < 0.25 and float(mid.max()) > 0.95
    err = _roundtrip_error(bank)
    assert float(err.mean()) < 1e-3
    assert float(err[:, 800:].max()) < 5e-3  # steep curves lose precision near black only


def test_lookup_is_nearest_grid_point_per_image() -> None:
    bank = CRFBank.builtin()
    g = torch.Generator().manual_seed(0)
    values = torch.rand(3, 2, 5, 7, generator=g) * 1.2 - 0.1  # includes out-of-range values
    index = torch.tensor([0, 5, len(bank) - 1])
    out = bank.crf(values, index)
    grid = np.arange(1024) / 1023
    for n in range(3):
        clipped = np.clip(values[n].numpy().astype(np.float64), 0, 1)
        nearest = np.abs(clipped[..., None] - grid).argmin(-1)
        expected = bank.forward[index[n]].numpy()[nearest]
        np.testing.assert_array_equal(out[n].numpy(), expected)


def test_dorf_bank_matches_matlab_semantics(dorf_dir: Path) -> None:
    bank = CRFBank.from_dorf(dorf_dir)
    assert len(bank) == 201 and bank.names[0] == "dorf-001"
    assert CRFBank.from_dorf(dorf_dir / "201_CRF_data.mat") is bank  # cached
    mat = scipy.io.loadmat(str(dorf_dir / "201_CRF_data.mat"))
    g = torch.Generator().manual_seed(1)
    irradiance = torch.rand(201, 64, generator=g)
    index = torch.arange(201)
    out = bank.crf(irradiance, index).numpy()
    # CRF_Map.m: for each value, the B entry at the grid point I closest to it
    nearest = np.abs(irradiance.numpy()[..., None].astype(np.float64) - mat["I"][:, None, :])
    expected = np.take_along_axis(mat["B"], nearest.argmin(-1), axis=1)
    assert np.mean(out != expected) < 1e-3  # ties only
    err = _roundtrip_error(bank)
    assert float(err.mean()) < 2e-3
    assert float(err.flatten().quantile(0.99)) < 1e-2


def _write_bank(folder: Path, grid_error: float = 0.0) -> None:
    grid = (np.arange(1024) / 1023).astype(np.float32)[None].repeat(2, 0)
    curves = np.stack([grid[0] ** 0.5, grid[0]])
    scipy.io.savemat(str(folder / "201_CRF_data.mat"), {"I": grid + grid_error, "B": curves})
    inverse = np.stack([grid[0] ** 2, grid[0]])
    scipy.io.savemat(str(folder / "dorfCurvesInv.mat"), {"invI": inverse, "invB": grid})


def test_from_dorf_reads_any_bank_in_that_format(tmp_path: Path) -> None:
    _write_bank(tmp_path)
    bank = CRFBank.from_dorf(tmp_path)
    assert len(bank) == 2
    out = bank.crf(torch.full((2, 1, 1, 1), 0.25), torch.tensor([0, 1]))
    torch.testing.assert_close(out.flatten(), torch.tensor([0.5, 0.25]), atol=1e-3, rtol=0)


def test_from_dorf_errors(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="not found"):
        CRFBank.from_dorf(tmp_path)
    _write_bank(tmp_path, grid_error=0.01)
    with pytest.raises(RestoreKitError, match="uniform"):
        CRFBank.from_dorf(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "201_CRF_data.mat").write_bytes(b"not a mat file")
    (tmp_path / "other" / "dorfCurvesInv.mat").write_bytes(b"not a mat file")
    with pytest.raises(RestoreKitError, match=r"201_CRF_data\.mat"):
        CRFBank.from_dorf(tmp_path / "other")


def test_lookup_of_a_permuted_batch_equals_the_contiguous_one() -> None:
    bank = CRFBank.builtin()
    x = torch.rand(1, 16, 12, 3).permute(0, 3, 1, 2)  # channels-last view of NCHW
    index = torch.tensor([5])
    assert torch.equal(bank.icrf(x, index), bank.icrf(x.contiguous(), index))
