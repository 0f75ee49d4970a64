"""Helpers that build tiny image files with the real datasets' layouts inside a test's tmp_path."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image


def write_png(path: Path, pixels: np.ndarray) -> Path:
    """Write an (H, W, 3) or (H, W) uint8 array as an 8-bit PNG, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def random_pixels(seed: int, height: int, width: int, channels: int = 3) -> np.ndarray:
    """Deterministic random uint8 pixels (H, W, C), or (H, W) for one channel."""
    rng = np.random.default_rng(seed)
    shape = (height, width, channels) if channels > 1 else (height, width)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def as_chw(pixels: np.ndarray) -> np.ndarray:
    """uint8 HWC (or HW) pixels as the float32 CHW array read_image returns."""
    chw = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return chw.astype(np.float32) / np.float32(255)


@pytest.fixture
def img() -> SimpleNamespace:
    """The helpers above as one fixture (``img.write_png``, ``img.random_pixels``, ...)."""
    return SimpleNamespace(write_png=write_png, random_pixels=random_pixels, as_chw=as_chw)
