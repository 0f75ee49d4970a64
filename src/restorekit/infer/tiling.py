"""Tiled inference with overlapping tiles blended by a smooth window.

Instance-norm models (HINet, AINDNet) see different statistics per tile, and every network
sees zero padding at a tile's border, so tiles overlap and are blended with weights that fall
smoothly to (almost) zero towards each tile edge shared with a neighbour: a raised-cosine ramp
over the overlap, flat elsewhere. The ramps of two neighbours overlapping by exactly ``overlap``
pixels sum to one, the weight never reaches zero (so every pixel is covered), and sides lying on
the image border are not ramped. Accumulating ``output * weight`` and dividing by the summed
weight makes any tiling a convex combination of tile outputs: a pointwise model is reproduced
exactly.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.infer.outputs import ModelFn, ModelOutput, fields_of, rebuild

#: The smallest tile side a user may ask for. Smaller tiles are padded up to the model's size
#: multiple and normalised on a few pixels: slower and worse than the input (``--tile 1``).
MIN_TILE_SIDE = 32


TILE_GRAMMAR = "auto, whole (or 0, none), N or HxW pixels"


def parse_tile(text: str) -> int | tuple[int, int] | str | None:
    """A tile setting as users write it: ``auto``; ``whole``, ``0`` or ``none`` (the whole
    image, None); ``N`` (square) or ``HxW`` pixels. Sizes are checked later, per model
    (:func:`check_tile_size`)."""
    word = str(text).strip().lower()
    if word == "auto":
        return "auto"
    if word in ("whole", "0", "none"):
        return None
    parts = word.split("x")
    if len(parts) not in (1, 2) or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise RestoreKitError(f"tile must be {TILE_GRAMMAR}, got '{text}'")
    sides = [int(p) for p in parts]
    return sides[0] if len(sides) == 1 else (sides[0], sides[1])


def smallest_tile(size_multiple: int = 1) -> int:
    """The smallest tile side accepted for a model: 32 px, and twice its size multiple."""
    return max(MIN_TILE_SIDE, 2 * size_multiple)


def check_tile_size(tile: int | tuple[int, int], size_multiple: int = 1) -> None:
    """Refuse a user's tile side below :func:`smallest_tile` (a user option: a user error)."""
    sides = (tile, tile) if isinstance(tile, int) else tile
    least = smallest_tile(size_multiple)
    if min(sides) < least:
        shown = f"{sides[0]}" if isinstance(tile, int) else f"{sides[0]}x{sides[1]}"
        raise RestoreKitError(
            f"tile {shown} is too small: tiles need at least {least} px per side "
            f"({MIN_TILE_SIDE}, and twice the model's size multiple {size_multiple}); "
            "use auto or 0 for the whole image"
        )


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    """Evenly spaced tile offsets covering ``size`` with neighbours overlapping >= ``overlap``."""
    if tile >= size:
        return [0]
    count = math.ceil((size - overlap) / (tile - overlap))
    last = size - tile
    return [round(i * last / (count - 1)) for i in range(count)]


def ramp(length: int, overlap: int, *, start: bool, end: bool) -> Tensor:
    """1-D blending weight of a tile: raised-cosine ramps over ``overlap`` at the chosen ends.

    ``w[i] = (1 - cos(pi * (i + 0.5) / overlap)) / 2`` on the ramp, so the weight is in (0, 1]
    and two complementary ramps sum to exactly one.
    """
    weight = torch.ones(length, dtype=torch.float32)
    n = min(overlap, length)
    if n <= 0:
        return weight
    up = 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(n, dtype=torch.float64) + 0.5) / overlap)
    up = up.float()
    if start:
        weight[:n] *= up
    if end:
        weight[length - n :] *= up.flip(0)
    return weight


def _check(tile: tuple[int, int], overlap: int, size: tuple[int, int]) -> None:
    """Reject tile settings that cannot cover the image (user options, hence user errors)."""
    if min(tile) < 1:
        raise RestoreKitError(f"tile size must be positive, got {tile[0]}x{tile[1]}")
    if overlap < 0:
        raise RestoreKitError(f"tile overlap must be >= 0, got {overlap}")
    for side, full in zip(tile, size, strict=True):
        if side < full and overlap >= side:
            raise RestoreKitError(f"tile overlap {overlap} must be smaller than the tile ({side})")


def tiled_forward(
    model: ModelFn,
    x: Tensor,
    tile: int | tuple[int, int],
    overlap: int = 32,
    *,
    device: torch.device | str | None = None,
) -> ModelOutput:
    """Run ``model`` on overlapping tiles of ``x`` (N, C, H, W) and blend them smoothly.

    ``tile`` is a side or (height, width); a tile larger than the image is clipped to it, and an
    image that fits in one tile is processed whole. Tiles are sent to ``device`` (default: the
    device of ``x``) one at a time while the blended result accumulates in float32 on the device
    of ``x``, so a large image can stay in CPU memory while tiles run on a GPU. Returns the kind
    ``model`` returns: a tensor, or a RestorationOutput with ``image`` and ``noise_map``.
    """
    th, tw = (tile, tile) if isinstance(tile, int) else tile
    _, _, h, w = x.shape
    _check((th, tw), overlap, (h, w))
    th, tw = min(th, h), min(tw, w)
    device = x.device if device is None else torch.device(device)
    if (th, tw) == (h, w):
        out = model(x.to(device))
        fields = {k: v.to(x.device) for k, v in fields_of(out).items()}
        return rebuild(out, fields)

    ys, xs = tile_starts(h, th, overlap), tile_starts(w, tw, overlap)
    acc: dict[str, Tensor] = {}
    total = torch.zeros(1, 1, h, w, dtype=torch.float32, device=x.device)
    first: ModelOutput | None = None
    for y0 in ys:
        wy = ramp(th, overlap, start=y0 > 0, end=y0 + th < h)
        for x0 in xs:
            wx = ramp(tw, overlap, start=x0 > 0, end=x0 + tw < w)
            window = (wy[:, None] * wx[None, :]).to(x.device)
            out = model(x[:, :, y0 : y0 + th, x0 : x0 + tw].to(device))
            first = out if first is None else first
            for name, value in fields_of(out).items():
                if name not in acc:
                    shape = (value.shape[0], value.shape[1], h, w)
                    acc[name] = torch.zeros(shape, dtype=torch.float32, device=x.device)
                acc[name][:, :, y0 : y0 + th, x0 : x0 + tw] += value.to(x.device) * window
            total[:, :, y0 : y0 + th, x0 : x0 + tw] += window
    assert first is not None
    return rebuild(first, {name: value.div_(total) for name, value in acc.items()})
