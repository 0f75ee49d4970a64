"""Camera response functions (CRF): a bank of curves on a 1024-point grid and their inverses.

CBDNet samples one of the 201 DoRF curves (Grossberg & Nayar 2003) per image, maps the clean
sRGB image to irradiance with the inverse curve, adds noise there and maps back with the curve.
Its MATLAB loops (``CRF_Map.m``, ``ICRF_Map.m``) are nearest-neighbour lookups on a uniform
grid, which here become one gather each (spec section 4.2):

* ``CRF(L)  = B[k][round(1023 * clip(L, 0, 1))]``
* ``ICRF(x) = invI[k][round(1023 * clip(x, 0, 1))]``

The DoRF tables are research data that restorekit does not ship: :meth:`CRFBank.from_dorf`
reads CBDNet's ``201_CRF_data.mat`` and ``dorfCurvesInv.mat`` from a folder the user gives.
Without them :meth:`CRFBank.builtin` offers a parametric bank (gamma, film-like shoulder,
convex and S-shaped curves around sRGB) so the pipeline always works offline.
"""

from __future__ import annotations

import functools
import math
from os import PathLike
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.io import read_mat

GRID = 1024
DORF_FORWARD = "201_CRF_data.mat"
DORF_INVERSE = "dorfCurvesInv.mat"


class CRFBank:
    """``K`` monotone response curves ``forward[k]`` (irradiance -> intensity) and inverses.

    Both tables are (K, 1024) float32 on the uniform grid ``j / 1023``: ``forward[k][j]`` is
    the intensity for irradiance ``j / 1023`` and ``inverse[k][j]`` the irradiance for
    intensity ``j / 1023``. ``names[k]`` labels curve ``k`` in logs.
    """

    def __init__(self, forward: Tensor, inverse: Tensor, names: list[str], source: str) -> None:
        forward = torch.as_tensor(forward, dtype=torch.float32)
        inverse = torch.as_tensor(inverse, dtype=torch.float32)
        if forward.ndim != 2 or forward.shape[1] != GRID or inverse.shape != forward.shape:
            raise RestoreKitError(
                f"CRF tables must both be (K, {GRID}), got {tuple(forward.shape)} "
                f"and {tuple(inverse.shape)}"
            )
        if len(names) != forward.shape[0]:
            raise ValueError("one name per curve is needed")
        self.forward = forward.contiguous()
        self.inverse = inverse.contiguous()
        self.names = list(names)
        self.source = source

    def __len__(self) -> int:
        return self.forward.shape[0]

    def __repr__(self) -> str:
        return f"CRFBank({len(self)} curves, source={self.source!r})"

    @classmethod
    def from_dorf(cls, path: str | PathLike[str]) -> CRFBank:
        """The 201 DoRF curves from CBDNet's two .mat files in folder ``path`` (or next to it).

        ``path`` may be the folder or either file; ``forward = B`` from ``201_CRF_data.mat``
        and ``inverse = invI`` from ``dorfCurvesInv.mat``, whose grids (``I``, ``invB``) must
        be the uniform 1024-point grid the nearest-neighbour lookup relies on.
        """
        folder = Path(path).expanduser().resolve()
        return _load_dorf(str(folder.parent if folder.is_file() else folder))

    @classmethod
    def builtin(cls) -> CRFBank:
        """The parametric offline bank (built once, then shared)."""
        return _builtin_bank()

    @classmethod
    def resolve(cls, bank: CRFBank | str | PathLike[str] | None) -> CRFBank:
        """``None`` or ``"builtin"`` -> :meth:`builtin`; a path -> :meth:`from_dorf`; a bank."""
        if bank is None or (isinstance(bank, str) and bank == "builtin"):
            return cls.builtin()
        if isinstance(bank, CRFBank):
            return bank
        return cls.from_dorf(bank)

    @staticmethod
    def _lookup(table: Tensor, values: Tensor, index: Tensor) -> Tensor:
        """``table[index[n]][round(1023 * clip(values, 0, 1))]`` for an (N, ...) batch."""
        n = values.shape[0]
        table = table.to(values.device)
        offset = (index.to(values.device, torch.float32) * GRID).view(n, *([1] * (values.ndim - 1)))
        pos = values.float().clamp(0.0, 1.0).mul_(GRID - 1).add_(0.5).floor_().add_(offset)
        flat_index = pos.reshape(-1).to(torch.int32)  # any layout (a permuted input too)
        del pos  # the output can reuse its memory (fewer fresh pages per call)
        return table.view(-1).index_select(0, flat_index).view(values.shape).to(values.dtype)

    def crf(self, irradiance: Tensor, index: Tensor) -> Tensor:
        """Irradiance -> intensity with curve ``index[n]`` per image (input clipped to [0, 1])."""
        return self._lookup(self.forward, irradiance, index)

    def icrf(self, intensity: Tensor, index: Tensor) -> Tensor:
        """Intensity -> irradiance with the inverse of curve ``index[n]`` per image."""
        return self._lookup(self.inverse, intensity, index)


