"""Model files are read by content, not name: a ``.pth`` called ``.safetensors`` (issue #20).

torch.load hands any ``*.safetensors`` name to safetensors; restorekit sniffs the bytes
instead, so a valid HINet ``.pth`` under that name loads, and a malicious pickle under that name
is refused in one line (weights_only) through ``denoise -m``, ``eval --methods``, ``adapt --base``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from restorekit.cli.main import main
from restorekit.models import build_model
from restorekit.weights import load_model


class _Payload:
    """Unpickling this would create the marker file: the file must never be unpickled freely."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Four 40x40 RGB noisy/ + gt/ pairs (what adapt needs; denoise reads noisy/0.png)."""
    rng = np.random.default_rng(0)
    for role in ("gt", "noisy"):
        (tmp_path / "P" / role).mkdir(parents=True)
        for i in range(4):
            pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "P" / role / f"{i}.png")
    return tmp_path / "P"


@pytest.fixture
def hinet_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return build_model("hinet", wf=4, depth=2).state_dict()


@pytest.fixture
def misnamed_pth(tmp_path: Path, hinet_state: dict[str, torch.Tensor]) -> Path:
    path = tmp_path / "official.safetensors"
    torch.save({"params": hinet_state}, path)
    return path


@pytest.fixture(params=["zip", "legacy-pickle"])
def malicious(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(file named .safetensors holding a code-running pickle, marker it would create)."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    if request.param == "zip":
        torch.save({"params": _Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps({"params": _Payload(marker)}, protocol=4))
    return path, marker


def _denoise(photos: Path, model: Path, out: Path) -> list[str]:
    return ["denoise", str(photos / "noisy" / "0.png"), "-o", str(out), "-m", str(model)]


def _eval(photos: Path, model: Path, out: Path) -> list[str]:
    argv = ["eval", "--protocol", "pairs", "--dataset", str(photos), "--methods", str(model)]
    return [*argv, "--out", str(out), "--device", "cpu", "--no-progress"]


def _adapt(photos: Path, model: Path, out: Path) -> list[str]:
    argv = ["adapt", str(photos), "-o", str(out), "--base", str(model), "--trainable", "all"]
    argv += ["--minutes", "0", "--max-steps", "1", "--batch-size", "1", "--patch-size", "32"]
    return [*argv, "--no-progress"]


def test_load_model_reads_a_misnamed_pth_by_content(
    misnamed_pth: Path, hinet_state: dict[str, torch.Tensor]
) -> None:
    loaded = load_model(misnamed_pth).state_dict()
    assert loaded.keys() == hinet_state.keys()
    assert all(torch.equal(loaded[k], v) for k, v in hinet_state.items())


def test_denoise_and_eval_use_a_misnamed_pth(
    misnamed_pth: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "clean.png"
    assert main(_denoise(photos, misnamed_pth, out)) == 0
    assert out.is_file()
    assert main(_eval(photos, misnamed_pth, tmp_path / "report")) == 0
    assert "| official |" in capsys.readouterr().out


def test_adapt_loads_a_misnamed_pth_as_its_base(
    misnamed_pth: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "adapted.safetensors"
    assert main(_adapt(photos, misnamed_pth, out)) == 0
    assert load_model(out).checkpoint_metadata["adapt"]["base"] == str(misnamed_pth)


@pytest.mark.parametrize("command", [_denoise, _eval, _adapt], ids=["denoise", "eval", "adapt"])
def test_malicious_pickle_named_safetensors_is_refused_in_one_line(
    command, malicious: tuple[Path, Path], photos: Path, tmp_path: Path, capsys
) -> None:
    path, marker = malicious
    out = tmp_path / "out.safetensors" if command is _adapt else tmp_path / "out.png"
    assert main(command(photos, path, out)) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"restorekit {command.__name__[1:]}: error: {path}: ")
    assert "refusing to load: the file pickles code or objects other than tensors" in lines[0]
    assert not marker.exists()
    assert not out.exists()
