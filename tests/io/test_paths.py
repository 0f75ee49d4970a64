"""list_images and the atomic byte writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restorekit.errors import RestoreKitError
from restorekit.io import atomic_write_bytes, list_images, read_file_bytes


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")


def test_list_images_folder_glob_file(tmp_path: Path) -> None:
    _touch(tmp_path, "b.png", "a.JPG", "c.tiff", "notes.txt", ".hidden.png", "sub/d.webp")
    assert [p.name for p in list_images(tmp_path)] == ["a.JPG", "b.png", "c.tiff"]
    assert [p.name for p in list_images(tmp_path, recursive=True)] == [
        "a.JPG",
        "b.png",
        "c.tiff",
        "d.webp",
    ]
    assert [p.name for p in list_images(tmp_path / "*.png")] == ["b.png"]
    assert list_images(str(tmp_path / "notes.txt")) == [tmp_path / "notes.txt"]


def test_list_images_errors(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="no such file or folder"):
        list_images(tmp_path / "missing")
    with pytest.raises(RestoreKitError, match="no image files"):
        list_images(tmp_path)
    with pytest.raises(RestoreKitError, match="no image files match"):
        list_images(tmp_path / "*.png")


def test_atomic_write_replaces_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert read_file_bytes(target) == b"two"
    assert read_file_bytes(target, 1) == b"t"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask

    def boom(handle: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"three")
    assert read_file_bytes(target) == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(RestoreKitError, match="is a folder"):
        atomic_write_bytes(tmp_path, b"x")
