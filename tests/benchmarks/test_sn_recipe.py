"""benchmarks/sn_recipe.py at tiny size: train a variant, score it, tabulate, skip when done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


@pytest.mark.skipif(
    not all((DATA / d).is_dir() for d in ("CBSD432", "PolyU", "crf")),
    reason="needs ../shared/data (CBSD432, PolyU, crf)",
)
def test_variant_trains_scores_and_is_skipped_when_done(tmp_path: Path) -> None:
    command = [sys.executable, str(REPO / "benchmarks" / "sn_recipe.py"), "--out", str(tmp_path)]
    command += ["--variants", "float", "--steps", "2", "--wf", "4", "--patch", "32", "--limit", "2"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    row = next(line for line in first.stdout.splitlines() if line.startswith("| float |"))
    assert len(row.split("|")) == 2 + 2 + 1 + 3  # variant, what, PolyU, three strong settings
    log = (tmp_path / "float" / "train.log").read_text()
    assert "step 2" in log
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and row in again.stdout
    assert (tmp_path / "float" / "train.log").read_text() == log  # not trained again
    assert (tmp_path / "table.md").read_text().count("| float |") == 1


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, str(REPO / "benchmarks" / "sn_recipe.py"), "--out", str(tmp_path)]
    result = subprocess.run([*command, "--variants", "jpeg9"], capture_output=True, text=True)
    assert result.returncode == 2 and "unknown variant(s) jpeg9" in result.stderr
