"""`restorekit train`: parses, trains a ci recipe, resumes, and reports bad input in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli.main import build_parser, main

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "ci" / "hinet_sidd.yaml"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The folders configs/ci/hinet_sidd.yaml reads (4 training pairs, 2 validation pairs)."""
    rng = np.random.default_rng(0)
    for folder, count in (("pairs", 4), ("val", 2)):
        for i in range(count):
            clean = rng.uniform(0.2, 0.8, (36, 36, 3))
            noisy = np.clip(clean + 0.05 * rng.standard_normal(clean.shape), 0, 1)
            for role, image in (("gt", clean), ("noisy", noisy)):
                path = tmp_path / "ci_data" / folder / role / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.round(image * 255).astype(np.uint8)).save(path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_parser():
    args = build_parser().parse_args(["train", "-c", "r.yaml", "--resume", "optim.lr=1e-4"])
    assert (args.config, args.resume, args.overrides) == ("r.yaml", "auto", ["optim.lr=1e-4"])
    args = build_parser().parse_args(["train", "-c", "r.yaml"])
    assert args.resume is None and args.overrides == []


def test_train_then_resume(workdir, capsys):
    common = ["train", "-c", str(CONFIG), "val.every=1", "val.max_images=1"]
    assert main([*common, "max_steps=2"]) == 0
    assert "weights runs/ci/hinet_sidd/final.safetensors" in capsys.readouterr().out
    assert main([*common, "max_steps=3", "--resume"]) == 0
    log = (workdir / "runs/ci/hinet_sidd/train_log.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in log] == ["step", "1", "2", "3"]


def test_user_errors_are_one_line(workdir, capsys):
    assert main(["train", "-c", str(CONFIG), "optim.lrr=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("restorekit train: error: ") and "'optim.lrr'" in err
    assert len(err.splitlines()) == 1
    assert main(["train", "-c", "missing.yaml"]) == 2
    assert "missing.yaml: cannot read the config" in capsys.readouterr().err
    assert main(["train", "-c", str(CONFIG), "data.train.kwargs.root=nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_outputs_and_budgets_are_checked_before_anything_is_written(workdir, capsys):
    """Issue #20: an unusable out_dir, a patch larger than the images or a step that cannot
    fit in memory stops with one line, and the run writes nothing."""
    (workdir / "afile").write_text("x")
    cases = {
        "out_dir=afile": "afile: the run folder (out_dir) is an existing file, not a folder",
        "out_dir=afile/run": "cannot create the run folder (out_dir): afile is a file",
        "data.train.kwargs.patch_size=37": (
            "data.train.kwargs.patch_size 37 is larger than the smallest training image"
        ),
        "data.batch_size=10000000": "data.batch_size 10000000 x data.train.kwargs.patch_size 32",
    }
    if Path("/proc/self").is_dir():
        cases["out_dir=/proc/restorekit"] = "/proc does not accept new files"
    for override, message in cases.items():
        assert main(["train", "-c", str(CONFIG), override]) == 2
        err = capsys.readouterr().err
        assert err.startswith("restorekit train: error: ") and err.count("\n") == 1
        assert message in err, err
    assert not (workdir / "runs").exists()
