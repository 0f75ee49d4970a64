"""benchmarks/ablation.py at ``--scale ci``: the whole pipeline on tiny generated data."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from restorekit.models import build_model
from restorekit.train import load_config

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPT = BENCHMARKS / "ablation.py"


def _image(rng: np.random.Generator, size: int = 40) -> np.ndarray:
    """A smooth random colour image in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    a, b = rng.uniform(0.5, 4.0, 2)
    return 0.5 + 0.35 * np.stack([np.sin(a * xx + b * yy + k) for k in range(3)], axis=-1)


def _save(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(path)


def make_data(root: Path) -> None:
    """``--data-root`` layout: CBSD432/ (clean), PolyU/ (noisy/, gt/, split.json), and the
    Nam_CBDNet25/ and SIDD_samples12/ pair folders."""
    rng = np.random.default_rng(0)
    for i in range(4):
        _save(root / "CBSD432" / f"c{i}.png", _image(rng))
    names = [f"p{i}.png" for i in range(4)]
    for folder in ("PolyU", "Nam_CBDNet25", "SIDD_samples12"):
        for name in names:
            clean = _image(rng)
            _save(root / folder / "gt" / name, clean)
            _save(root / folder / "noisy" / name, clean + 0.08 * rng.standard_normal(clean.shape))
    split = {"train": names[:2], "test": names[2:]}
    (root / "PolyU" / "split.json").write_text(json.dumps(split), encoding="utf-8")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(SCRIPT), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def ablation(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script as a module (its ``from models import ...`` needs benchmarks/ on the path)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("ablation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "ablation", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_two_variants_train_score_tabulate_and_resume(tmp_path: Path) -> None:
    make_data(tmp_path / "data")
    args = ["--study", "aindnet", "--scale", "ci", "--variants", "ain,in", "--jobs", "2"]
    args += ["--data-root", tmp_path / "data", "--out", tmp_path / "out"]
    first = run(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("finished:") == 4  # SN and real stage of each variant

    table = json.loads((tmp_path / "out" / "table.json").read_text(encoding="utf-8"))
    assert [row["variant"] for row in table["rows"]] == ["ain", "in"]
    assert [row["real"] for row in table["rows"]] == ["tf", "rt"]
    for row in table["rows"]:
        numbers = [row["params"], row["macs"], row["ms_per_mp"], *row["seconds_per_step"].values()]
        for stage in ("sn", "real"):
            for column in ("PolyU", "Nam", "SIDD"):
                numbers += row["scores"][stage][column].values()
        for stage in ("sn", "real"):  # every model again, in tiles
            assert len(row["scores_tiled"][stage]) == 3
            numbers += [
                v for column in row["scores_tiled"][stage].values() for v in column.values()
            ]
        assert all(math.isfinite(x) and x > 0 for x in numbers), row
    markdown = (tmp_path / "out" / "table.md").read_text(encoding="utf-8")
    assert "| ain | TF |" in markdown and "| in | RT |" in markdown
    assert "192 px tiles" in markdown

    second = run(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "started:" not in second.stdout
    assert (
        json.loads((tmp_path / "out" / "table.json").read_text())["rows"][0]["scores"]
        == (table["rows"][0]["scores"])
    )


def test_plan_matches_each_variant_to_its_recipe_and_loss(
    ablation: ModuleType, tmp_path: Path
) -> None:
    hinet = {v.name: v for v in ablation.STUDIES["hinet"]}
    stages = ablation.plan("hinet", "cpu", [hinet["one_stage"]], tmp_path, tmp_path / "out")
    assert [s.kind for s in stages] == ["sn", "real"] and stages[1].after is stages[0]
    for stage in stages:
        assert 'loss=[{"name": "psnr", "weight": 1.0, "kwargs": {"stages": [1.0]}}]' in (
            stage.command
        )
    assert stages[1].command[5].endswith("aindnet_rt.yaml")

    aindnet = {v.name: v for v in ablation.STUDIES["aindnet"]}
    (oracle,) = ablation.plan("aindnet", "cpu", [aindnet["gt_map"]], tmp_path, tmp_path / "out")
    assert oracle.kind == "sn" and 'loss=[{"name": "l1", "weight": 1.0}]' in oracle.command
    assert "val=null" in oracle.command


@pytest.mark.parametrize("scale", ["ci", "cpu", "paper"])
@pytest.mark.parametrize("study", ["aindnet", "hinet"])
def test_every_planned_command_is_a_valid_recipe(
    ablation: ModuleType, tmp_path: Path, study: str, scale: str
) -> None:
    stages = ablation.plan(study, scale, list(ablation.STUDIES[study]), tmp_path, tmp_path / "o")
    assert len(stages) == 2 * len(ablation.STUDIES[study]) - (study == "aindnet")
    for stage in stages:
        assert stage.command[3:5] == ["train", "-c"]
        cfg = load_config(stage.command[5], stage.command[6:])
        assert cfg.out_dir == str(stage.run_dir) and cfg.val is None and cfg.seed == 0
        assert cfg.max_steps == getattr(ablation.scale_for(study, scale), f"{stage.kind}_steps")
        if scale == "ci":
            build_model(cfg.model.name, **cfg.model.kwargs)
