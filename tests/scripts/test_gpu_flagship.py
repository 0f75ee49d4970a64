"""scripts/gpu_flagship.py at CI size: pack, probe, both stages, eval tables (CPU, seconds)."""

import importlib.util
import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_flagship.py"


@pytest.fixture(scope="module")
def flagship():
    spec = importlib.util.spec_from_file_location("gpu_flagship", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_flagship"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _image(path: Path, seed: int, size: int = 64) -> np.ndarray:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return pixels


def _pairs(root: Path, names: list[str]) -> None:
    for i, name in enumerate(names):
        clean = _image(root / "gt" / name, i)
        noisy = np.clip(
            clean.astype(int) + np.random.default_rng(9 + i).integers(-9, 9, clean.shape), 0, 255
        )
        (root / "noisy").mkdir(exist_ok=True)
        Image.fromarray(noisy.astype(np.uint8)).save(root / "noisy" / name)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for i in range(3):
        _image(root / "CBSD432" / f"{i}.png", 100 + i)
    (root / "crf").mkdir(parents=True)
    _pairs(root / "PolyU", ["a.png", "b.png", "c.png"])
    (root / "PolyU" / "split.json").write_text(
        json.dumps({"train": ["a.png", "b.png"], "test": ["c.png"]})
    )
    _pairs(root / "Nam_CBDNet25", ["n.png"])
    _pairs(root / "SIDD_samples12", ["s.png"])
    return root


def test_pack_and_run_at_ci_scale(flagship, data: Path, tmp_path: Path) -> None:
    packed = flagship.pack(data, tmp_path / "pack" / "data.tar")
    with tarfile.open(packed) as tar:
        assert {Path(n).parts[0] for n in tar.getnames()} == set(flagship.PACKED["denoise"])
    out = tmp_path / "out"
    summary = flagship.run(packed, 0.05, out, "ci")
    assert (out / "flagship.safetensors").is_file() and (out / "table.md").is_file()
    assert set(summary["tables"]) == set(flagship.TEST_SETS)
    assert summary["steps"]["sn"] >= 2 and summary["steps"]["real"] >= 2
    assert "| noisy |" in summary["tables"]["PolyU"]
    assert json.loads((out / "table.json").read_text())["model"] == summary["model"]


def test_deblur_task_at_ci_scale(flagship, data: Path, tmp_path: Path) -> None:
    (data / "GoPro_samples" / "input").mkdir(parents=True)
    for i, name in enumerate(["g1.png", "g2.png"]):
        sharp = _image(data / "GoPro_samples" / "target" / name, 40 + i)
        blurry = (sharp.astype(float) + np.roll(sharp, 3, axis=1)) / 2
        Image.fromarray(blurry.astype(np.uint8)).save(data / "GoPro_samples" / "input" / name)
    packed = flagship.pack(data, tmp_path / "deblur.tar", "deblur")
    with tarfile.open(packed) as tar:
        assert {Path(n).parts[0] for n in tar.getnames()} == {"CBSD432", "GoPro_samples"}
    out = tmp_path / "out"
    summary = flagship.run(packed, 0.05, out, "ci", "deblur")
    assert (out / "deblur.safetensors").is_file() and summary["steps"] >= 2
    assert "| input |" in summary["tables"]["GoPro_samples"]
    assert json.loads((out / "table.json").read_text())["task"] == "deblur"


def test_pack_refuses_missing_folders(flagship, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="missing"):
        flagship.pack(tmp_path, tmp_path / "x.tar")
