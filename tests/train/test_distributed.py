"""DDP: two gloo processes under torchrun end with the weights of one process, same global batch.

Data order, patches and synthetic noise are functions of (seed, epoch, sample slot), not of the
rank, and the global batch is split between the ranks, so both runs see the same samples with
the same noise; only the gradient averaging (float sums in another order) differs.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from restorekit.train import fit, load_config
from restorekit.train.distributed import DistEnv, setup, unwrap

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "ci" / "aindnet_sn.yaml"
COMMON = [
    "max_steps=3",
    "ckpt_every=3",
    "data.batch_size=4",
    "data.train.kwargs.patch_size=16",
    "val.every=3",
    "tensorboard=false",
    # Parameters whose true gradient is zero (AINDNet's conv biases right before an instance
    # norm) get pure rounding-noise gradients, which Adam's default eps (1e-8) would blow up to
    # +-lr per step in different directions for different summation orders; eps 1e-4 does not.
    "optim.eps=1e-4",
]


def _log(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_two_processes_match_one_process(tmp_path, ci_data_maker):
    ci_data_maker(tmp_path / "ci_data")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += ["-m", "restorekit", "train", "-c", str(CONFIG), "out_dir=ddp", *COMMON]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        fit(load_config(CONFIG, ["out_dir=single", *COMMON]))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    one, two = (
        load_file(tmp_path / "single/final.safetensors"),
        load_file(tmp_path / "ddp/final.safetensors"),
    )
    assert one.keys() == two.keys()
    worst = max((one[k] - two[k]).abs().max().item() for k in one)
    assert worst < 1e-5
    for a, b in zip(
        _log(tmp_path / "single/train_log.csv"), _log(tmp_path / "ddp/train_log.csv"), strict=True
    ):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]), rel=1e-5)
    (a,), (b,) = _log(tmp_path / "single/val_log.csv"), _log(tmp_path / "ddp/val_log.csv")
    assert float(a["psnr"]) == pytest.approx(float(b["psnr"]), abs=1e-4)


def test_single_process_environment(monkeypatch):
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    env = setup("cpu")
    assert env == DistEnv(0, 0, 1, torch.device("cpu")) and env.is_main and not env.distributed
    model = torch.nn.Linear(1, 1)
    assert unwrap(model) is model
