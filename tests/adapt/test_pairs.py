"""Pairs for adaptation: both folder layouts, the deterministic hold-out, the patch dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from restorekit.adapt.pairs import (
    Pair,
    PairDataset,
    find_pairs,
    load_pairs,
    split_holdout,
)
from restorekit.errors import RestoreKitError


def _pair(name: str, height: int = 40, width: int = 24, value: float = 0.5) -> Pair:
    noisy = np.full((3, height, width), value, np.float32)
    return Pair(name, noisy, noisy.copy())


def test_noisy_gt_layout_pairs_by_name(pairs_dir):
    found = find_pairs(pairs_dir)
    assert [f.name for f in found] == ["p0.png", "p1.png", "p2.png", "p3.png"]
    assert found[0].clean == pairs_dir / "gt" / "p0.png"
    loaded = load_pairs(pairs_dir, names=["p2.png", "p0.png"])
    assert [p.name for p in loaded] == ["p2.png", "p0.png"]
    assert loaded[0].noisy.shape == loaded[0].clean.shape == (3, 48, 48)
    assert loaded[0].ref_frames is None


def test_split_file_selects_pairs(pairs_dir, tmp_path):
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["p1.png", "p3.png"], "test": ["p0.png"]}))
    found = find_pairs(pairs_dir, split_file=split, split="train")
    assert [f.name for f in found] == ["p1.png", "p3.png"]
    with pytest.raises(RestoreKitError, match="not both"):
        find_pairs(pairs_dir, ["p0.png"], split_file=split, split="train")


def test_burst_layout_leaves_the_input_out_of_its_reference(tmp_path):
    frames = [np.full((8, 8, 3), v, np.uint8) for v in (10, 20, 60)]
    for i, frame in enumerate(frames):
        (tmp_path / "scene").mkdir(exist_ok=True)
        Image.fromarray(frame).save(tmp_path / "scene" / f"f{i}.png")
    (pair,) = load_pairs(tmp_path)
    assert pair.name == "scene" and pair.ref_frames == 2
    assert np.allclose(pair.noisy * 255, 10)
    assert np.allclose(pair.clean * 255, 40)  # mean of the two other frames


def test_layout_errors(tmp_path):
    with pytest.raises(RestoreKitError, match="not a folder"):
        find_pairs(tmp_path / "missing")
    with pytest.raises(RestoreKitError, match="noisy/ and gt/"):
        find_pairs(tmp_path)
    (tmp_path / "scene").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "scene" / "only.png")
    with pytest.raises(RestoreKitError, match="at least two frames"):
        find_pairs(tmp_path)


def test_holdout_whole_pairs_spread_over_sorted_names():
    pairs = [_pair(f"p{i}") for i in (7, 3, 0, 5, 1, 2, 6, 4)]
    split = split_holdout(pairs, 0.25)
    assert split.by == "pairs"
    assert [p.name for p in split.held_out] == ["p2", "p6"]
    assert [p.name for p in split.train] == ["p0", "p1", "p3", "p4", "p5", "p7"]
    assert split_holdout(pairs[:4], 0.25).held_out[0].name == sorted(p.name for p in pairs[:4])[2]


def test_holdout_strips_for_few_pairs():
    split = split_holdout([_pair("b", height=40), _pair("a", height=40)], 0.25)
    assert split.by == "strip"
    assert [p.name for p in split.train] == ["a", "b"]
    assert [p.noisy.shape[1] for p in split.train] == [30, 30]
    assert [p.noisy.shape[1] for p in split.held_out] == [10, 10]
    assert split.held_out[0].name == "a (bottom 10 rows)"
    with pytest.raises(RestoreKitError, match="too small"):
        split_holdout([_pair("x", height=12)], 0.25)
    with pytest.raises(RestoreKitError, match="no whole pair"):
        split_holdout([_pair("x")], 0.25, by="pairs")


def test_held_out_images_are_centre_cropped():
    split = split_holdout([_pair(f"p{i}", 64, 64) for i in range(4)], 0.25, eval_size=32)
    assert split.held_out[0].noisy.shape == (3, 32, 32)
    assert split.train[0].noisy.shape == (3, 64, 64)


def test_pair_dataset_crops_the_same_window():
    rng = np.random.default_rng(0)
    noisy = rng.random((3, 20, 20)).astype(np.float32)
    dataset = PairDataset([Pair("x", noisy, noisy + 1)], patch_size=8, augment=True, length=5)
    assert len(dataset) == 5
    sample = dataset[(3, 0)]
    assert sample["noisy"].shape == (3, 8, 8)
    assert np.allclose(sample["clean"].numpy(), sample["noisy"].numpy() + 1)
    assert np.array_equal(dataset[(3, 0)]["noisy"].numpy(), sample["noisy"].numpy())
