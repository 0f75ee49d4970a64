"""Metric variants: 8-bit rounding, clamping, and HINet's BasicSR float PSNR rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from restorekit.errors import RestoreKitError
from restorekit.eval import SIDD_CLAMP01, SIDD_HINET_FLOAT, MetricSpec, uint8_metric


def _clean() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (3, 24, 24)).astype(np.float32) / 255


def test_uint8_rounds_and_clamps() -> None:
    clean = _clean()
    metric = uint8_metric()
    # Offsets below half a level round back to the clean image; values beyond [0,1] clamp.
    nudged = clean + np.float32(0.4 / 255)
    assert math.isinf(metric.score(nudged, clean).psnr)
    out = clean.copy()
    out[0, 0, 0] = 5.0  # clamps to 255
    out[0, 0, 1] = -3.0  # clamps to 0
    expected = np.round(np.clip(out, 0, 1) * 255).astype(np.float64)
    ref = np.round(clean * 255).astype(np.float64)
    mse = np.mean((expected - ref) ** 2)
    assert metric.score(out, clean).psnr == pytest.approx(10 * np.log10(255**2 / mse))


def test_uint8_border_and_y_names() -> None:
    assert uint8_metric().name == "uint8"
    metric = uint8_metric(crop_border=4, y_channel=True)
    assert metric.name == "uint8-y-b4"
    score = metric.score(_clean() * 0.9, _clean())
    assert 0 < score.psnr < 100 and 0 < score.ssim <= 1
    assert "Y (BT.601)" in metric.text() and "border 4" in metric.text()


def test_hinet_float_peak_rule() -> None:
    clean = _clean()
    pred = clean + 0.01
    low = SIDD_HINET_FLOAT.score(np.clip(pred, 0, 1), clean)
    assert low.note == "" and low.ssim is None
    high = SIDD_HINET_FLOAT.score(pred, clean)  # max > 1 -> BasicSR uses 255 as the peak
    assert high.note.startswith("peak=255")
    mse = np.mean((pred.astype(np.float64) - clean) ** 2)
    assert high.psnr == pytest.approx(20 * np.log10(255 / np.sqrt(mse)))
    assert high.psnr - 20 * np.log10(1 / np.sqrt(mse)) == pytest.approx(20 * np.log10(255))


def test_clamp01_float() -> None:
    clean = _clean()
    pred = clean + 0.01
    score = SIDD_CLAMP01.score(pred, clean)
    mse = np.mean((np.clip(pred.astype(np.float64), 0, 1) - clean) ** 2)
    assert score.psnr == pytest.approx(10 * np.log10(1 / mse))
    assert score.ssim is not None and score.note == ""
    assert SIDD_CLAMP01.describe()["quantize"] == "clamp01"


def test_invalid_specs_and_inputs() -> None:
    with pytest.raises(RestoreKitError):
        MetricSpec("x", quantize="uint16")
    with pytest.raises(RestoreKitError):
        MetricSpec("x", quantize="uint8", peak="basicsr")
    with pytest.raises(RestoreKitError, match="shape"):
        uint8_metric().score(np.zeros((3, 8, 8)), np.zeros((3, 8, 9)))
    with pytest.raises(RestoreKitError, match="crop_border"):
        uint8_metric(crop_border=20).score(_clean(), _clean())
