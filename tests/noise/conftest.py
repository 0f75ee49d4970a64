"""Shared helpers for the noise tests: small real images and the optional DoRF data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

# CBDNet's DoRF .mat files are research data the project does not ship; tests that need them
# look next to the repository (../shared/data/crf) and are skipped elsewhere.
DORF_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "crf"


@pytest.fixture(scope="session")
def astronaut() -> torch.Tensor:
    """A 96 x 80 crop of scikit-image's CC0 astronaut as a (1, 3, H, W) float32 batch."""
    import skimage.data

    crop = skimage.data.astronaut()[100:196, 180:260].astype(np.float32) / 255
    return torch.from_numpy(crop).permute(2, 0, 1)[None].contiguous()


@pytest.fixture(scope="session")
def dorf_dir() -> Path:
    if not (DORF_DIR / "201_CRF_data.mat").is_file():
        pytest.skip("CBDNet's DoRF .mat files are not available")
    return DORF_DIR
