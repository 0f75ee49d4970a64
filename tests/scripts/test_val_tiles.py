"""scripts/val_tiles.py: a tiny recipe's validation set scored at two tile sizes."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from restorekit.models import build_model
from restorekit.weights import save_model

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "val_tiles.py"


def test_scores_each_tile_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for folder in ("ci_data/clean", "ci_data/val_clean"):
        (tmp_path / folder).mkdir(parents=True)
        for i in range(2):
            pixels = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / folder / f"{i}.png")
    torch.manual_seed(0)
    weights = save_model(
        tmp_path / "m.safetensors", build_model("hinet", wf=4, depth=2), name="hinet",
        kwargs={"wf": 4, "depth": 2},
    )  # fmt: skip
    recipe = REPO / "configs" / "ci" / "hinet_derain_syn.yaml"
    command = [sys.executable, str(SCRIPT), str(recipe), str(weights), "--overlap", "8", "whole,32"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["tile whole", "tile 32"]
    assert all("PSNR" in line and "SSIM" in line for line in lines)
    bad = subprocess.run([*command[:-1], "big"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
