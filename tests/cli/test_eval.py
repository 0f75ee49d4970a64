"""`restorekit eval`: every protocol end to end on tiny data built here, and user errors."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
from PIL import Image

from restorekit.cli.main import main


def _png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _pixels(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _eval(*args: str) -> int:
    return main(["eval", *args, "--no-progress"])


def test_gaussian_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(2):
        _png(tmp_path / "set" / f"{i}.png", _pixels(i, (48, 48)))
    out = tmp_path / "out"
    code = _eval(
        "--protocol",
        "gaussian",
        "--dataset",
        str(tmp_path / "set"),
        "--sigma",
        "15,50",
        "--methods",
        "noisy",
        "--out",
        str(out),
        "--limit",
        "1",
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "| method | set σ=15 [uint8] | set σ=50 [uint8] | set σ=15 8-bit in [uint8] "
        "| set σ=50 8-bit in [uint8] |" in printed
    )
    assert "| noisy |" in printed
    data = json.loads((out / "report.json").read_text())
    assert data["settings"]["limit"] == 1
    assert len(data["protocols"]) == 4 and (out / "per_image.csv").is_file()
    assert (out / "figure_gaussian-set-s15.png").is_file()
    assert (out / "figure_gaussian-set-s15-uint8.png").is_file()
    float_only = tmp_path / "float"
    args = ["--protocol", "gaussian", "--dataset", str(tmp_path / "set"), "--sigma", "25"]
    assert _eval(*args, "--input", "float", "--out", str(float_only)) == 0
    data = json.loads((float_only / "report.json").read_text())
    assert [p["name"] for p in data["protocols"]] == ["gaussian-set-s25"]
    assert _eval(*args, "--input", "float,jpeg", "--out", str(tmp_path / "bad")) == 2
    assert "--input" in capsys.readouterr().err


def test_pairs_with_split_and_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_file
) -> None:
    for name in ("a.png", "b.png"):
        clean = _pixels(len(name) + ord(name[0]), (64, 64, 3))
        _png(tmp_path / "P" / "gt" / name, clean)
        _png(tmp_path / "P" / "noisy" / name, clean // 2)
    (tmp_path / "split.json").write_text(json.dumps({"test": ["b.png"], "train": ["a.png"]}))
    ckpt = tiny_model_file("hinet", "tiny.safetensors", wf=4, depth=2)
    code = _eval(
        "--protocol",
        "pairs",
        "--dataset",
        str(tmp_path / "P"),
        "--split-file",
        str(tmp_path / "split.json"),
        "--split",
        "test",
        "--methods",
        f"noisy,{ckpt}",
        "--tile",
        "32",
        "--overlap",
        "4",
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0
    assert "| tiny |" in capsys.readouterr().out
    rows = (tmp_path / "o" / "per_image.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 and all(",b.png," in r for r in rows[1:])
    methods = json.loads((tmp_path / "o" / "report.json").read_text())["methods"]
    assert methods[1]["tile"] == 32 and methods[1]["overlap"] == 4


@pytest.mark.parametrize(
    ("protocol", "column"), [("derain", "Rain [uint8-y]"), ("deblur", "Rain [uint8]")]
)
def test_derain_and_deblur_score_the_input_as_the_baseline(
    protocol: str, column: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("1.png", "2.png"):
        clean = _pixels(ord(name[0]), (32, 40, 3))
        _png(tmp_path / "Rain" / "target" / name, clean)
        _png(tmp_path / "Rain" / "input" / name, clean // 2 + 100)
    out = tmp_path / "o"
    args = ["--protocol", protocol, "--dataset", str(tmp_path / "Rain"), "--out", str(out)]
    assert _eval(*args, "--methods", "noisy") == 0
    printed = capsys.readouterr().out
    assert f"| method | {column} |" in printed and "| noisy |" in printed
    data = json.loads((out / "report.json").read_text())
    (described,) = data["protocols"]
    assert described["kind"] == protocol
    assert described["metrics"][0]["y_channel"] is (protocol == "derain")
    assert (out / f"figure_{protocol}-Rain.png").is_file()
    rows = (out / "per_image.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 and all(f"{protocol}-Rain," in r and ",noisy," in r for r in rows[1:])


def test_sidd_val(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _pixels(3, (2, 2, 32, 32, 3))
    scipy.io.savemat(tmp_path / "n.mat", {"ValidationNoisyBlocksSrgb": blocks})
    scipy.io.savemat(tmp_path / "g.mat", {"ValidationGtBlocksSrgb": blocks})
    code = _eval(
        "--protocol",
        "sidd-val",
        "--noisy-mat",
        str(tmp_path / "n.mat"),
        "--gt-mat",
        str(tmp_path / "g.mat"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0
    assert "| method | SIDD val [clamp01] | SIDD val [hinet-float] |" in capsys.readouterr().out


def test_dnd_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "dnd"
    (root / "images_srgb").mkdir(parents=True)
    with h5py.File(root / "info.mat", "w") as f:
        table = f.create_dataset("#refs#/b0", data=np.array([[3, 3, 18, 18]], np.float64).T)
        f.create_dataset("info/boundingboxes", data=np.array([[table.ref]], dtype=h5py.ref_dtype))
    with h5py.File(root / "images_srgb" / "0001.mat", "w") as f:
        f.create_dataset("InoisySRGB", data=np.full((24, 24, 3), 0.5, np.float32).T)
    code = _eval(
        "--protocol",
        "dnd-export",
        "--dnd-root",
        str(root),
        "--out",
        str(tmp_path / "o"),
        "--dnd-margin",
        "4",
    )
    assert code == 0
    assert "wrote 1 DND submission files" in capsys.readouterr().out
    mat = scipy.io.loadmat(tmp_path / "o" / "noisy" / "0001.mat")
    assert mat["Idenoised"][0, 0].shape == (16, 16, 3)
    assert json.loads((tmp_path / "o" / "dnd_export.json").read_text())["protocol"]["margin"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "gaussian", "--out", "o"], "needs --dataset"),
        (["--protocol", "pairs", "--dataset", "/nonexistent/x", "--out", "o"], "noisy/ and gt/"),
        (["--protocol", "derain", "--out", "o"], "needs --dataset"),
        (["--protocol", "deblur", "--dataset", "/nonexistent/x", "--out", "o"], "input/ and"),
        (["--protocol", "sidd-val", "--out", "o", "--gt-mat", "g.mat"], "needs --noisy-mat"),
        (["--protocol", "dnd-export", "--dnd-root", "/nonexistent", "--out", "o"], "info.mat"),
        (["--protocol", "gaussian", "--dataset", ".", "--out", "o", "--limit", "0"], "--limit"),
    ],
)
def test_user_errors_are_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _eval(*[str(tmp_path / "o") if a == "o" else a for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("restorekit eval: error:") and message in err
    assert "\n" not in err


def test_unknown_model_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _png(tmp_path / "set" / "0.png", _pixels(0, (16, 16)))
    code = _eval(
        "--protocol",
        "gaussian",
        "--dataset",
        str(tmp_path / "set"),
        "--methods",
        "noisy,missing-model.safetensors",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2
    assert "missing-model" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    assert "--protocol dnd-export" in text and "--split-file" in text
    assert "--protocol derain" in text and "--protocol deblur" in text


def test_cli_defaults_are_the_eval_specs() -> None:
    """Every option left out gives EvalSpec's default: the CLI reads them, never re-declares."""
    from restorekit.cli.eval import SPEC
    from restorekit.cli.main import build_parser
    from restorekit.eval import EvalSpec

    argv = ["eval", "--protocol", "dnd-export", "--out", "o", "--dnd-root", "x"]
    args = build_parser().parse_args(argv)
    given = {k: v for k, v in vars(args).items() if k in SPEC}
    assert set(SPEC) - set(given) == {"progress"}  # --no-progress
    assert EvalSpec(**given) == EvalSpec(protocol="dnd-export", out="o", dnd_root="x")
