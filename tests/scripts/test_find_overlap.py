"""scripts/find_overlap.py: a rotated or flipped copy is found, a different photo is not."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "find_overlap.py"


def _photo(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (30, 45, 3), dtype=np.uint8)


def test_copies_found_others_not(tmp_path: Path) -> None:
    pool, test = tmp_path / "pool", tmp_path / "test"
    pool.mkdir()
    test.mkdir()
    for i in range(3):
        Image.fromarray(_photo(i)).save(pool / f"p{i}.png")
    Image.fromarray(np.rot90(_photo(1)).copy()).save(test / "rotated.png")
    Image.fromarray(_photo(2)[::-1].copy()).save(test / "flipped.png")
    Image.fromarray(_photo(9)).save(test / "other.png")
    run = [sys.executable, str(SCRIPT), str(pool), str(test), "--threshold", "5"]
    result = subprocess.run(run, capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == ["p1.png", "p2.png"]
    assert lines[2].split()[1] == "other.png" and float(lines[2].split()[0]) > 20


def test_missing_folder_is_one_line(tmp_path: Path) -> None:
    run = [sys.executable, str(SCRIPT), str(tmp_path / "none"), str(tmp_path)]
    result = subprocess.run(run, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
