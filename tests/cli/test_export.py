"""`restorekit export --onnx`: writes a checked ONNX file, or one error line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from restorekit.cli.main import main

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def model(tiny_model_file) -> Path:
    return tiny_model_file("hinet", "hinet.safetensors", wf=4, depth=3)


def test_export_onnx(model: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "hinet.onnx"
    assert main(["export", "--onnx", str(out), "-m", str(model)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(
        f"wrote {out} (dynamic batch/height/width; outputs image; max |onnx - torch|"
    )
    assert out.stat().st_size > 0


def test_static_export(model: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "s.onnx"
    assert (
        main(["export", "--onnx", str(out), "-m", str(model), "--static", "--size", "24", "32"])
        == 0
    )
    assert "fixed 24x32" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["suffix", "bad_model", "folder"])
def test_bad_export_is_one_line_exit_2(case: str, model: Path, tmp_path: Path, capsys) -> None:
    out = {"suffix": tmp_path / "m.txt", "folder": tmp_path / "no" / "m.onnx"}.get(
        case, tmp_path / "m.onnx"
    )
    source = tmp_path / "fake.safetensors" if case == "bad_model" else model
    if case == "bad_model":
        source.write_bytes(b"not a model")
    assert main(["export", "--onnx", str(out), "-m", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restorekit export: error: ") and err.count("\n") == 1
    assert not out.exists()
