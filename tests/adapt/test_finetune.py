"""Few-shot adaptation on tiny pairs with a tiny AINDNet: what trains, what is written, stops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorekit import load_model
from restorekit.adapt import Pair, adapt
from restorekit.errors import RestoreKitError
from restorekit.models import build_model, transfer_parameters
from restorekit.weights import save_model

FAST = {
    "minutes": None,
    "batch_size": 2,
    "patch_size": 32,
    "eval_every": 3,
    "warmup_steps": 0,
    "min_steps": 0,
    "progress": False,
}


def _changed(a: torch.nn.Module, b: torch.nn.Module) -> set[str]:
    other = dict(b.named_parameters())
    return {k for k, p in a.named_parameters() if not torch.equal(p, other[k])}


def test_adapt_trains_transfer_groups_and_records_how(pairs_dir, tiny_base, tmp_path):
    out = tmp_path / "mycam.safetensors"
    result = adapt(pairs_dir, out, base=str(tiny_base), max_steps=6, lr=3e-3, min_delta=0.0, **FAST)
    assert result.output == out and result.steps == 6 and result.stopped == "max_steps"
    assert result.best_step > 0 and result.gain > 0
    base, adapted = load_model(tiny_base), load_model(out)
    transfer = {id(p) for p in transfer_parameters(base)}
    names = {k for k, p in base.named_parameters() if id(p) in transfer}
    changed = _changed(adapted, base)
    assert changed and changed <= names  # frozen layers are untouched
    meta = adapted.checkpoint_metadata
    assert (meta["name"], meta["kwargs"]) == ("aindnet", base.checkpoint_metadata["kwargs"])
    record = meta["adapt"]
    assert record["base"] == str(tiny_base) and record["trainable"] == "transfer"
    assert record["pairs"] == ["p0.png", "p1.png", "p3.png"]
    assert record["held_out"] == ["p2.png"] and record["holdout_by"] == "pairs"
    assert record["before"] == result.before and record["after"] == result.after
    assert record["psnr_gain_db"] == pytest.approx(result.gain)
    assert record["steps"] == 6 and record["seconds"] > 0
    assert meta["metrics"]["psnr"] == pytest.approx(result.after["psnr"])
    assert [h["step"] for h in record["history"]] == [0, 3, 6]


def test_early_stop_keeps_the_base_when_nothing_improves(pairs_dir, tiny_base):
    result = adapt(
        pairs_dir, None, base=str(tiny_base), max_steps=50, min_delta=100.0, patience=2, **FAST
    )
    assert result.stopped.startswith("early stop") and result.steps == 6
    assert result.best_step == 0 and result.after == result.before
    assert not _changed(result.model, load_model(tiny_base))


def test_no_early_stop_before_min_steps(pairs_dir, tiny_base):
    options = {**FAST, "min_steps": 12}
    result = adapt(
        pairs_dir, None, base=str(tiny_base), max_steps=50, min_delta=100.0, patience=2, **options
    )
    assert result.stopped.startswith("early stop") and result.steps == 12
    assert [h["step"] for h in result.history] == [0, 3, 6, 9, 12]


def test_time_budget_and_strips_for_one_pair(pairs_dir, tiny_base):
    options = {**FAST, "minutes": 1e-6}
    result = adapt(pairs_dir, None, names=["p1.png"], base=str(tiny_base), **options)
    assert result.stopped == "time budget" and result.steps == 0
    assert result.holdout_by == "strip" and result.train_pairs == ("p1.png",)
    assert result.held_out == ("p1.png (bottom 12 rows)",)


def test_same_seed_same_weights(pairs_dir, tiny_base):
    runs = [
        adapt(pairs_dir, None, base=str(tiny_base), max_steps=3, lr=1e-3, min_delta=0, **FAST)
        for _ in range(2)
    ]
    assert runs[0].best_step == 3
    assert not _changed(runs[0].model, runs[1].model)
    assert runs[0].history == runs[1].history


def test_a_model_without_transfer_groups(pairs_dir, tiny_model_file):
    path = tiny_model_file("hinet", "hinet.safetensors", wf=4, depth=2)
    with pytest.raises(RestoreKitError, match="instead with trainable all"):
        adapt(pairs_dir, None, base=str(path), max_steps=1, **FAST)
    result = adapt(pairs_dir, None, base=str(path), max_steps=2, trainable="all", **FAST)
    assert result.steps == 2


def test_bad_options_and_inputs(pairs_dir, tiny_base):
    with pytest.raises(RestoreKitError, match="time budget"):
        adapt(pairs_dir, None, base=str(tiny_base), minutes=None)
    with pytest.raises(RestoreKitError, match="options:"):
        adapt(pairs_dir, None, base=str(tiny_base), learning_rate=1.0)
    gray = np.zeros((1, 32, 32), np.float32)
    with pytest.raises(RestoreKitError, match="3 channels"):
        adapt([Pair("g", gray, gray)], None, base=str(tiny_base), max_steps=1, **FAST)
    with pytest.raises(RestoreKitError, match="neither a file nor a bundled"):
        adapt(pairs_dir, None, base="no-such-model", max_steps=1, **FAST)


def test_default_base_is_the_synthetic_noise_model(pairs_dir):
    result = adapt(pairs_dir, None, max_steps=1, **FAST)
    assert result.metadata["base"] == "aindnet-sn"


def test_adapted_model_keeps_the_base_max_tile(pairs_dir, tmp_path):
    """A base that runs in tiles (max_tile) is scored in tiles and hands the hint on."""
    torch.manual_seed(0)
    kwargs = {"width": 4}
    base = save_model(
        tmp_path / "tiled.safetensors",
        build_model("aindnet", **kwargs),
        name="aindnet",
        kwargs=kwargs,
        max_tile=48,
    )
    out = tmp_path / "mycam.safetensors"
    adapt(pairs_dir, out, base=str(base), max_steps=3, **FAST)
    assert load_model(out).checkpoint_metadata["max_tile"] == 48


def test_outputs_and_budgets_are_checked_before_training(pairs_dir, tiny_base, tmp_path):
    """Issue #20: inputs, images and non-model names are never replaced by the model; a patch
    larger than the pairs and a step over ``max_memory`` are refused before the first step."""
    options = {"base": str(tiny_base), "max_steps": 1, **FAST}
    split = tmp_path / "split.json"
    split.write_text('{"train": ["p0.png", "p1.png", "p2.png", "p3.png"]}')
    for output, message in (
        (pairs_dir / "gt" / "p1.png", "would overwrite this input file"),
        (split, "would overwrite this input file"),
        (tmp_path / "mycam", "must end in .safetensors"),
    ):
        with pytest.raises(RestoreKitError, match=message):
            adapt(pairs_dir, output, split_file=split, split="train", **options)
    out = tmp_path / "m.safetensors"
    with pytest.raises(RestoreKitError, match="patch_size 49 is larger"):
        adapt(pairs_dir, out, **{**options, "patch_size": 49})
    with pytest.raises(RestoreKitError, match=r"needs about .* MB budget \(max_memory\)"):
        adapt(pairs_dir, out, **{**options, "max_memory": 1024})
    assert not out.exists() and split.read_text().startswith('{"train"')
