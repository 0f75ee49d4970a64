"""Test-time augmentation: the x8 dihedral self-ensemble (flips and 90-degree rotations)."""

from __future__ import annotations

import torch
from torch import Tensor

from restorekit.infer.outputs import ModelFn, ModelOutput, fields_of, rebuild

#: The 8 symmetries of the square: (horizontal flip first?, quarter turns counter-clockwise).
DIHEDRAL: tuple[tuple[bool, int], ...] = tuple((f, k) for f in (False, True) for k in range(4))


def dihedral(x: Tensor, flip: bool, turns: int) -> Tensor:
    """Apply one symmetry to the last two axes: optional horizontal flip, then ``turns`` x 90°."""
    if flip:
        x = x.flip(-1)
    return torch.rot90(x, turns, dims=(-2, -1))


def dihedral_inverse(y: Tensor, flip: bool, turns: int) -> Tensor:
    """Undo :func:`dihedral` with the same arguments."""
    y = torch.rot90(y, -turns, dims=(-2, -1))
    return y.flip(-1) if flip else y


def tta_x8(fn: ModelFn, x: Tensor) -> ModelOutput:
    """Average ``fn`` over the 8 dihedral transforms of ``x``, each output transformed back.

    ``fn`` may be a model or any callable returning a tensor or a RestorationOutput (the result
    has the same kind, image and noise map averaged in float32). Composes with tiling either way:
    ``tta_x8(lambda t: tiled_forward(model, t, 512), x)`` or
    ``tiled_forward(lambda t: tta_x8(model, t), x, 512)`` (the second keeps memory per tile).
    """
    sums: dict[str, Tensor] = {}
    first: ModelOutput | None = None
    for flip, turns in DIHEDRAL:
        out = fn(dihedral(x, flip, turns))
        first = out if first is None else first
        for name, value in fields_of(out).items():
            value = dihedral_inverse(value, flip, turns)
            sums[name] = value if name not in sums else sums[name] + value
    assert first is not None
    return rebuild(first, {name: value / len(DIHEDRAL) for name, value in sums.items()})
