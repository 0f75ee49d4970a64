"""FFDNet (Zhang, Zuo, Zhang, "FFDNet: Toward a Fast and Flexible Solution for CNN-Based Image
Denoising", IEEE TIP 2018), as released with the IPOL paper (Tassano, Delon, Veit, 2019).

A non-blind baseline: the noisy image is split into its four 2x2 sub-images (pixel unshuffle),
a constant noise-level map of the given sigma is put in front of them, a plain conv-BN-ReLU
stack predicts the noise of each sub-image, and pixel shuffle reassembles it; the output is the
input minus that noise. Odd sizes are reflect-padded by one row/column and cropped back.
IPOL's networks: gray 15 layers of 64 channels, RGB 12 layers of 96 channels. The attribute
names (``intermediate_dncnn.itermediate_dncnn``, sic) are the keys of the IPOL weight files,
so they load strictly once the ``module.`` prefix of their DataParallel wrapper is removed.

FFDNet is not a registered restorekit model: it needs sigma as a second input, so it serves as
an evaluation baseline (``restorekit eval --methods ffdnet``), never as ``model(x)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

IPOL_SIZES = {1: (64, 15), 3: (96, 12)}
"""Channels -> (features, conv layers) of the IPOL releases."""


class _Body(nn.Module):
    """The conv-BN-ReLU stack; one attribute so that the state-dict keys match IPOL's."""

    def __init__(self, channels: int, features: int, layers: int) -> None:
        super().__init__()
        sub = 4 * channels
        stack: list[nn.Module] = [nn.Conv2d(sub + channels, features, 3, padding=1, bias=False)]
        stack.append(nn.ReLU(inplace=True))
        for _ in range(layers - 2):
            stack += [
                nn.Conv2d(features, features, 3, padding=1, bias=False),
                nn.BatchNorm2d(features),
                nn.ReLU(inplace=True),
            ]
        stack.append(nn.Conv2d(features, sub, 3, padding=1, bias=False))
        self.itermediate_dncnn = nn.Sequential(*stack)

    def forward(self, x: Tensor) -> Tensor:
        return self.itermediate_dncnn(x)


class FFDNet(nn.Module):
    """FFDNet for ``channels`` = 1 (gray) or 3 (RGB); sizes default to the IPOL releases."""

    def __init__(
        self, channels: int = 3, features: int | None = None, layers: int | None = None
    ) -> None:
        super().__init__()
        if channels not in IPOL_SIZES:
            raise ValueError(f"FFDNet takes 1 or 3 channels, got {channels}")
        default_features, default_layers = IPOL_SIZES[channels]
        self.channels = channels
        self.intermediate_dncnn = _Body(
            channels, features or default_features, layers or default_layers
        )

    def forward(self, x: Tensor, sigma: Tensor | float) -> Tensor:
        """Denoise ``x`` (N, C, H, W), [0, 1] units, noise std ``sigma`` (one, or one per image)."""
        n, _, h, w = x.shape
        pad_h, pad_w = h % 2, w % 2
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        sub = F.pixel_unshuffle(x, 2)
        level = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
        level = level.expand(n, self.channels, sub.shape[2], sub.shape[3])
        noise = F.pixel_shuffle(self.intermediate_dncnn(torch.cat([level, sub], 1)), 2)
        return (x - noise)[:, :, :h, :w]
