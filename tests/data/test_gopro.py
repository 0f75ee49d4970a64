"""GoPro: <split>/<sequence>/blur|sharp/ frames paired by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from restorekit.data import GoPro
from restorekit.errors import RestoreKitError


def _gopro(root: Path, img) -> Path:
    for split, sequences in (
        ("train", ["GOPR0372_07_00", "GOPR0374_11_00"]),
        ("test", ["GOPR0384_11_00"]),
    ):
        for s, sequence in enumerate(sequences):
            for frame in ("000047.png", "000048.png"):
                pixels = img.random_pixels(s * 100 + int(frame[:6]), 10, 12)
                img.write_png(root / split / sequence / "blur" / frame, pixels)
                img.write_png(root / split / sequence / "blur_gamma" / frame, pixels)
                img.write_png(root / split / sequence / "sharp" / frame, pixels // 2)
    return root


def test_gopro_pairs_blur_with_sharp(tmp_path: Path, img) -> None:
    root = _gopro(tmp_path, img)
    train = GoPro(root, patch_size=8, augment=True)
    assert [item.name for item in train.items] == [
        "GOPR0372_07_00/000047.png",
        "GOPR0372_07_00/000048.png",
        "GOPR0374_11_00/000047.png",
        "GOPR0374_11_00/000048.png",
    ]
    test = GoPro(root, split="test")
    assert len(test) == 2
    for sample in (train[2], test[1]):
        noisy_u8 = torch.round(sample["noisy"] * 255)
        torch.testing.assert_close(torch.round(sample["clean"] * 255), torch.floor(noisy_u8 / 2))
    assert train[0]["noisy"].shape == (3, 8, 8) and test[0]["noisy"].shape == (3, 10, 12)


def test_gopro_errors(tmp_path: Path, img) -> None:
    root = _gopro(tmp_path, img)
    with pytest.raises(RestoreKitError, match=r"'val'"):
        GoPro(root, split="val")
    missing = root / "train" / "GOPR0374_11_00" / "sharp" / "000048.png"
    missing.unlink()
    with pytest.raises(RestoreKitError, match=r"000048.png"):
        GoPro(root)
