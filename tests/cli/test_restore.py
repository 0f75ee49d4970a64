"""`restorekit restore --task`: the task picks the default model and the output suffix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorekit.cli.main import main
from restorekit.errors import RestoreKitError
from restorekit.infer.tasks import TASKS, get_task
from restorekit.io import read_image, write_image
from restorekit.weights import bundled_models


@pytest.fixture(scope="module")
def model(tiny_model_file) -> Path:
    return tiny_model_file("hinet", "tiny_hinet.safetensors", wf=4)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "rainy.png"
    write_image(path, np.random.default_rng(0).random((3, 40, 48), dtype=np.float32))
    return path


@pytest.mark.parametrize(("task", "suffix"), [("derain", "_derained"), ("deblur", "_deblurred")])
def test_task_names_the_output(task: str, suffix: str, photo: Path, model: Path, capsys) -> None:
    assert main(["restore", "--task", task, str(photo), "-m", str(model)]) == 0
    out = photo.with_name(f"rainy{suffix}.png")
    assert capsys.readouterr().out == f"{out}\n"
    assert read_image(out)[0].shape == (3, 40, 48)


def test_a_second_run_skips_its_own_results(photo: Path, model: Path, capsys) -> None:
    folder = str(photo.parent)
    assert main(["restore", "--task", "derain", folder, "-m", str(model), "-q"]) == 0
    assert main(["restore", "--task", "derain", folder, "-m", str(model)]) == 0
    assert capsys.readouterr().out.strip().endswith("rainy_derained.png")
    assert sorted(p.name for p in photo.parent.iterdir()) == ["rainy.png", "rainy_derained.png"]


def test_without_task_restore_denoises(photo: Path, model: Path) -> None:
    assert main(["restore", str(photo), "-m", str(model), "-q"]) == 0
    assert photo.with_name("rainy_denoised.png").is_file()


def test_unknown_task_is_one_line(photo: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["restore", "--task", "dehaze", str(photo)])
    assert exc.value.code == 2
    assert "invalid choice: 'dehaze'" in capsys.readouterr().err
    with pytest.raises(RestoreKitError, match="unknown task 'dehaze'"):
        get_task("dehaze")


def test_every_task_model_is_bundled() -> None:
    assert {task.model for task in TASKS.values()} <= set(bundled_models())
