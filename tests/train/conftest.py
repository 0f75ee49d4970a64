"""Shared fixtures of the trainer tests: the tiny image folders configs/ci/*.yaml read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _save(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(path)


def make_ci_data(root: Path, count: int = 8, size: int = 40) -> None:
    """``root``/clean, pairs/{gt,noisy}, val/{gt,noisy}, val_clean and rain/{target,input}:
    smooth random colour images (and noisy copies), ``size`` x ``size`` pixels."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(count + 2):
        a, b = rng.uniform(0.5, 4.0, 2)
        base = np.stack([np.sin(a * xx + b * yy + k) for k in range(3)], axis=-1)
        clean = np.clip(0.5 + 0.35 * base + 0.05 * rng.standard_normal((size, size, 1)), 0, 1)
        noisy = np.clip(clean + 0.08 * rng.standard_normal(clean.shape), 0, 1)
        name = f"img{i:02d}.png"
        if i < count:
            _save(root / "clean" / name, clean)
            for folder, (gt, inp) in (("pairs", ("gt", "noisy")), ("rain", ("target", "input"))):
                _save(root / folder / gt / name, clean)
                _save(root / folder / inp / name, noisy)
        else:
            _save(root / "val" / "gt" / name, clean)
            _save(root / "val" / "noisy" / name, noisy)
            _save(root / "val_clean" / name, clean)


@pytest.fixture
def ci_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with ``ci_data/`` in it (the ci recipes' relative paths); chdir."""
    make_ci_data(tmp_path / "ci_data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def ci_data_maker():
    """``make_ci_data`` for fixtures of wider scope than ``ci_dir``."""
    return make_ci_data
