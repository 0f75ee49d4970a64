"""scripts/task_figures.py with the bundled derain model: the figure is written and the model
removes most of the synthetic rain it was trained on."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "task_figures.py"


@pytest.mark.slow
def test_derain_figure_and_gain(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("task_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["task_figures"] = module
    spec.loader.exec_module(module)
    before, after = module.figure("derain", tmp_path, seed=0, crop_size=64)
    assert (tmp_path / "restore_derain.png").stat().st_size > 10_000
    assert after > before + 5.0  # measured 28.04 -> 39.13 dB
