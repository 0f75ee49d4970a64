"""denoise_files: naming, formats kept, noise maps, ensembles and bad input (nothing written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.infer.files import denoise_files, plan_jobs
from restorekit.infer.loading import DEFAULT_MODEL
from restorekit.io import read_image, write_image
from restorekit.models import build_model
from restorekit.weights import bundled_models, save_model

TINY = {"hinet": {"wf": 4, "depth": 3}, "aindnet": {"width": 4, "estimator_width": 4}}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Tiny random-weight models saved as restorekit files (no bundled weights needed)."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    return {
        name: save_model(
            folder / f"{name}.safetensors", build_model(name, **kw), name=name, kwargs=kw
        )
        for name, kw in TINY.items()
    }


def _image(channels: int = 3, h: int = 40, w: int = 48, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((channels, h, w), dtype=np.float32)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_naming_beside_in_folder_and_as_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "sub" / "b.jpg"
    b.parent.mkdir()
    for p in (a, b):
        write_image(p, _image())
    beside = plan_jobs([a, b])
    assert [j.target for j in beside] == [tmp_path / "a_denoised.png", b.parent / "b_denoised.jpg"]
    into = plan_jobs([a, b], tmp_path / "out", noise_map=tmp_path / "maps")
    assert [j.target for j in into] == [
        tmp_path / "out/a_denoised.png",
        tmp_path / "out/b_denoised.jpg",
    ]
    assert [j.noise_map for j in into] == [
        tmp_path / "maps/a_noise_map.png",
        tmp_path / "maps/b_noise_map.png",
    ]
    assert plan_jobs([a], tmp_path / "c.tif")[0].target == tmp_path / "c.tif"
    with pytest.raises(RestoreKitError, match="one output file"):
        plan_jobs([a, b], tmp_path / "c.tif")
    with pytest.raises(RestoreKitError, match="overwrite this input"):
        plan_jobs([a], a)
    with pytest.raises(RestoreKitError, match="overwrite this input"):
        plan_jobs([a], noise_map=a)


def test_folder_and_glob_skip_earlier_results(tmp_path: Path) -> None:
    for name in ("a.png", "a_denoised.png", "b.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [j.source.name for j in plan_jobs([tmp_path])] == ["a.png", "b.png"]
    assert [j.source.name for j in plan_jobs([str(tmp_path / "*.png")])] == ["a.png", "b.png"]
    with pytest.raises(RestoreKitError):
        plan_jobs([tmp_path / "missing.png"])


def test_formats_bit_depth_gray_and_alpha_are_kept(tmp_path: Path, models) -> None:
    rgba = tmp_path / "rgba.png"
    alpha = (np.arange(40 * 48).reshape(40, 48) % 256).astype(np.uint8)
    write_image(rgba, _image(), bit_depth=8)
    pixels, meta = read_image(rgba)
    meta = type(meta)(**{**meta.__dict__, "alpha": alpha})
    write_image(rgba, pixels, meta)
    gray16 = tmp_path / "gray16.png"
    write_image(gray16, _image(1), bit_depth=16)
    jpeg = tmp_path / "photo.jpg"
    write_image(jpeg, _image())
    written = denoise_files([rgba, gray16, jpeg], tmp_path / "out", model=models["hinet"])
    assert [p.name for p in written] == [
        "rgba_denoised.png",
        "gray16_denoised.png",
        "photo_denoised.jpg",
    ]
    for src, dst in zip([rgba, gray16, jpeg], written, strict=True):
        a, ma = read_image(src)
        b, mb = read_image(dst)
        assert (mb.format, mb.bit_depth, mb.gray, b.shape) == (
            ma.format,
            ma.bit_depth,
            ma.gray,
            a.shape,
        )
        assert (mb.alpha is None) == (ma.alpha is None)
    _, out_meta = read_image(written[0])
    assert np.array_equal(out_meta.alpha, alpha)


def test_noise_map_tta_and_ensemble(tmp_path: Path, models) -> None:
    src = tmp_path / "x.png"
    write_image(src, _image())
    written = denoise_files(
        src, model=models["aindnet"], noise_map=tmp_path / "sigma.png", tta=True
    )
    assert written == [tmp_path / "x_denoised.png", tmp_path / "sigma.png"]
    sigma, meta = read_image(tmp_path / "sigma.png")
    assert meta.bit_depth == 16 and sigma.shape == (3, 40, 48)
    ens = denoise_files(src, tmp_path / "e", model=[models["aindnet"], models["hinet"]])
    assert ens == [tmp_path / "e" / "x_denoised.png"]


def test_tiled_auto_and_bf16(tmp_path: Path, models) -> None:
    src = tmp_path / "x.png"
    write_image(src, _image(h=64, w=80))
    whole = denoise_files(src, tmp_path / "whole", model=models["hinet"], tile=None)[0]
    tiled = denoise_files(src, tmp_path / "tiled", model=models["hinet"], tile=48, overlap=16)[0]
    auto = denoise_files(src, tmp_path / "auto", model=models["hinet"], precision="bf16")[0]
    ref = read_image(whole)[0]
    assert np.abs(read_image(auto)[0] - ref).mean() < 0.02
    assert np.abs(read_image(tiled)[0] - ref).mean() < 0.02


@pytest.mark.parametrize("problem", ["corrupt", "text", "model", "small", "no_map", "fp16"])
def test_bad_input_is_one_error_and_writes_nothing(tmp_path: Path, models, problem: str) -> None:
    src = tmp_path / "in.png"
    write_image(src, _image())
    model = models["aindnet"] if problem != "no_map" else models["hinet"]
    kwargs: dict = {}
    if problem == "corrupt":
        src.write_bytes(src.read_bytes()[:60])
    elif problem == "text":
        src.write_text("not an image")
    elif problem == "model":
        model = src
    elif problem == "small":
        write_image(src, _image(h=5, w=40))
    elif problem == "no_map":
        kwargs["noise_map"] = tmp_path / "map.png"
    elif problem == "fp16":
        if torch.cuda.is_available():
            pytest.skip("fp16 is valid with a GPU")
        kwargs["precision"] = "fp16"
    before = _files(tmp_path)
    with pytest.raises(RestoreKitError) as err:
        denoise_files(src, model=model, device="cpu", **kwargs)
    assert "\n" not in str(err.value)
    assert _files(tmp_path) == before  # no output, no temporary file


def test_default_model_is_bundled_and_used(tmp_path: Path) -> None:
    assert DEFAULT_MODEL in bundled_models()
    src = tmp_path / "x.png"
    write_image(src, _image())
    denoise_files(src, progress=False)
    out, _ = read_image(tmp_path / "x_denoised.png")
    assert out.shape == _image().shape


def test_output_extension_rule(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    write_image(src, _image())
    assert plan_jobs(src, tmp_path / "b.tif")[0].target == tmp_path / "b.tif"
    assert plan_jobs(src, tmp_path / "out")[0].target == tmp_path / "out" / "a_denoised.png"
    dotted = plan_jobs(src, f"{tmp_path / 'run.v2'}/")[0].target
    assert dotted == tmp_path / "run.v2" / "a_denoised.png"
    with pytest.raises(RestoreKitError, match=r"'\.xyz' is not an image extension"):
        plan_jobs(src, tmp_path / "out.xyz")
    assert not (tmp_path / "out.xyz").exists() and not (tmp_path / "run.v2").exists()
