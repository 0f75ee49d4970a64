"""Shared fixtures of the adapt tests: tiny noisy/clean pair folders and a tiny AINDNet base."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from restorekit.models import build_model
from restorekit.weights import save_model

TINY = {"width": 4, "estimator_width": 4}


def _save(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(path)


def smooth_image(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random colour image (HWC in [0.1, 0.9])."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    a, b = rng.uniform(0.5, 4.0, 2)
    base = np.stack([np.sin(a * xx + b * yy + k) for k in range(3)], axis=-1)
    return 0.5 + 0.4 * base


def make_pairs(root: Path, count: int = 4, size: int = 48, sigma: float = 0.06) -> Path:
    """``root``/noisy and ``root``/gt with ``count`` 8-bit PNG pairs named p0.png, p1.png..."""
    rng = np.random.default_rng(1)
    for i in range(count):
        clean = smooth_image(rng, size)
        noisy = clean + sigma * rng.standard_normal(clean.shape)
        _save(root / "gt" / f"p{i}.png", clean)
        _save(root / "noisy" / f"p{i}.png", noisy)
    return root


@pytest.fixture
def pairs_dir(tmp_path: Path) -> Path:
    return make_pairs(tmp_path / "pairs")


@pytest.fixture
def tiny_base(tmp_path: Path) -> Path:
    """A width-4 AINDNet saved as a restorekit file. Its last conv outputs a constant 0.1, so
    it brightens every image: a poor base that fine-tuning its transfer groups fixes fast."""
    torch.manual_seed(0)
    model = build_model("aindnet", **TINY)
    with torch.no_grad():
        model.rec.tail.weight.zero_()
        model.rec.tail.bias.fill_(0.1)
    return save_model(tmp_path / "base.safetensors", model, name="aindnet", kwargs=TINY)


def _profile(iso: int, a: float, b: float) -> dict:
    return {"name": f"iso {iso}", "iso": iso, "a": [a, a, a], "b": [b, b, b]}


PROFILES = {  # darktable's noiseprofiles.json format, one camera (never the GPL file itself)
    "version": 0,
    "noiseprofiles": [
        {
            "maker": "Nikon",
            "models": [
                {
                    "model": "D800",
                    "profiles": [_profile(100, 1e-5, 1e-7), _profile(6400, 4e-4, 4e-6)],
                }
            ],
        }
    ],
}


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """A tiny darktable-format profile file: Nikon D800 at ISO 100 and 6400."""
    path = tmp_path / "noiseprofiles.json"
    path.write_text(json.dumps(PROFILES))
    return path
