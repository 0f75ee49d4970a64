"""Checkpoint I/O: atomic writes, weights-only loading, RNG state round trips, pruning."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.io import atomic_write
from restorekit.train.checkpoint import (
    checkpoint_path,
    find_resume,
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)


def test_rng_state_round_trip_through_a_weights_only_file(tmp_path):
    random.seed(1)
    np.random.seed(2)
    np.random.standard_normal()  # leave a cached gaussian in numpy's state
    torch.manual_seed(3)
    path = checkpoint_path(tmp_path, 5)
    save_checkpoint(path, {"step": 5, "model": {}, "rng": rng_state()}, "a: 1\n", keep_last=2)
    expected = (random.random(), np.random.standard_normal(), torch.rand(3))
    random.seed(9)
    np.random.seed(9)
    torch.manual_seed(9)
    state = load_checkpoint(path)  # weights_only=True inside
    set_rng_state(state["rng"])
    got = (random.random(), np.random.standard_normal(), torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])
    assert path.with_suffix(".yaml").read_text() == "a: 1\n"


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, lambda h: h.write(b"old"))

    def fail(handle):
        handle.write(b"partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_listing_pruning_and_resume_lookup(tmp_path):
    for step in (2, 4, 6):
        save_checkpoint(checkpoint_path(tmp_path, step), {"step": step, "model": {}}, "", 2)
    stray = tmp_path / "checkpoints" / ".step-00000008.pt.abc.tmp"
    stray.write_bytes(b"torn")  # what a killed writer leaves behind
    found = list_checkpoints(tmp_path)
    assert [p.name for p in found] == ["step-00000004.pt", "step-00000006.pt"]
    assert find_resume(tmp_path, "auto") == found[-1]
    assert find_resume(tmp_path / "nothing", "auto") is None
    assert find_resume(tmp_path, None) is None
    with pytest.raises(RestoreKitError, match="no such checkpoint"):
        find_resume(tmp_path, str(tmp_path / "x.pt"))
    save_checkpoint(checkpoint_path(tmp_path, 10), {"step": 10, "model": {}}, "", 2)
    assert not stray.exists()


def test_foreign_files_are_user_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RestoreKitError, match=r"bad\.pt"):
        load_checkpoint(bad)
    torch.save({"hello": 1}, bad)
    with pytest.raises(RestoreKitError, match="not a restorekit training checkpoint"):
        load_checkpoint(bad)


def test_checkpoint_named_safetensors_loads_by_content(tmp_path):
    path = tmp_path / "step.safetensors"
    torch.save({"step": 3, "model": {"w": torch.ones(2)}}, path)
    assert load_checkpoint(path)["step"] == 3
