"""The README's main job, on a tiny random-weight model (the bundled one is not needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from restorekit.demo import add_camera_noise, clean_sample, run_demo, score
from restorekit.errors import RestoreKitError
from restorekit.io import read_image


def test_camera_noise_is_seeded_and_realistic() -> None:
    clean = clean_sample()[:, :128, :128]
    a, b = add_camera_noise(clean, 0), add_camera_noise(clean, 0)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, add_camera_noise(clean, 1))
    noisy_psnr, _ = score(a, clean)
    assert 15.0 < noisy_psnr < 35.0


def test_demo_with_a_model_file_writes_images_and_scores(
    tmp_path: Path, tiny_model_file: Callable[..., Path]
) -> None:
    path = tiny_model_file("aindnet", "tiny.safetensors", width=4, estimator_width=4)
    result = run_demo(tmp_path / "out", model=str(path), bm3d=False, tile=None)
    assert set(result.scores) == {"noisy", "tiny"}
    for file in result.files:
        assert file.is_file()
    image, _ = read_image(tmp_path / "out" / "tiny.png")
    assert image.shape == (3, 512, 512)
    psnr_value, ssim_value = result.scores["tiny"]
    assert np.isfinite(psnr_value) and 0.0 < ssim_value <= 1.0


def test_demo_refuses_a_missing_model(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="no such model"):
        run_demo(tmp_path, model=str(tmp_path / "missing.safetensors"), bm3d=False)
