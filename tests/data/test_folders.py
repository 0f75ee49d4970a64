"""Clean folders, paired folders (root or two dirs, split files), Rain13k; pairing by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.data import CleanFolder, PairedFolder, Rain13k, read_split
from restorekit.errors import RestoreKitError

POLYU = Path("/work/shared/data/PolyU")


def _pairs(tmp_path: Path, img, names: list[str], size=(12, 10)) -> Path:
    """root/noisy/<name> and root/gt/<name>; gt = noisy with every pixel // 2 (pairs checkable)."""
    for seed, name in enumerate(names):
        pixels = img.random_pixels(seed, *size)
        img.write_png(tmp_path / "noisy" / name, pixels)
        img.write_png(tmp_path / "gt" / name, pixels // 2)
    return tmp_path


def _assert_paired(sample: dict) -> None:
    noisy_u8 = torch.round(sample["noisy"] * 255)
    torch.testing.assert_close(torch.round(sample["clean"] * 255), torch.floor(noisy_u8 / 2))


def test_clean_folder_reads_whole_images_exactly(tmp_path: Path, img) -> None:
    pixels = {f"im{i}.png": img.random_pixels(i, 6 + i, 9) for i in range(3)}
    for name, p in pixels.items():
        img.write_png(tmp_path / name, p)
    ds = CleanFolder(tmp_path)
    assert len(ds) == 3
    for i, name in enumerate(sorted(pixels)):
        sample = ds[i]
        assert set(sample) == {"clean", "name"} and sample["name"] == name
        assert sample["clean"].dtype == torch.float32
        np.testing.assert_array_equal(sample["clean"].numpy(), img.as_chw(pixels[name]))


def test_clean_folder_patches_gray_and_several_roots(tmp_path: Path, img) -> None:
    img.write_png(tmp_path / "a" / "x.png", img.random_pixels(0, 5, 4, channels=1))
    img.write_png(tmp_path / "b" / "y.png", img.random_pixels(1, 30, 20))
    ds = CleanFolder([tmp_path / "a", str(tmp_path / "b")], patch_size=8, augment=True)
    assert [ds[i]["clean"].shape for i in range(2)] == [(3, 8, 8), (3, 8, 8)]
    gray = CleanFolder(tmp_path / "a", channels=1)[0]["clean"]
    assert gray.shape == (1, 5, 4)
    with pytest.raises(RestoreKitError):
        CleanFolder(tmp_path / "empty-glob-*.png")


def test_paired_folder_pairs_by_name_not_position(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["b.png", "a.png", "c.png"])
    (root / "gt" / "c.png").rename(root / "gt" / "c.PNG")  # same name up to the extension
    ds = PairedFolder(root)
    assert [ds[i]["name"] for i in range(len(ds))] == ["a.png", "b.png", "c.png"]
    for i in range(len(ds)):
        sample = ds[i]
        assert set(sample) == {"noisy", "clean", "name"}
        _assert_paired(sample)


def test_paired_folder_from_two_dirs_with_patches(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["p.png", "q.png"], size=(20, 24))
    ds = PairedFolder(
        noisy_dir=root / "noisy", clean_dir=root / "gt", patch_size=8, augment=True, seed=3
    )
    for i in range(2):
        sample = ds[i]
        assert sample["noisy"].shape == sample["clean"].shape == (3, 8, 8)
        _assert_paired(sample)
    again = PairedFolder(root, patch_size=8, augment=True, seed=3)
    torch.testing.assert_close(again[1]["noisy"], ds[1]["noisy"], rtol=0, atol=0)
    other_seed = PairedFolder(root, patch_size=8, augment=True, seed=4)
    assert not torch.equal(other_seed[1]["noisy"], ds[1]["noisy"])


@pytest.mark.parametrize("missing", ["noisy", "gt"])
def test_a_missing_partner_names_the_file(tmp_path: Path, img, missing: str) -> None:
    root = _pairs(tmp_path, img, ["a.png", "lonely.png"])
    (root / missing / "lonely.png").unlink()
    other = "gt" if missing == "noisy" else "noisy"
    with pytest.raises(RestoreKitError, match=r"lonely.png") as err:
        PairedFolder(root)
    assert str(root / other / "lonely.png") in str(err.value)


def test_paired_folder_errors(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["a.png"])
    with pytest.raises(RestoreKitError, match=r"not a folder"):
        PairedFolder(tmp_path / "nowhere")
    with pytest.raises(RestoreKitError, match=r"not both"):
        PairedFolder(root, noisy_dir=root / "noisy")
    with pytest.raises(RestoreKitError, match=r"split_file"):
        PairedFolder(root, split="train")
    img.write_png(root / "gt" / "a.png", img.random_pixels(0, 7, 7))
    with pytest.raises(RestoreKitError, match=r"differ in size"):
        PairedFolder(root)[0]


def test_split_file_selects_names_in_order(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["a.JPG.png", "b.png", "c.png", "d.png"])
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"about": "x", "train": ["d.png", "b.png"], "test": ["c.png"]}))
    train = PairedFolder(root, split_file=split, split="train")
    assert [train[i]["name"] for i in range(len(train))] == ["d.png", "b.png"]
    assert len(PairedFolder(root, split_file=split, split="test")) == 1
    with pytest.raises(RestoreKitError, match=r"choose a split"):
        PairedFolder(root, split_file=split)
    with pytest.raises(RestoreKitError, match=r"no split 'val'"):
        PairedFolder(root, split_file=split, split="val")
    listing = tmp_path / "names.txt"
    listing.write_text("# comment\na.JPG.png\n\nc.png\n")
    ds = PairedFolder(root, split_file=listing)
    assert [ds[i]["name"] for i in range(2)] == ["a.JPG.png", "c.png"]
    listing.write_text("c.png\nzzz.png\n")
    with pytest.raises(RestoreKitError, match=r"zzz.png"):
        PairedFolder(root, split_file=listing)
    assert read_split(split, "test") == ["c.png"]
    with pytest.raises(RestoreKitError, match=r"cannot read"):
        read_split(tmp_path / "absent.json", "train")


