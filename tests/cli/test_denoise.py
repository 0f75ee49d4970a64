"""`restorekit denoise`: the first contact. Tiny random-weight models saved into tmp dirs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.cli.main import main
from restorekit.infer.loading import DEFAULT_MODEL
from restorekit.io import read_image, write_image
from restorekit.weights import bundled_models


@pytest.fixture(scope="module")
def model(tiny_model_file) -> Path:
    return tiny_model_file("aindnet", "tiny.safetensors", width=4, estimator_width=4)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    write_image(path, np.random.default_rng(0).random((3, 40, 48), dtype=np.float32))
    return path


def test_denoise_one_photo(photo: Path, model: Path, capsys) -> None:
    assert main(["denoise", str(photo), "-m", str(model)]) == 0
    out = photo.with_name("photo_denoised.png")
    assert capsys.readouterr().out == f"{out}\n"
    assert read_image(out)[0].shape == (3, 40, 48)


def test_folder_to_folder_with_options(photo: Path, model: Path, tmp_path: Path, capsys) -> None:
    write_image(tmp_path / "gray.png", np.full((1, 32, 40), 0.5, np.float32))
    args = ["denoise", str(tmp_path), "-o", str(tmp_path / "out"), "-m", str(model), "-q"]
    args += ["--tile", "32", "--overlap", "8", "--tta", "--precision", "bf16"]
    args += ["--noise-map", str(tmp_path / "maps")]
    assert main(args) == 0
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "gray_denoised.png",
        "photo_denoised.png",
    ]
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "gray_noise_map.png",
        "photo_noise_map.png",
    ]
    assert read_image(tmp_path / "out" / "gray_denoised.png")[1].gray


def test_ensemble(photo: Path, model: Path) -> None:
    assert (
        main(
            [
                "denoise",
                str(photo),
                "--ensemble",
                f"{model},{model}",
                "-q",
                "-o",
                str(photo.parent / "e.png"),
            ]
        )
        == 0
    )
    assert (photo.parent / "e.png").is_file()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("corrupt", "truncated or corrupt"),
        ("overwrite", "would overwrite this input"),
        ("bad_model", "not a model file"),
        ("small", "needs at least 8x8"),
        ("fp16", "fp16 needs a GPU"),
        ("missing", "no such file"),
    ],
)
def test_bad_input_exit_2_one_line_no_output(
    case: str, message: str, photo: Path, model: Path, capsys
) -> None:
    args = ["denoise", str(photo), "-m", str(model)]
    if case == "corrupt":
        photo.write_bytes(photo.read_bytes()[:100])
    elif case == "overwrite":
        args += ["-o", str(photo)]
    elif case == "bad_model":
        args[3] = str(photo)
    elif case == "small":
        write_image(photo, np.zeros((3, 4, 48), np.float32))
    elif case == "fp16":
        if torch.cuda.is_available():
            pytest.skip("fp16 is valid with a GPU")
        args += ["--precision", "fp16", "--device", "cpu"]
    elif case == "missing":
        args[1] = str(photo.with_name("missing.png"))
    before = sorted(p.name for p in photo.parent.iterdir())
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("restorekit denoise: error: ") and err.count("\n") == 1
    assert message in err
    assert sorted(p.name for p in photo.parent.iterdir()) == before


def test_default_model_is_the_bundled_one(photo: Path, capsys) -> None:
    assert DEFAULT_MODEL in bundled_models()
    assert main(["denoise", str(photo)]) == 0
    out = photo.with_name("photo_denoised.png")
    assert capsys.readouterr().out == f"{out}\n"
    assert read_image(out)[0].shape == (3, 40, 48)


def test_bad_tile_option_is_a_usage_error(photo: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["denoise", str(photo), "--tile", "big"])
    assert exc.value.code == 2


# -- issue #20: hostile options ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-2", "1e-30"])
def test_max_memory_must_be_finite_and_positive(value: str, photo: Path, model: Path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["denoise", str(photo), "-m", str(model), f"--max-memory={value}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --max-memory: expected a finite positive number of GB" in err
    assert "Traceback" not in err


def test_unknown_output_extension_is_refused_not_made_a_folder(
    photo: Path, model: Path, capsys
) -> None:
    out = photo.parent / "out.xyz"
    assert main(["denoise", str(photo), "-m", str(model), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{out}: '.xyz' is not an image extension" in err and "end it with /" in err
    assert not out.exists()
    assert main(["denoise", str(photo), "-m", str(model), "-o", f"{out}/", "-q"]) == 0
    assert (out / "photo_denoised.png").is_file()


def test_tile_below_the_minimum_is_refused(photo: Path, model: Path, capsys) -> None:
    before = sorted(p.name for p in photo.parent.iterdir())
    for tile in ("1", "31", "8x64"):
        args = ["denoise", str(photo), "-m", str(model), "--tile", tile, "--overlap", "0"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"tile {tile} is too small: tiles need at least 32 px per side" in err
    assert sorted(p.name for p in photo.parent.iterdir()) == before
    with pytest.raises(SystemExit):
        main(["denoise", "--help"])
    assert "at least 32 px and twice the model's size multiple" in " ".join(
        capsys.readouterr().out.split()
    )


def test_unwritable_output_is_refused_before_any_work(
    photo: Path, model: Path, capsys, monkeypatch
) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the output should have been refused before loading the model")

    monkeypatch.setattr("restorekit.infer.files.load_models", refuse)
    targets = {str(photo / "x.png"): f"{photo} is a file, not a folder"}
    if Path("/proc/self").is_dir():
        targets["/proc/restorekit/x.png"] = "/proc does not accept new files"
    for target, message in targets.items():
        assert main(["denoise", str(photo), "-m", str(model), "-o", target]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
