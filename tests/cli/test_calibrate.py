"""`restorekit calibrate`: fits tiny pairs, writes YAML/JSON/PNG, prints the recipe override."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from restorekit.cli.main import build_parser, main


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """Three 64x64 8-bit pairs: horizontal ramps with noise of variance 0.002 x + 0.0001."""
    rng = np.random.default_rng(0)
    ramp = np.tile(np.linspace(0.05, 0.95, 64), (64, 1))
    for i in range(3):
        clean = np.stack([np.roll(ramp, 7 * i, axis=1)] * 3, axis=-1)
        noisy = clean + np.sqrt(0.002 * clean + 1e-4) * rng.standard_normal(clean.shape)
        for role, image in (("gt", clean), ("noisy", np.clip(noisy, 0, 1))):
            (tmp_path / "cam" / role).mkdir(parents=True, exist_ok=True)
            data = np.round(image * 255).astype(np.uint8)
            Image.fromarray(data).save(tmp_path / "cam" / role / f"{i}.png")
    return tmp_path / "cam"


def test_parser_defaults():
    args = build_parser().parse_args(["calibrate", "dir"])
    assert (args.output, args.model, args.bins, args.no_plot) == (
        "noise_calibration.yaml",
        "poisson_gaussian",
        32,
        False,
    )


def test_calibrate_writes_files_and_prints_the_fit(pairs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", str(pairs), "--bins", "16"]) == 0
    out = capsys.readouterr().out
    assert "std@0.5" in out and "data.noise={name: poisson_gaussian" in out
    for suffix in (".yaml", ".fit.json", ".plot.png"):
        assert (tmp_path / f"noise_calibration{suffix}").is_file()
    section = yaml.safe_load((tmp_path / "noise_calibration.yaml").read_text())
    for low, high in section["kwargs"]["a"]:  # per channel: the fit +-25%
        centre = (low + high) / 2
        assert 0.0015 < centre < 0.0025  # 8-bit rounding and clipping blur the fit a little
        assert high == pytest.approx(centre * 1.25, rel=1e-3)


def test_cbdnet_section_without_plot(pairs, tmp_path, capsys):
    target = tmp_path / "sub" / "cam.yml"
    argv = ["calibrate", str(pairs), "-o", str(target), "--model", "cbdnet_gaussian"]
    assert main([*argv, "--no-plot"]) == 0
    assert yaml.safe_load(target.read_text())["name"] == "cbdnet_gaussian"
    assert sorted(p.name for p in target.parent.iterdir()) == ["cam.fit.json", "cam.yml"]


def test_camera_chain_section(pairs, tmp_path, capsys):
    target = tmp_path / "cam.yaml"
    assert main(["calibrate", str(pairs), "-o", str(target), "--model", "cbdnet"]) == 0
    section = yaml.safe_load(target.read_text())
    assert section["name"] == "cbdnet" and len(section["kwargs"]["crf"]) == 1
    assert "fit error (CBDNet chain" in capsys.readouterr().out


def test_missing_crf_bank_is_one_line(pairs, tmp_path, capsys):
    argv = ["calibrate", str(pairs), "-o", str(tmp_path / "c.yaml"), "--crf-bank", "nowhere"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "CRF file not found" in err


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("restorekit calibrate: error: ") and len(err.splitlines()) == 1
    assert "not a folder" in err
