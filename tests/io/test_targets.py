"""Output paths are checked before any work: folders creatable, files writable, no probe left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restorekit.errors import RestoreKitError
from restorekit.infer.tiling import check_tile_size, smallest_tile
from restorekit.io.targets import check_output_file, check_output_folder

PROC = Path("/proc/self").is_dir()


def test_good_targets_pass_and_leave_nothing(tmp_path: Path) -> None:
    assert check_output_folder(tmp_path) == tmp_path
    assert check_output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "old.png").write_bytes(b"x")
    assert check_output_file(tmp_path / "old.png") == tmp_path / "old.png"
    assert check_output_file(tmp_path / "new" / "m.safetensors").name == "m.safetensors"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]


def test_files_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "report.md"
    blocker.write_text("x")
    with pytest.raises(RestoreKitError, match="the run folder is an existing file, not a folder"):
        check_output_folder(blocker, "the run folder")
    with pytest.raises(RestoreKitError, match=re.escape(f"output folder: {blocker} is a")):
        check_output_folder(blocker / "sub")
    with pytest.raises(RestoreKitError, match=re.escape(f"output file: {blocker} is a")):
        check_output_file(blocker / "x.png")
    with pytest.raises(RestoreKitError, match="is an existing folder; give a file name"):
        check_output_file(tmp_path)


@pytest.mark.skipif(not PROC, reason="needs /proc")
def test_pseudo_file_systems_are_refused() -> None:
    with pytest.raises(RestoreKitError, match="/proc does not accept new files"):
        check_output_folder("/proc/restorekit/run")
    with pytest.raises(RestoreKitError, match="/proc does not accept new files"):
        check_output_file("/proc/restorekit.png")


def test_smallest_tile_rule() -> None:
    assert smallest_tile(1) == 32 and smallest_tile(8) == 32 and smallest_tile(32) == 64
    check_tile_size(32, 8)
    check_tile_size((32, 400), 16)
    with pytest.raises(RestoreKitError, match="tile 1 is too small"):
        check_tile_size(1, 8)
    with pytest.raises(RestoreKitError, match=r"tile 48x64 is too small: .* at least 64 px"):
        check_tile_size((48, 64), 32)
