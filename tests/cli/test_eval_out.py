"""`restorekit eval --out` that cannot be a folder fails in one line before any work (#20)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli.main import main


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """One 32x32 noisy/clean pair."""
    rng = np.random.default_rng(0)
    for role in ("gt", "noisy"):
        (tmp_path / "P" / role).mkdir(parents=True)
        pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "P" / role / "a.png")
    return tmp_path / "P"


def test_out_that_cannot_be_a_folder(pairs: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("--out should have been refused before any work")

    monkeypatch.setattr("restorekit.eval.run_eval", refuse)
    existing = tmp_path / "report.txt"
    existing.write_text("keep me")
    cases = {existing: "the output folder (--out) is an existing file, not a folder"}
    if Path("/proc/self").is_dir():
        cases[Path("/proc/restorekit/report")] = "/proc does not accept new files"
    for out, message in cases.items():
        code = main(["eval", "--protocol", "pairs", "--dataset", str(pairs), "--out", str(out)])
        assert code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"restorekit eval: error: {out}: ")
        assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert existing.read_text() == "keep me"