def test_split_file_for_clean_folder(tmp_path: Path, img) -> None:
    for i, name in enumerate(["a.png", "b.png"]):
        img.write_png(tmp_path / "imgs" / name, img.random_pixels(i, 4, 4))
    split = tmp_path / "s.json"
    split.write_text(json.dumps({"train": ["b.png"], "test": ["a.png"]}))
    ds = CleanFolder(tmp_path / "imgs", split_file=split, split="train")
    assert len(ds) == 1 and ds[0]["name"] == "b.png"
    img.write_png(tmp_path / "more" / "b.png", img.random_pixels(5, 4, 4))
    both = CleanFolder([tmp_path / "imgs", tmp_path / "more"])
    assert [item.name for item in both.items] == ["a.png", "b.png", "b.png"]
    with pytest.raises(RestoreKitError, match=r"'b.png' listed in the split matches several"):
        CleanFolder([tmp_path / "imgs", tmp_path / "more"], split_file=split, split="train")
    split.write_text(json.dumps({"train": []}))
    with pytest.raises(RestoreKitError, match=r"no images"):
        CleanFolder(tmp_path / "imgs", split_file=split, split="train")


def test_cache_gives_identical_samples(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["a.png", "b.png"], size=(16, 16))
    plain = PairedFolder(root, patch_size=8, augment=True)
    cached = PairedFolder(root, patch_size=8, augment=True, cache=True)
    assert all(stored.dtype == np.uint8 for stored, _ in cached._cache.values())
    for i in range(2):
        for role in ("noisy", "clean"):
            assert torch.equal(plain[i][role], cached[i][role])


def test_length_repeats_items_with_fresh_patches(tmp_path: Path, img) -> None:
    root = _pairs(tmp_path, img, ["a.png"], size=(32, 32))
    ds = PairedFolder(root, patch_size=8, length=5)
    assert len(ds) == 5
    assert [ds[i]["name"] for i in range(5)] == ["a.png"] * 5
    assert len({ds[i]["noisy"].numpy().tobytes() for i in range(5)}) > 1
    assert torch.equal(ds[(3, 2)]["noisy"], ds[(3, 2)]["noisy"])
    ds.set_epoch(2)
    assert torch.equal(ds[3]["noisy"], ds[(3, 2)]["noisy"])
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(RestoreKitError, match=r"length"):
        PairedFolder(root, length=0)


def test_rain13k_layout(tmp_path: Path, img) -> None:
    for i, name in enumerate(["1.png", "2.png"]):
        pixels = img.random_pixels(i, 6, 8)
        img.write_png(tmp_path / "input" / name, pixels)
        img.write_png(tmp_path / "target" / name, pixels // 2)
    ds = Rain13k(tmp_path)
    assert len(ds) == 2 and ds[1]["name"] == "2.png"
    _assert_paired(ds[1])


@pytest.mark.skipif(not (POLYU / "split.json").is_file(), reason="PolyU data not present")
def test_real_polyu_split() -> None:
    test = PairedFolder(POLYU, split_file=POLYU / "split.json", split="test", patch_size=64)
    train = PairedFolder(POLYU, split_file=POLYU / "split.json", split="train")
    names = json.loads((POLYU / "split.json").read_text())
    assert len(test) == len(names["test"]) and len(train) == len(names["train"])
    assert {item.name for item in test.items}.isdisjoint(names["train"])
    sample = test[0]
    assert sample["noisy"].shape == sample["clean"].shape == (3, 64, 64)
    assert sample["name"] == names["test"][0]
