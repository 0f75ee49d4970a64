"""`restorekit synth`: argument parsing, files written, one-line user errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli.main import main


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("x.png", "y.png"):
        Image.fromarray(rng.integers(0, 256, (16, 18, 3), dtype=np.uint8)).save(folder / name)
    return folder


def test_synth_cbdnet_with_jpeg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    code = main(["synth", "--pipeline", "cbdnet", str(src), str(out), "--seed", "4",
                 "--jpeg", "60:100", "--no-progress"])  # fmt: skip
    assert code == 0
    assert "wrote 2 noisy image(s)" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == ["x.json", "x.png", "x_noise.png", "y.json", "y.png", "y_noise.png"]
    record = json.loads((out / "x.json").read_text())
    assert 60 <= record["params"]["jpeg_quality"] <= 100
    assert record["seed"] == 4 and record["model"]["jpeg"] == [60, 100]


def test_synth_awgn_sigma_on_255_scale(tmp_path: Path) -> None:
    src = _inputs(tmp_path / "in")
    out = tmp_path / "out"
    args = ["synth", "--pipeline", "awgn", "--sigma", "25", "--map-format", "npy"]
    assert main([*args, str(src), str(out), "--no-progress"]) == 0
    record = json.loads((out / "y.json").read_text())
    assert abs(record["params"]["sigma"] - 25 / 255) < 1e-6
    assert (out / "y_noise.npy").is_file()


def test_synth_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _inputs(tmp_path / "in")
    assert main(["synth", str(tmp_path / "nothing"), str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restorekit synth: error: ") and "no such file" in err
    assert (
        main(["synth", "--pipeline", "unprocess", "--sigma", "5", str(src), str(tmp_path / "o")])
        == 2
    )
    assert "error: sigma applies to the awgn pipeline only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["synth", "--jpeg", "90:60", str(src), str(tmp_path / "o")])
    assert "--jpeg" in capsys.readouterr().err