def _read_mat(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Variables ``keys`` of one DoRF file (``restorekit.io.read_mat``: hostile files refused)."""
    if not path.is_file():
        raise RestoreKitError("CRF file not found (CBDNet's DoRF .mat files are needed)", path)
    return {k: np.asarray(read_mat(path, k), dtype=np.float32) for k in keys}


@functools.lru_cache(maxsize=4)
def _load_dorf(path: str) -> CRFBank:
    folder = Path(path)
    fwd = _read_mat(folder / DORF_FORWARD, ("I", "B"))
    inv = _read_mat(folder / DORF_INVERSE, ("invI", "invB"))
    grid = np.arange(GRID, dtype=np.float64) / (GRID - 1)
    for name, table, where in (("I", fwd["I"], DORF_FORWARD), ("invB", inv["invB"], DORF_INVERSE)):
        if table.ndim != 2 or table.shape[1] != GRID or np.abs(table - grid).max() > 1e-5:
            raise RestoreKitError(f"'{name}' is not the uniform {GRID}-point grid", folder / where)
    names = [f"dorf-{k + 1:03d}" for k in range(fwd["B"].shape[0])]
    return CRFBank(torch.from_numpy(fwd["B"]), torch.from_numpy(inv["invI"]), names, str(folder))


def _srgb(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def _invert(curve: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The inverse of a monotone increasing curve on ``grid``, sampled on the same grid."""
    return np.interp(grid, curve, grid)


@functools.lru_cache(maxsize=1)
def _builtin_bank() -> CRFBank:
    grid = np.arange(GRID, dtype=np.float64) / (GRID - 1)
    curves: list[np.ndarray] = [_srgb(grid)]
    names = ["srgb"]
    for gamma in np.geomspace(1.2, 3.0, 16):  # concave power laws, sRGB's 2.2 in the middle
        curves.append(grid ** (1 / gamma))
        names.append(f"gamma-{gamma:.2f}")
    for k in np.linspace(1.0, 8.0, 12):  # film-like shoulders: (1 - e^-kx) / (1 - e^-k)
        curves.append(-np.expm1(-k * grid) / -math.expm1(-k))
        names.append(f"shoulder-{k:.2f}")
    for p in (1.25, 1.5, 1.75, 2.0, 2.25):  # the few convex DoRF-like curves
        curves.append(grid**p)
        names.append(f"convex-{p:.2f}")
    for gamma in (1.8, 2.2, 2.6):  # S-shaped: a normalised logistic contrast after a gamma
        for slope in (3.0, 5.0, 7.0):
            u = grid ** (1 / gamma)
            s = 1 / (1 + np.exp(-slope * (u - 0.5)))
            lo, hi = 1 / (1 + math.exp(slope / 2)), 1 / (1 + math.exp(-slope / 2))
            curves.append((s - lo) / (hi - lo))
            names.append(f"s-curve-{gamma:.1f}-{slope:.0f}")
    forward = np.clip(np.stack(curves), 0.0, 1.0)
    forward[:, 0], forward[:, -1] = 0.0, 1.0
    inverse = np.stack([_invert(c, grid) for c in forward])
    return CRFBank(
        torch.from_numpy(forward.astype(np.float32)),
        torch.from_numpy(inverse.astype(np.float32)),
        names,
        source="builtin",
    )
