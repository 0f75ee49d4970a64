"""Bayer colour filter arrays: mosaic, Malvar-He-Cutler demosaic, RGGB packing, bilinear demosaic.

A pattern name lists the 2x2 filter layout row-major: ``"rggb"`` is ``R G / G B``. Mosaics are
(N, 1, H, W) tensors; packed RGGB raws (Brooks et al. 2019) are (N, 4, H/2, W/2) with planes
``R, G(red row), G(blue row), B``.

:func:`demosaic_malvar` is gradient-corrected linear interpolation (Malvar, He & Cutler,
ICASSP 2004), MATLAB ``demosaic``'s algorithm, with the borders of the colour-demosaicing
package (``scipy.ndimage.convolve``'s default: symmetric reflection including the edge pixel).
Each output pixel needs only two of the four 5x5 filters, so they are computed per 2x2 phase
from shared neighbour sums instead of as full convolutions.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

from restorekit.errors import RestoreKitError

BAYER_PATTERNS: tuple[str, ...] = ("gbrg", "grbg", "bggr", "rggb")
_CHANNEL = {"r": 0, "g": 1, "b": 2}


def _layout(pattern: str) -> list[tuple[int, int, int]]:
    """(row, column, channel) of the four sites of ``pattern``'s 2x2 tile."""
    pattern = pattern.lower()
    if pattern not in BAYER_PATTERNS:
        raise RestoreKitError(
            f"unknown Bayer pattern '{pattern}'; known: {', '.join(BAYER_PATTERNS)}"
        )
    return [(i // 2, i % 2, _CHANNEL[letter]) for i, letter in enumerate(pattern)]


def _check_rgb(x: Tensor, what: str) -> None:
    if x.ndim != 4 or x.shape[1] != 3 or not x.is_floating_point():
        raise RestoreKitError(f"{what}: expected a float (N, 3, H, W) batch, got {tuple(x.shape)}")


def _check_mosaic(raw: Tensor, what: str) -> None:
    if raw.ndim != 4 or raw.shape[1] != 1 or not raw.is_floating_point():
        raise RestoreKitError(
            f"{what}: expected a float (N, 1, H, W) mosaic, got {tuple(raw.shape)}"
        )


def mosaic(x: Tensor, pattern: str) -> Tensor:
    """Sample RGB ``x`` (N, 3, H, W) through the colour filter array ``pattern`` -> (N, 1, H, W)."""
    _check_rgb(x, "mosaic")
    out = x.new_empty(x.shape[0], 1, *x.shape[2:])
    for row, col, ch in _layout(pattern):
        out[:, 0, row::2, col::2] = x[:, ch, row::2, col::2]
    return out


def site_map(values: Tensor, pattern: str, height: int, width: int) -> Tensor:
    """Per-image, per-channel values (N, 3) laid out on the filter sites -> (N, 1, H, W)."""
    n = values.shape[0]
    out = values.new_empty(n, 1, height, width)
    for row, col, ch in _layout(pattern):
        out[:, 0, row::2, col::2] = values[:, ch, None, None]
    return out


def _symmetric_index(size: int, before: int, after: int, device: torch.device) -> Tensor:
    """Indices of a length-``size`` axis padded with edge-including reflection (scipy's)."""
    idx = torch.arange(-before, size + after, device=device)
    idx = torch.where(idx < 0, -idx - 1, idx)
    idx = torch.where(idx >= size, 2 * size - 1 - idx, idx)
    return idx.clamp_(0, size - 1)


def _pad_symmetric(x: Tensor, dim: int, before: int, after: int) -> Tensor:
    """``x`` extended along ``dim`` by mirrored copies (edge included), like scipy's 'reflect'."""
    size = x.shape[dim]
    idx = _symmetric_index(size, before, after, x.device)
    return torch.cat(
        (x.index_select(dim, idx[:before]), x, x.index_select(dim, idx[before + size :])), dim
    )


def _interleave(planes: Tensor) -> Tensor:
    """(N, C, 2, 2, h, w) per-site planes -> (N, C, 2h, 2w) image (site (a, b) at (2y+a, 2x+b))."""
    n, c, _, _, h, w = planes.shape
    columns = torch.stack((planes[:, :, :, 0], planes[:, :, :, 1]), dim=-1)  # N,C,2,h,w,2
    return columns.transpose(2, 3).reshape(n, c, 2 * h, 2 * w)


def _neighbours(
    planes: Tensor, row: int, col: int, rows: int, cols: int, dy: int, dx: int
) -> Tensor:
    """The (dy, dx) neighbours of the sites at (row, col) mod 2 (contiguous rows, fast)."""
    top, left = 2 + row + dy, 2 + col + dx
    return planes[:, top % 2, left % 2, top // 2 : top // 2 + rows, left // 2 : left // 2 + cols]


def demosaic_malvar(raw: Tensor, pattern: str) -> Tensor:
    """Malvar-He-Cutler (2004) demosaic of (N, 1, H, W) ``raw`` -> (N, 3, H, W), not clipped.

    Matches ``colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004`` (including its borders).
    Integer-valued input (e.g. 16-bit counts) gives exact multiples of 1/16 in float32.
    """
    _check_mosaic(raw, "demosaic")
    layout = _layout(pattern)
    n, _, h, w = raw.shape
    rows, cols = (h + 1) // 2, (w + 1) // 2  # sites per phase, after padding H, W to even
    # mirror-pad by 2 (plus one row/column for odd sizes), then split into the four phases
    p = _pad_symmetric(raw[:, 0], 1, 2, 2 * rows + 2 - h)
    p = _pad_symmetric(p, 2, 2, 2 * cols + 2 - w)
    planes = p.view(n, rows + 2, 2, cols + 2, 2).permute(0, 2, 4, 1, 3).contiguous()
    del p
    red_rows = {row for row, _, ch in layout if ch == 0}
    full = raw.new_empty(n, 3, 2 * rows, 2 * cols)
    sites = full.view(n, 3, rows, 2, cols, 2)  # channel, y, site row, x, site column
    for row, col, ch in layout:
        at = functools.partial(_neighbours, planes, row, col, rows, cols)
        c = at(0, 0)
        diag = at(-1, -1) + at(-1, 1)
        diag.add_(at(1, -1)).add_(at(1, 1))
        h2 = at(0, -2) + at(0, 2)
        v2 = at(-2, 0) + at(2, 0)
        if ch == 1:  # green site: the other two colours sit left/right and above/below
            base = diag.mul_(-1).add_(c, alpha=5)  # 5c - diagonals, shared by both filters
            horiz = torch.add(base, at(0, -1), alpha=4)
            horiz.add_(at(0, 1), alpha=4).sub_(h2).add_(v2, alpha=0.5).div_(8)
            vert = base.add_(at(-1, 0), alpha=4).add_(at(1, 0), alpha=4)
            vert.sub_(v2).add_(h2, alpha=0.5).div_(8)
            red, blue = (horiz, vert) if row in red_rows else (vert, horiz)
            sites[:, 0, :, row, :, col] = red
            sites[:, 1, :, row, :, col] = c
            sites[:, 2, :, row, :, col] = blue
        else:  # red or blue site: green from the cross, the other colour from the diagonals
            far = h2.add_(v2)
            green = at(-1, 0) + at(1, 0)
            green.add_(at(0, -1)).add_(at(0, 1)).mul_(2).add_(c, alpha=4).sub_(far).div_(8)
            other = diag.mul_(2).add_(c, alpha=6).sub_(far, alpha=1.5).div_(8)
            sites[:, ch, :, row, :, col] = c
            sites[:, 1, :, row, :, col] = green
            sites[:, 2 - ch, :, row, :, col] = other
    return full if (h, w) == full.shape[2:] else full[:, :, :h, :w].contiguous()


def pack_rggb(x: Tensor) -> Tensor:
    """RGB (N, 3, H, W), H and W even -> packed RGGB raw (N, 4, H/2, W/2)."""
    _check_rgb(x, "pack_rggb")
    if x.shape[2] % 2 or x.shape[3] % 2:
        raise RestoreKitError(f"RGGB packing needs even H and W, got {tuple(x.shape[2:])}")
    return torch.stack(
        (x[:, 0, 0::2, 0::2], x[:, 1, 0::2, 1::2], x[:, 1, 1::2, 0::2], x[:, 2, 1::2, 1::2]), 1
    )


def demosaic_bilinear(packed: Tensor) -> Tensor:
    """Bilinear demosaic of a packed RGGB raw (N, 4, h, w) -> RGB (N, 3, 2h, 2w).

    Missing samples average their two or four nearest same-colour neighbours; at the borders the
    planes are extended by replication (the edge clamp of Brooks et al.'s resize-based demosaic).
    """
    if packed.ndim != 4 or packed.shape[1] != 4:
        raise RestoreKitError(f"expected a packed RGGB (N, 4, h, w) raw, got {tuple(packed.shape)}")
    h, w = packed.shape[2:]
    pad = F.pad(packed, (1, 1, 1, 1), mode="replicate")

    def at(plane: int, dy: int, dx: int) -> Tensor:
        return pad[:, plane, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    r, gr, gb, b = (at(k, 0, 0) for k in range(4))
    red = (
        r,
        (r + at(0, 0, 1)) / 2,
        (r + at(0, 1, 0)) / 2,
        (r + at(0, 0, 1) + at(0, 1, 0) + at(0, 1, 1)) / 4,
    )
    green = (
        (gr + at(1, 0, -1) + gb + at(2, -1, 0)) / 4,
        gr,
        gb,
        (gr + at(1, 1, 0) + gb + at(2, 0, 1)) / 4,
    )
    blue = (
        (b + at(3, -1, -1) + at(3, -1, 0) + at(3, 0, -1)) / 4,
        (b + at(3, -1, 0)) / 2,
        (b + at(3, 0, -1)) / 2,
        b,
    )
    n = packed.shape[0]
    return _interleave(torch.stack((*red, *green, *blue), 1).view(n, 3, 2, 2, h, w))
