"""CRF-aware calibration: CBDNet's camera chain with a known curve and levels comes back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorekit.adapt.calibrate import calibrate, fit_noise, measure_noise
from restorekit.adapt.camera_fit import demosaic_share, fit_camera_noise
from restorekit.adapt.pairs import Pair
from restorekit.errors import RestoreKitError
from restorekit.noise import CRFBank, build_noise, cbdnet

SIGMA_S = torch.tensor([0.06, 0.04, 0.08])
SIGMA_C = torch.tensor([0.01, 0.015, 0.005])
CURVE = 8  # a gamma curve of the built-in bank
RGGB = 3  # index into CBDNET_BAYER


def _chain_pairs(count: int = 6, size: int = 128) -> list[Pair]:
    """Horizontal ramps over [0.02, 0.98] through CBDNet's chain with known levels."""
    rng = np.random.default_rng(0)
    generator = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0.02, 0.98, size)
    pairs = []
    for i in range(count):
        row = torch.roll(ramp, int(rng.integers(size)))
        clean = row.expand(1, 3, size, size).contiguous()
        out = cbdnet(
            clean,
            sigma_s=SIGMA_S,
            sigma_c=SIGMA_C,
            crf=torch.tensor([CURVE]),
            bayer=torch.tensor([RGGB]),
            generator=generator,
        )
        pairs.append(Pair(f"p{i}", out.noisy[0].numpy(), clean[0].numpy()))
    return pairs


def test_demosaic_share():
    assert demosaic_share(("none",)) == (1.0, 1.0, 1.0)
    share = demosaic_share(("rggb", "bggr"))
    assert all(0.6 < s < 1.1 for s in share)
    with pytest.raises(RestoreKitError, match="unknown Bayer"):
        demosaic_share(("xyzw",))


def test_the_curve_and_levels_of_the_chain_come_back():
    bins, _ = measure_noise(_chain_pairs(), bins=24)
    fit = fit_noise(bins)
    camera = fit.camera
    assert camera is not None
    assert camera.crf_name == CRFBank.builtin().names[CURVE]
    assert camera.ranking[0] == (camera.crf_name, pytest.approx(np.mean(camera.fit_error)))
    np.testing.assert_allclose(camera.sigma_s, SIGMA_S.numpy(), rtol=0.25)
    np.testing.assert_allclose(camera.sigma_c, SIGMA_C.numpy(), atol=0.006)
    # the chain explains the measured variances; the sRGB forms cannot
    assert max(camera.fit_error) < 0.06
    assert min(fit.fit_error("poisson_gaussian")) > 3 * max(camera.fit_error)
    np.testing.assert_allclose(fit.fit_error("cbdnet"), camera.fit_error, rtol=1e-9)


def test_cbdnet_section_builds_the_chain(tmp_path):
    result = calibrate(_chain_pairs(count=3), tmp_path / "cam.yaml", model="cbdnet", bins=16)
    config = result.config
    assert config["name"] == "cbdnet" and config["kwargs"]["crf"] == [result.fit.camera.crf]
    assert config["kwargs"]["crf_bank"] is None  # the built-in bank
    assert len(config["kwargs"]["sigma_s"]) == 3  # one range per channel
    noise = build_noise(config["name"], **config["kwargs"])
    assert noise.config()["sigma_s"] == config["kwargs"]["sigma_s"]
    out = noise(torch.full((2, 3, 16, 16), 0.5), torch.Generator().manual_seed(0))
    low = torch.tensor([r[0] for r in config["kwargs"]["sigma_s"]])
    high = torch.tensor([r[1] for r in config["kwargs"]["sigma_s"]])
    assert bool(((out.params["sigma_s"] >= low) & (out.params["sigma_s"] <= high)).all())
    assert "cbdnet_camera" in (tmp_path / "cam.fit.json").read_text()
    assert "camera chain" in result.summary()


def test_gray_pairs_have_no_camera_fit():
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.02, 0.98, 64)
    clean = np.tile(ramp, (64, 1))[None]
    pairs = [Pair("g", (clean + 0.02 * rng.standard_normal(clean.shape)), clean)]
    fit = fit_noise(measure_noise(pairs, bins=8, min_count=20)[0])
    assert fit.camera is None
    with pytest.raises(RestoreKitError, match="needs RGB"):
        fit.noise_config("cbdnet")
    with pytest.raises(RestoreKitError, match="needs RGB"):
        fit_camera_noise(fit.bins)
