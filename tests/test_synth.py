"""synthesize_folder: files written per image, sidecar JSON, seeds, map formats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.errors import RestoreKitError
from restorekit.io import read_image
from restorekit.synth import build_pipeline, image_seed, synthesize_folder


def _make_inputs(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(folder / "a.png")
    Image.fromarray(rng.integers(0, 256, (17, 15), dtype=np.uint8)).save(folder / "b.jpg")
    return folder


@pytest.mark.parametrize("pipeline", ["cbdnet", "unprocess", "awgn", "rain_streaks", "motion_blur"])
def test_writes_noisy_map_and_json(tmp_path: Path, pipeline: str) -> None:
    src = _make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    summary = synthesize_folder(src, out, pipeline=pipeline, seed=3, progress=False)
    assert [p.name for p in summary.noisy] == ["a.png", "b.png"]
    noisy, meta = read_image(out / "a.png")
    assert noisy.shape == (3, 20, 24) and meta.bit_depth == 8
    gray_in = read_image(out / "b.png")[0]
    assert gray_in.shape[1:] == (17, 15)  # odd sizes come back at their size
    assert gray_in.shape[0] == (1 if pipeline in ("awgn", "rain_streaks", "motion_blur") else 3)
    noise_map, map_meta = read_image(out / "a_noise.png")
    assert map_meta.bit_depth == 16 and noise_map.shape == (3, 20, 24)
    record = json.loads((out / "a.json").read_text())
    assert record["pipeline"] == pipeline
    assert record["noisy"] == "a.png" and record["noise_map"] == "a_noise.png"
    assert record["image_seed"] == image_seed(3, "a.png")
    assert record["params"]
    assert abs(noise_map.max() - min(record["noise_map_max"], 1.0)) < 1e-4


def test_reproducible_and_npy_maps(tmp_path: Path) -> None:
    src = _make_inputs(tmp_path / "in")
    synthesize_folder(src, tmp_path / "o1", seed=1, map_format="npy", progress=False)
    synthesize_folder(src / "a.png", tmp_path / "o2", seed=1, map_format="npy", progress=False)
    synthesize_folder(src, tmp_path / "o3", seed=2, map_format="npy", progress=False)
    first = (tmp_path / "o1" / "a.png").read_bytes()
    assert first == (tmp_path / "o2" / "a.png").read_bytes()  # independent of the other files
    assert first != (tmp_path / "o3" / "a.png").read_bytes()
    noise_map = np.load(tmp_path / "o1" / "a_noise.npy")
    assert noise_map.dtype == np.float32 and noise_map.shape == (3, 20, 24)


def test_jpeg_and_sigma_options(tmp_path: Path) -> None:
    src = _make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    synthesize_folder(src, out, pipeline="awgn", sigma=0.1, jpeg=(80, 80), progress=False)
    record = json.loads((out / "a.json").read_text())
    assert record["params"]["jpeg_quality"] == 80
    assert abs(record["params"]["sigma"] - 0.1) < 1e-6
    with pytest.raises(RestoreKitError, match="awgn"):
        build_pipeline("cbdnet", sigma=0.1)


def test_user_errors(tmp_path: Path) -> None:
    src = _make_inputs(tmp_path / "in")
    with pytest.raises(RestoreKitError, match="differ"):
        synthesize_folder(src, src, progress=False)
    with pytest.raises(RestoreKitError, match="pipeline"):
        synthesize_folder(src, tmp_path / "o", pipeline="film", progress=False)
    with pytest.raises(RestoreKitError, match="no such"):
        synthesize_folder(tmp_path / "missing", tmp_path / "o", progress=False)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(src / "a.bmp")
    with pytest.raises(RestoreKitError, match="share the name"):
        synthesize_folder(src, tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()
