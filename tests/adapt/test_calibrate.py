"""Noise calibration: known noise parameters come back, clipped bins are left out, files work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from restorekit.adapt.calibrate import calibrate, fit_noise, measure_noise
from restorekit.adapt.pairs import Pair
from restorekit.errors import RestoreKitError
from restorekit.noise import build_noise
from restorekit.train.config import load_config

SN_RECIPE = Path(__file__).resolve().parents[2] / "configs" / "aindnet_sn.yaml"
A = np.array([2e-3, 1e-3, 3e-3])
B = np.array([1e-4, 2e-4, 5e-5])


def _ramps(rng: np.random.Generator, count: int = 4, size: int = 96) -> list[np.ndarray]:
    """Clean CHW images whose intensities cover [0.02, 0.98] evenly."""
    ramp = np.linspace(0.02, 0.98, size)
    out = []
    for _ in range(count):
        image = np.stack([np.roll(np.tile(ramp, (size, 1)), rng.integers(size), 1)] * 3)
        out.append(image.astype(np.float64))
    return out


def _noised(std_of, rng, clip=True, count=4):
    pairs = []
    for i, clean in enumerate(_ramps(rng, count)):
        noisy = clean + std_of(clean) * rng.standard_normal(clean.shape)
        if clip:
            noisy = np.clip(noisy, 0, 1)
        pairs.append(Pair(f"p{i}", noisy.astype(np.float32), clean.astype(np.float32)))
    return pairs


def test_poisson_gaussian_parameters_are_recovered():
    rng = np.random.default_rng(0)
    pairs = _noised(lambda x: np.sqrt(A[:, None, None] * x + B[:, None, None]), rng)
    bins, names = measure_noise(pairs, bins=24)
    fit = fit_noise(bins, names)
    assert names == ["p0", "p1", "p2", "p3"]
    np.testing.assert_allclose(fit.a, A, rtol=0.05)
    np.testing.assert_allclose(fit.b, B, rtol=0.15)


def test_cbdnet_parameters_are_recovered():
    rng = np.random.default_rng(1)
    s, c = np.array([0.06, 0.03, 0.09]), np.array([0.02, 0.01, 0.015])
    pairs = _noised(lambda x: np.hypot(s[:, None, None] * x, c[:, None, None]), rng)
    fit = fit_noise(measure_noise(pairs, bins=24)[0])
    np.testing.assert_allclose(fit.sigma_s, s, rtol=0.05)
    np.testing.assert_allclose(fit.sigma_c, c, rtol=0.05)


def test_clipped_bins_are_left_out():
    rng = np.random.default_rng(2)
    pairs = _noised(lambda x: np.full_like(x, 0.05), rng)
    bins, _ = measure_noise(pairs, bins=24)
    assert not bins.used[:, 0].any() and not bins.used[:, -1].any()  # ends clip heavily
    assert bins.used[:, 6:18].all()
    fit = fit_noise(bins)
    np.testing.assert_allclose(fit.b, 0.05**2, rtol=0.08)
    assert max(fit.a) < 2e-4


def test_burst_reference_noise_is_removed():
    rng = np.random.default_rng(3)
    pairs = []
    for i, clean in enumerate(_ramps(rng)):
        reference = clean + 0.03 * rng.standard_normal(clean.shape)  # one frame: M = 1
        noisy = clean + 0.03 * rng.standard_normal(clean.shape)
        pairs.append(Pair(f"p{i}", noisy.astype(np.float32), reference.astype(np.float32), 1))
    fit = fit_noise(measure_noise(pairs, bins=16)[0])
    np.testing.assert_allclose(fit.b, 0.03**2, rtol=0.1)


def test_calibrate_writes_a_recipe_section_json_and_plot(tmp_path):
    rng = np.random.default_rng(4)
    pairs = _noised(lambda x: np.sqrt(A[:, None, None] * x + B[:, None, None]), rng)
    result = calibrate(pairs, tmp_path / "out" / "cam.yaml", bins=16)
    names = sorted(p.name for p in result.files)
    assert names == ["cam.fit.json", "cam.plot.png", "cam.yaml"]
    assert (tmp_path / "out" / "cam.plot.png").read_bytes()[:4] == b"\x89PNG"
    section = yaml.safe_load((tmp_path / "out" / "cam.yaml").read_text())
    assert section == result.config and section["name"] == "poisson_gaussian"
    for (low, high), fitted in zip(section["kwargs"]["a"], result.fit.a, strict=True):
        assert low == pytest.approx(0.75 * fitted, rel=1e-3)  # per channel, the fit +-25%
        assert high == pytest.approx(1.25 * fitted, rel=1e-3)
    details = json.loads((tmp_path / "out" / "cam.fit.json").read_text())
    assert details["poisson_gaussian"]["a"] == list(result.fit.a)
    assert len(details["bins"]["variance"]) == 3
    assert max(details["poisson_gaussian"]["fit_error"]) < 0.15  # the right model fits
    # usable as data.noise of the SN recipe, through the printed override
    cfg = load_config(SN_RECIPE, [result.override()])
    noise = build_noise(cfg.data.noise.name, **cfg.data.noise.kwargs)
    out = noise(torch.full((1, 3, 8, 8), 0.5), torch.Generator().manual_seed(0))
    assert out.noisy.shape == (1, 3, 8, 8) and float(out.noisy.min()) >= 0


def test_cbdnet_gaussian_section(tmp_path):
    rng = np.random.default_rng(5)
    pairs = _noised(lambda x: np.sqrt(A[:, None, None] * x + B[:, None, None]), rng)
    result = calibrate(pairs, None, model="cbdnet_gaussian", bins=16)
    assert result.files == ()
    assert result.config["name"] == "cbdnet_gaussian"
    build_noise(result.config["name"], **result.config["kwargs"])


def test_calibrate_errors(tmp_path, pairs_dir):
    with pytest.raises(RestoreKitError, match="yaml"):
        calibrate(pairs_dir, tmp_path / "noise.txt")
    with pytest.raises(RestoreKitError, match="usable intensity bin"):
        flat = np.full((3, 8, 8), 0.5, np.float32)
        calibrate([Pair("flat", flat, flat)], None)
    with pytest.raises(RestoreKitError, match="model must be"):
        calibrate(pairs_dir, None, model="awgn")


def test_calibrate_reads_a_folder(pairs_dir):
    result = calibrate(pairs_dir, None, bins=8, min_count=20)
    # the folder's noise is white with std 0.06 (clipped near the ends of the range)
    std = np.sqrt([result.fit.variance(0.5, c) for c in range(3)])
    np.testing.assert_allclose(std, 0.06, rtol=0.15)
    assert result.fit.pairs == ("p0.png", "p1.png", "p2.png", "p3.png")
