"""Padding an image batch up to a size a network can process, and cropping back.

Encoder-decoder networks such as HINet halve the resolution ``levels`` times, so they need H and
W to be multiples of ``2**levels``. Reflection keeps image statistics near the border (which
matters for instance normalisation), but ``F.pad(mode="reflect")`` only pads by less than the
current size; tiny inputs are therefore padded in repeated reflection steps, and a dimension of
size 1 is replicated.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def round_up(n: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is >= ``n``."""
    return -(-n // multiple) * multiple


def pad_to_size(x: Tensor, height: int, width: int) -> Tensor:
    """Pad (N, C, H, W) at the bottom and right to exactly (``height``, ``width``) by reflection.

    Pads of any amount work: a pad >= the current size is applied in several reflection steps
    (each < the size reached so far), and a dimension of size 1 is replicated first.
    """
    h, w = x.shape[-2:]
    if height < h or width < w:
        raise ValueError(f"cannot pad {h}x{w} down to {height}x{width}")
    if h == 1 and height > 1:
        x = F.pad(x, (0, 0, 0, 1), mode="replicate")
        h = 2
    if w == 1 and width > 1:
        x = F.pad(x, (0, 1, 0, 0), mode="replicate")
        w = 2
    while h < height or w < width:
        step_h = min(height - h, h - 1)
        step_w = min(width - w, w - 1)
        x = F.pad(x, (0, step_w, 0, step_h), mode="reflect")
        h, w = h + step_h, w + step_w
    return x


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Reflect-pad (N, C, H, W) at the bottom and right so H and W are multiples of ``multiple``."""
    h, w = x.shape[-2:]
    return pad_to_size(x, round_up(h, multiple), round_up(w, multiple))
