"""JPEG round trips: Pillow at the requested quality, one quality per image."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from restorekit.errors import RestoreKitError
from restorekit.noise import jpeg_roundtrip


def _pillow(image: torch.Tensor, quality: int) -> np.ndarray:
    u8 = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float32) / 255


def test_each_image_gets_its_quality(astronaut: torch.Tensor) -> None:
    x = astronaut.expand(3, 3, 96, 80)
    qualities = [20, 60, 95]
    out = jpeg_roundtrip(x, torch.tensor(qualities))
    errors = []
    for i, q in enumerate(qualities):
        np.testing.assert_array_equal(out[i].permute(1, 2, 0).numpy(), _pillow(x[i], q))
        errors.append(float((out[i] - x[i]).abs().mean()))
    assert errors[0] > errors[1] > errors[2]


def test_gray_dtype_and_errors() -> None:
    x = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    out = jpeg_roundtrip(x, 90)
    assert out.shape == x.shape and out.dtype == torch.float64
    with pytest.raises(RestoreKitError, match=r"1\.\.100"):
        jpeg_roundtrip(x, 0)
    with pytest.raises(RestoreKitError, match="1 or 3"):
        jpeg_roundtrip(torch.rand(1, 2, 8, 8), 90)
