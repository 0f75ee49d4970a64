"""evaluate() + the report: table layout, JSON, per-image CSV, figure, determinism."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image
from scipy.ndimage import uniform_filter

from restorekit.errors import RestoreKitError
from restorekit.eval import (
    DeblurProtocol,
    DerainProtocol,
    EvalSpec,
    FunctionMethod,
    GaussianProtocol,
    NoisyMethod,
    SiddValProtocol,
    build_method,
    evaluate,
    run_eval,
)
from restorekit.eval.figure import choose_crop
from restorekit.eval.runner import build_protocols


def _blur(x: np.ndarray) -> np.ndarray:
    return uniform_filter(x, size=(1, 3, 3), mode="reflect")


def _methods() -> list:
    return [NoisyMethod(), FunctionMethod("blur3", _blur, "3x3 box filter stand-in")]


@pytest.fixture
def clean_dir(tmp_path: Path) -> Path:
    root = tmp_path / "Tiny"
    root.mkdir()
    y, x = np.mgrid[0:48, 0:48]
    for i in range(3):
        base = 128 + 100 * np.sin((x + 7 * i) / 5.0) * np.cos(y / 7.0)
        Image.fromarray(base.astype(np.uint8)).save(root / f"{i:02d}.png")
    return root


def _gaussian(clean_dir: Path) -> list[GaussianProtocol]:
    return [GaussianProtocol(clean_dir, s) for s in (15, 50)]


def test_evaluate_writes_everything(clean_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = evaluate(_gaussian(clean_dir), _methods(), out, figure_images=2, crop_size=32)
    assert {p.name for p in out.iterdir()} == {
        "report.md",
        "report.json",
        "per_image.csv",
        "figure_gaussian-Tiny-s15.png",
        "figure_gaussian-Tiny-s50.png",
    }
    with Image.open(out / "figure_gaussian-Tiny-s15.png") as fig:
        assert fig.size[0] > 200 and fig.size[1] > 200
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert len(rows) == 2 * 2 * 3  # protocols x methods x images
    assert rows[0] == {
        "protocol": "gaussian-Tiny-s15",
        "metric": "uint8",
        "method": "noisy",
        "image": "00.png",
        "psnr": rows[0]["psnr"],
        "ssim": rows[0]["ssim"],
        "method_info": "",
        "note": "",
    }
    data = json.loads((out / "report.json").read_text())
    assert [p["degradation"]["sigma_255"] for p in data["protocols"]] == [15.0, 50.0]
    assert data["protocols"][0]["degradation"]["seed"] == 0
    assert [m["name"] for m in data["methods"]] == ["noisy", "blur3"]
    result = data["results"]["gaussian-Tiny-s50"]["uint8"]
    assert result["blur3"]["psnr"] > result["noisy"]["psnr"]  # blur helps at sigma 50
    assert result["noisy"]["images"] == 3
    summary = report.summary()["gaussian-Tiny-s15"]["uint8"]["noisy"]
    psnrs = [float(r["psnr"]) for r in rows if r["method"] == "noisy" and "s15" in r["protocol"]]
    assert summary["psnr"] == pytest.approx(np.mean(psnrs), abs=1e-5)


def test_figure_columns(clean_dir: Path) -> None:
    protocols = _gaussian(clean_dir)[:1]
    report = evaluate(protocols, _methods(), None, figure_images=2, crop_size=16, progress=False)
    rows = report.figures["gaussian-Tiny-s15"]
    assert [r.image for r in rows] == ["00.png", "01.png"]
    captions = [caption.split("\n")[0] for caption, _ in rows[0].panels]
    assert captions == ["noisy input", "blur3", "clean"]
    assert all(panel.shape == (1, 16, 16) for _, panel in rows[0].panels)
    alone = evaluate(protocols, _methods()[1:], None, figure_images=1, progress=False)
    first = alone.figures["gaussian-Tiny-s15"][0].panels
    assert [c.split("\n")[0] for c, _ in first] == ["noisy input", "blur3", "clean"]


def test_noisy_row_is_clipped_and_rounded(clean_dir: Path) -> None:
    protocol = GaussianProtocol(clean_dir, 50, limit=1)
    report = evaluate([protocol], [NoisyMethod()], None, progress=False)
    sample = next(protocol.samples())
    noisy8 = np.round(np.clip(sample.noisy.astype(np.float64), 0, 1) * 255)
    clean8 = np.round(sample.clean.astype(np.float64) * 255)
    expected = 10 * np.log10(255**2 / np.mean((noisy8 - clean8) ** 2))
    assert report.records[0].psnr == pytest.approx(expected, abs=1e-9)


def test_markdown_table_layout(clean_dir: Path) -> None:
    report = evaluate(_gaussian(clean_dir), _methods(), None, progress=False)
    lines = report.markdown_table().splitlines()
    assert lines[0] == "| method | Tiny σ=15 [uint8] | Tiny σ=50 [uint8] |"
    assert lines[1] == "|---|---|---|"
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["noisy", "blur3"]
    cell = lines[2].split("|")[2].strip()
    psnr_text, ssim_text = cell.split(" / ")
    assert len(psnr_text.split(".")[1]) == 2 and len(ssim_text.split(".")[1]) == 4
    text = report.markdown()
    for needed in ("## Protocols", "## Methods", "seed", "NOT clipped", "3x3 box filter"):
        assert needed in text


def test_same_run_twice_same_numbers(clean_dir: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        evaluate(_gaussian(clean_dir), _methods(), tmp_path / name, figure_images=1)
    assert (tmp_path / "a" / "per_image.csv").read_bytes() == (
        tmp_path / "b" / "per_image.csv"
    ).read_bytes()
    a = json.loads((tmp_path / "a" / "report.json").read_text())
    b = json.loads((tmp_path / "b" / "report.json").read_text())
    a.pop("seconds_per_image"), b.pop("seconds_per_image")
    assert a == b


def test_sidd_val_two_named_variants(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    gt = rng.integers(30, 220, (1, 2, 32, 32, 3), dtype=np.uint8)
    noisy = np.clip(gt + rng.integers(-20, 21, gt.shape), 0, 255).astype(np.uint8)
    scipy.io.savemat(tmp_path / "n.mat", {"ValidationNoisyBlocksSrgb": noisy})
    scipy.io.savemat(tmp_path / "g.mat", {"ValidationGtBlocksSrgb": gt})
    protocol = SiddValProtocol(tmp_path / "n.mat", tmp_path / "g.mat")
    bright = FunctionMethod("bright", lambda x: x + 0.5)  # exceeds 1 -> BasicSR peak 255
    report = evaluate([protocol], [NoisyMethod(), bright], tmp_path / "o", progress=False)
    header = report.markdown_table().splitlines()[0]
    assert header == "| method | SIDD val [clamp01] | SIDD val [hinet-float] |"
    summary = report.summary()["sidd-val"]
    assert summary["hinet-float"]["noisy"]["ssim"] is None
    assert summary["clamp01"]["noisy"]["ssim"] is not None
    assert summary["hinet-float"]["noisy"]["psnr"] == pytest.approx(
        summary["clamp01"]["noisy"]["psnr"]
    )
    assert sum(summary["hinet-float"]["bright"]["notes"].values()) == 2
    assert summary["hinet-float"]["bright"]["psnr"] > summary["clamp01"]["bright"]["psnr"] + 40
    bright_row = report.markdown_table().splitlines()[3]
    assert bright_row.split("|")[3].strip().endswith("*")
    assert "2 of 2 images scored with peak=255" in (tmp_path / "o" / "report.md").read_text()


def test_bad_methods(clean_dir: Path) -> None:
    with pytest.raises(RestoreKitError, match="distinct"):
        evaluate(_gaussian(clean_dir), [NoisyMethod(), NoisyMethod()], None)
    crop = FunctionMethod("crop", lambda x: x[:, 1:, :])
    with pytest.raises(RestoreKitError, match="shape"):
        evaluate(_gaussian(clean_dir), [crop], None, progress=False)


def test_choose_crop_prefers_texture() -> None:
    image = np.zeros((1, 64, 64), np.float32)
    image[:, 40:56, 8:24] = np.random.default_rng(0).random((16, 16))
    top, left, h, w = choose_crop(image, 32)
    assert (h, w) == (32, 32)
    assert top <= 40 and top + h >= 56 and left <= 8 and left + w >= 24
    assert choose_crop(np.zeros((3, 20, 30), np.float32), 64)[2:] == (20, 30)


def test_eval_spec_validation(clean_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match=r"protocol .* needs dataset"):
        EvalSpec(protocol="gaussian", out=str(tmp_path))
    with pytest.raises(RestoreKitError, match="needs noisy_mat"):
        EvalSpec(protocol="sidd-val", out=str(tmp_path))
    with pytest.raises(RestoreKitError, match="needs dnd_root"):
        EvalSpec(protocol="dnd-export", out=str(tmp_path))
    with pytest.raises(RestoreKitError, match="too small"):
        EvalSpec(protocol="gaussian", dataset="x", out=str(tmp_path), tile=4)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RestoreKitError, match="file"):
        run_eval(EvalSpec(protocol="gaussian", dataset="x", out=str(blocker / "sub")))
    with pytest.raises(RestoreKitError, match="unknown protocol"):
        EvalSpec(protocol="nope", out=str(tmp_path))
    spec = EvalSpec(
        protocol="gaussian",
        dataset=str(clean_dir),
        sigmas=(25.0,),
        out=str(tmp_path / "r"),
        limit=2,
        progress=False,
        crop_border=2,
    )
    report = run_eval(spec)
    assert report.settings["limit"] == 2
    assert {r.image for r in report.records} == {"00.png", "01.png"}
    assert report.protocols[0]["metrics"][0]["crop_border"] == 2


def test_derain_is_always_scored_on_y_deblur_on_rgb_unless_asked(tmp_path: Path) -> None:
    for folder in ("input", "target"):
        (tmp_path / "D" / folder).mkdir(parents=True)
        Image.fromarray(np.full((16, 16, 3), 9, np.uint8)).save(tmp_path / "D" / folder / "a.png")
    common = {"dataset": str(tmp_path / "D"), "out": str(tmp_path / "o"), "crop_border": 1}
    with pytest.raises(RestoreKitError, match="needs dataset"):
        EvalSpec(protocol="derain", out=str(tmp_path))
    (derain,) = build_protocols(EvalSpec(protocol="derain", **common))
    assert isinstance(derain, DerainProtocol) and derain.metrics[0].name == "uint8-y-b1"
    (deblur,) = build_protocols(EvalSpec(protocol="deblur", **common))
    assert isinstance(deblur, DeblurProtocol) and deblur.metrics[0].name == "uint8-b1"
    (deblur_y,) = build_protocols(EvalSpec(protocol="deblur", y_channel=True, **common))
    assert deblur_y.metrics[0].y_channel


def test_derain_figure_and_table_name_the_rainy_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for folder in ("input", "target"):
        (tmp_path / "R" / folder).mkdir(parents=True)
        image = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / "R" / folder / "a.png")
    methods = [build_method("input"), FunctionMethod("blur3", _blur, "stand-in")]
    report = evaluate([DerainProtocol(tmp_path / "R")], methods, None, progress=False)
    (row,) = report.figures["derain-R"]
    assert [c.split("\n")[0] for c, _ in row.panels] == ["rainy input", "blur3", "clean"]
    assert {r.method for r in report.records} == {"input", "blur3"}
    assert report.methods[0]["kind"] == "degraded input"


def test_checkpoints_with_one_file_name_are_told_apart_by_their_folders() -> None:
    from restorekit.eval.runner import distinct_names

    paths = ["runs/hin/real/final.safetensors", "runs/in/real/final.safetensors"]
    assert distinct_names(paths) == ["hin/real/final", "in/real/final"]
    assert distinct_names(["x/a.safetensors", "y/a.safetensors"]) == ["x/a", "y/a"]
