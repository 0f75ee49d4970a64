"""scripts/bundle_model.py: two stage folders -> one model file with both stages' record."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from restorekit.models import build_model
from restorekit.weights import load_model, read_metadata, save_model

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bundle_model.py"


def _run(folder: Path, name: str, steps: int, seed: int) -> Path:
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    recipe = {
        "name": name,
        "seed": seed,
        "precision": "bf16",
        "optim": {"lr": 3e-4},
        "data": {"batch_size": 4, "train": {"name": "clean_folder", "kwargs": {"patch_size": 64}}},
    }
    model = build_model("hinet", wf=4)
    save_model(folder / "final.safetensors", model, name="hinet", kwargs={"wf": 4}, recipe=recipe)
    rows = ["step,lr,loss,seconds", f"{steps // 2},1e-4,0.1,5.0", f"{steps},1e-5,0.05,10.4"]
    (folder / "train_log.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_bundle_two_stages(tmp_path: Path) -> None:
    sn, rt = _run(tmp_path / "sn", "a_sn", 100, 0), _run(tmp_path / "rt", "a_rt", 20, 1)
    out = tmp_path / "bundled.safetensors"
    command = [sys.executable, str(SCRIPT), str(sn), str(rt), "-o", str(out), "--card", "x.md"]
    command += ["--data", "synthetic", "--data", "pairs", "--max-tile", "192", "--hardware", "cpu"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    meta = read_metadata(out)
    assert meta["max_tile"] == 192 and meta["source"].endswith("model card: x.md")
    assert meta["training"]["sn"] == {
        "recipe": "a_sn",
        "data": "synthetic",
        "steps": 100,
        "batch": "4 x 64x64",
        "seconds": 10,
        "precision": "bf16",
        "lr": 3e-4,
        "seed": 0,
    }
    assert meta["training"]["rt"]["steps"] == 20 and meta["recipe"]["name"] == "a_rt"
    final = load_model(rt / "final.safetensors").state_dict()
    assert all(torch.equal(v, final[k]) for k, v in load_model(out).state_dict().items())
    assert json.loads(result.stdout.rsplit("}", 1)[0] + "}")["hardware"] == "cpu"


def test_unfinished_run_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    command = [sys.executable, str(SCRIPT), str(tmp_path / "run"), "-o", "x.safetensors"]
    result = subprocess.run([*command, "--card", "x.md"], capture_output=True, text=True)
    assert result.returncode == 2 and "has not finished" in result.stderr
    assert result.stderr.count("\n") == 1


def _bundle_after(tmp_path: Path, earlier: dict) -> tuple[Path, Path]:
    """Bundle a run ``more`` with ``--after`` a bundle whose record is ``earlier``; return the run
    and the output file."""
    first = _run(tmp_path / "first", "a_sn", 100, 0)
    bundled = tmp_path / "bundled.safetensors"
    model = load_model(first / "final.safetensors")
    save_model(bundled, model, name="hinet", kwargs={"wf": 4}, training=earlier)
    more = _run(tmp_path / "more", "a_more", 40, 2)
    out = tmp_path / "out.safetensors"
    command = [sys.executable, str(SCRIPT), str(more), "-o", str(out), "--card", "x.md"]
    result = subprocess.run([*command, "--after", str(bundled)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return more, out


def test_after_keeps_the_bundled_record(tmp_path: Path) -> None:
    earlier = {"steps": 900, "seconds": 50, "batch": "8 x 96^2", "stages": [{"steps": 900}]}
    _, out = _bundle_after(tmp_path, earlier)
    training = read_metadata(out)["training"]
    assert training["steps"] == 940 and training["seconds"] == 60
    assert training["batch"] == "8 x 96^2 then 4 x 64x64"
    assert training["stages"][0] == {"steps": 900}
    assert training["stages"][1]["steps"] == 40
    assert training["stages"][1]["init_from"] == "bundled as bundled before"


def test_after_a_bundle_of_named_stages_adds_named_stages(tmp_path: Path) -> None:
    earlier = {"sn": {"steps": 100}, "rt": {"steps": 20}, "hardware": "cpu"}
    more, out = _bundle_after(tmp_path, earlier)
    training = read_metadata(out)["training"]
    assert list(training) == ["sn", "rt", "more", "hardware"] and training["hardware"] == "cpu"
    assert training["more"]["steps"] == 40
    assert training["more"]["init_from"] == "bundled as bundled before"
    again = [sys.executable, str(SCRIPT), str(more), "-o", str(tmp_path / "again.safetensors")]
    result = subprocess.run(
        [*again, "--card", "x.md", "--after", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 2 and "already has a stage 'more'" in result.stderr
