"""The onnx back end: same images as PyTorch (odd sizes, tiles, TTA, noise map), cached export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from restorekit.cli.main import main
from restorekit.errors import RestoreKitError
from restorekit.infer import restore_files
from restorekit.infer.backend import model_digest, onnx_runner
from restorekit.infer.restore import restore_output
from restorekit.weights import load_model

pytest.importorskip("onnxruntime")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESTOREKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("aindnet", {"width": 4, "estimator_width": 4}), ("hinet", {"wf": 4, "depth": 2})],
)
def test_runner_matches_torch(tiny_model_file, cache, name, kwargs) -> None:
    model = load_model(tiny_model_file(name, f"{name}.safetensors", **kwargs))
    runner = onnx_runner(model, threads=1)
    assert runner.path.parent == cache and runner.path.is_file()
    x = torch.rand(1, 3, 37, 45, generator=torch.Generator().manual_seed(0))  # not multiples
    for options in ({}, {"tile": 24, "overlap": 8}, {"tta": True}):
        ours = restore_output(model, x, run=runner, **options)
        theirs = restore_output(model, x, **options)
        assert ours.image.shape == x.shape
        assert torch.allclose(ours.image, theirs.image, atol=1e-4), options
        if theirs.noise_map is not None:
            assert torch.allclose(ours.noise_map, theirs.noise_map, atol=1e-4)
    stamp = runner.path.stat().st_mtime_ns
    assert onnx_runner(model).path.stat().st_mtime_ns == stamp  # exported once, then cached


def test_digest_follows_the_weights(tiny_model_file) -> None:
    model = load_model(tiny_model_file("aindnet", "a.safetensors", width=4, estimator_width=4))
    before = model_digest(model)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    assert model_digest(model) != before


def test_files_and_cli(tiny_model_file, cache, tmp_path: Path, capsys) -> None:
    path = tiny_model_file("aindnet", "a.safetensors", width=4, estimator_width=4)
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)).save(photo)
    torch_out, onnx_out = tmp_path / "t.png", tmp_path / "o.png"
    restore_files(photo, torch_out, model=str(path), device="cpu")
    assert (
        main(["denoise", str(photo), "-o", str(onnx_out), "-m", str(path), "--backend", "onnx"])
        == 0
    )
    a, b = (np.asarray(Image.open(p), dtype=np.int16) for p in (torch_out, onnx_out))
    assert np.abs(a - b).max() <= 1  # 8-bit rounding of outputs within 1e-4
    with pytest.raises(RestoreKitError, match="fp32"):
        restore_files(photo, tmp_path / "x.png", model=str(path), backend="onnx", precision="bf16")
    with pytest.raises(RestoreKitError, match="backend must be"):
        restore_files(photo, tmp_path / "x.png", model=str(path), backend="tflite")
