"""`restorekit adapt`: adapts a tiny base on tiny pairs, the result denoises, errors are short."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.adapt import AdaptOptions
from restorekit.cli.main import build_parser, main
from restorekit.weights import read_metadata


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """Four 40x40 8-bit pairs with white noise of std 0.05."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:40] / 40
    for i in range(4):
        clean = 0.5 + 0.3 * np.stack([np.sin(2 * xx + 3 * yy + k + i) for k in range(3)], -1)
        noisy = np.clip(clean + 0.05 * rng.standard_normal(clean.shape), 0, 1)
        for role, image in (("gt", clean), ("noisy", noisy)):
            (tmp_path / "pairs" / role).mkdir(parents=True, exist_ok=True)
            data = np.round(image * 255).astype(np.uint8)
            Image.fromarray(data).save(tmp_path / "pairs" / role / f"{i}.png")
    return tmp_path / "pairs"


@pytest.fixture
def base(tiny_model_file) -> Path:
    return tiny_model_file("aindnet", "base.safetensors", width=4, estimator_width=4)


def test_parser_leaves_the_defaults_to_the_library(capsys):
    """Fine-tuning flags not given are not passed at all: AdaptOptions' defaults are the only
    ones, and the help shows them."""
    args = build_parser().parse_args(["adapt", "dir", "-o", "cam.safetensors", "--lr", "1e-3"])
    given = {f.name for f in dataclasses.fields(AdaptOptions)} & set(vars(args))
    assert given == {"lr", "resume", "threads"} and args.lr == 1e-3  # --threads: global
    with pytest.raises(SystemExit):
        build_parser().parse_args(["adapt", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    defaults = AdaptOptions()
    assert f"(default {defaults.base})" in help_text
    assert f"(default {defaults.patch_size})" in help_text


def test_run_dir_keeps_a_resumable_run(pairs, base, tmp_path, capsys):
    out, run = tmp_path / "cam.safetensors", tmp_path / "run"
    argv = ["adapt", str(pairs), "-o", str(out), "--base", str(base), "--minutes", "0"]
    argv += ["--eval-every", "1", "--batch-size", "2", "--patch-size", "32", "--no-progress"]
    assert main([*argv, "--max-steps", "2", "--run-dir", str(run)]) == 0
    assert (run / "val_log.csv").is_file() and (run / "checkpoints").is_dir()
    assert main([*argv, "--max-steps", "3", "--run-dir", str(run), "--resume"]) == 0
    record = read_metadata(out)["adapt"]
    assert record["steps"] == 3 and [h["step"] for h in record["history"]] == [0, 1, 2, 3]
    capsys.readouterr()
    assert main([*argv, "--max-steps", "3", "--resume"]) == 2
    assert "resume needs a --run-dir" in capsys.readouterr().err


def test_adapt_then_denoise_with_the_result(pairs, base, tmp_path, capsys):
    out = tmp_path / "mycam.safetensors"
    argv = ["adapt", str(pairs), "-o", str(out), "--base", str(base), "--minutes", "0"]
    argv += ["--max-steps", "2", "--eval-every", "1", "--batch-size", "2", "--patch-size", "32"]
    assert main([*argv, "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "held-out PSNR" in text and f"wrote {out}" in text
    record = read_metadata(out)["adapt"]
    assert record["steps"] == 2 and record["pairs"] == ["0.png", "1.png", "3.png"]
    photo = pairs / "noisy" / "0.png"
    assert main(["denoise", str(photo), "-o", str(tmp_path / "clean.png"), "-m", str(out)]) == 0
    assert (tmp_path / "clean.png").is_file()


def test_user_errors_are_one_line(pairs, tmp_path, capsys, tiny_model_file):
    out = str(tmp_path / "x.safetensors")
    assert main(["adapt", str(tmp_path / "nowhere"), "-o", out, "--base", "x.safetensors"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("restorekit adapt: error: ") and len(err.splitlines()) == 1
    hinet = tiny_model_file("hinet", "h.safetensors", wf=4, depth=2)
    assert main(["adapt", str(pairs), "-o", out, "--base", str(hinet), "--max-steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--trainable all" in err and len(err.splitlines()) == 1
    assert main(["adapt", str(pairs), "-o", out, "--base", str(hinet), "--minutes", "0"]) == 2
    assert "--max-steps" in capsys.readouterr().err
    assert not Path(out).exists()


# -- issue #20: outputs are checked before training, and budgets before the first step ---------

FAST = ["--minutes", "0", "--max-steps", "1", "--batch-size", "2", "--patch-size", "32"]


def _adapt(pairs: Path, output: Path | str, base: Path, *extra: str) -> int:
    return main(["adapt", str(pairs), "-o", str(output), "--base", str(base), *FAST, *extra])


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("restorekit adapt: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if adaptation gets as far as loading the base model."""

    def refuse(*args, **kwargs):
        raise AssertionError("the output should have been refused before any work")

    monkeypatch.setattr("restorekit.adapt.finetune.load_base", refuse)


def test_output_never_replaces_an_input_or_an_image(pairs, base, tmp_path, capsys, no_training):
    photo = tmp_path / "unrelated.png"
    photo.write_bytes((pairs / "gt" / "1.png").read_bytes())
    cases = {
        pairs / "noisy" / "0.png": "would overwrite this input file",
        base: "would overwrite this input file",
        photo: "must end in .safetensors (e.g. unrelated.safetensors)",
        tmp_path / "model.xyz": "must end in .safetensors",
    }
    before = {p: p.read_bytes() for p in (pairs / "noisy" / "0.png", base, photo)}
    for output, message in cases.items():
        assert _adapt(pairs, output, base) == 2
        assert message in _one_error_line(capsys)
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "model.xyz").exists()


def test_unwritable_output_is_refused_before_training(pairs, base, tmp_path, capsys, no_training):
    folder = tmp_path / "existing.safetensors"
    folder.mkdir()
    assert _adapt(pairs, folder, base) == 2
    assert "is an existing folder" in _one_error_line(capsys)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _adapt(pairs, blocker / "m.safetensors", base) == 2
    assert f"{blocker} is a file, not a folder" in _one_error_line(capsys)
    if Path("/proc/self").is_dir():
        assert _adapt(pairs, "/proc/restorekit/m.safetensors", base) == 2
        assert "/proc does not accept new files" in _one_error_line(capsys)


def test_late_write_failure_keeps_the_weights(pairs, base, tmp_path, capsys, monkeypatch):
    from restorekit.adapt import finetune
    from restorekit.errors import OutputWriteError

    out = tmp_path / "mycam.safetensors"
    real_save = finetune.save_model

    def disk_full(path, *args, **kwargs):
        if Path(path) == out:
            raise OutputWriteError("No space left on device", path)
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(finetune, "save_model", disk_full)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert _adapt(pairs, out, base, "--no-progress") == 2
    err = _one_error_line(capsys)
    assert "No space left on device" in err and not out.exists()
    kept = list((tmp_path / "tmp").iterdir())
    assert len(kept) == 1 and str(kept[0]) in err
    assert read_metadata(kept[0])["adapt"]["steps"] == 1


def test_patch_larger_than_the_images_is_refused(pairs, base, capsys):
    assert _adapt(pairs, pairs.parent / "m.safetensors", base, "--patch-size", "1000") == 2
    err = _one_error_line(capsys)
    assert "--patch-size 1000 is larger than the smallest training image" in err
    assert "40x40 px" in err and "use at most 40" in err


def test_step_over_the_memory_budget_is_refused(pairs, base, capsys):
    out = pairs.parent / "m.safetensors"
    assert _adapt(pairs, out, base, "--max-memory", "0.001") == 2
    err = _one_error_line(capsys)
    assert "--batch-size 2 x --patch-size 32 px needs about" in err
    assert "MB budget (--max-memory)" in err and not out.exists()


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1"])
def test_max_memory_must_be_finite_and_positive(value, pairs, base, capsys):
    with pytest.raises(SystemExit) as exc:
        _adapt(pairs, pairs.parent / "m.safetensors", base, f"--max-memory={value}")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --max-memory: expected a finite positive number of GB" in err
    assert "Traceback" not in err
