"""The top-level Python surface: ``restorekit.build_model`` and ``restorekit.load_model``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

import restorekit
from restorekit.api import save_model


def test_top_level_exports(tmp_path: Path) -> None:
    assert restorekit.__version__ == "0.1.0"
    model = restorekit.build_model("hinet", wf=4, depth=2)
    save_model(tmp_path / "m.safetensors", model, name="hinet", kwargs={"wf": 4, "depth": 2})
    loaded = restorekit.load_model(tmp_path / "m.safetensors")
    assert not loaded.training
    assert torch.equal(loaded.conv_01.weight, model.conv_01.weight)


def test_import_restorekit_does_not_import_torch() -> None:
    code = "import sys, restorekit; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_every_public_name_resolves() -> None:
    for name in restorekit.__all__:
        assert getattr(restorekit, name) is not None
    assert restorekit.restore.__module__ == "restorekit.infer.restore"
