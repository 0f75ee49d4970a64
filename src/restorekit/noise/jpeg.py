"""JPEG compression of a batch, one quality per image (Pillow/libjpeg, on the CPU).

CBDNet(JPEG) compresses its synthetic images with MATLAB ``imwrite(..., 'Quality', q)``, q in
[60, 100]. Here each image is rounded to 8 bits, encoded with Pillow at quality ``q`` (libjpeg's
scaling of the standard tables, Pillow's default 4:2:0 chroma subsampling) and decoded back to
float in [0, 1] on the input's device.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from restorekit.errors import RestoreKitError


def encode_jpeg(image_u8: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an (H, W) or (H, W, 3) uint8 array at ``quality`` (1..100)."""
    buf = io.BytesIO()
    Image.fromarray(image_u8).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def jpeg_roundtrip(x: Tensor, quality: Tensor | Sequence[int] | int) -> Tensor:
    """Compress and decompress each image of ``x`` (N, 1 or 3, H, W) at its own quality."""
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise RestoreKitError(f"jpeg: expected an (N, 1 or 3, H, W) batch, got {tuple(x.shape)}")
    qualities = torch.as_tensor(quality).reshape(-1).expand(x.shape[0]).tolist()
    if any(not 1 <= int(q) <= 100 for q in qualities):
        raise RestoreKitError(f"jpeg quality must be in 1..100, got {qualities}")
    u8 = x.detach().clamp(0, 1).mul(255).round_().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    out = np.empty(u8.shape, dtype=np.uint8)
    for i, q in enumerate(qualities):
        img = u8[i, :, :, 0] if u8.shape[3] == 1 else u8[i]
        with Image.open(io.BytesIO(encode_jpeg(img, int(q)))) as dec:
            out[i] = np.asarray(dec).reshape(out.shape[1:])
    back = torch.from_numpy(out).permute(0, 3, 1, 2).to(x.device, non_blocking=True)
    return back.to(x.dtype).div_(255)
