"""The user-error convention, shown with `restorekit info` on awkward files.

A bad file prints exactly ``restorekit info: error: <path>: <problem>`` on stderr, no traceback,
and the exit code is 2; good files next to it are still described. A 1x1 image and a 16-bit
RGBA PNG are fine; a 4-frame TIFF is refused on purpose (see ``restorekit.io.images``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from restorekit.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"

BAD = {
    "missing.png": "no such file",
    "truncated.png": "truncated or corrupt PNG data (image file is truncated)",
    "text.png": "not an image: the file holds text, not PNG data",
    "empty.png": "empty file (0 bytes)",
    "four_frames.tif": (
        "TIFF has 4 frames; only single-frame images are supported "
        "(extract the frame you want first)"
    ),
}
GOOD = {
    "one_pixel.png": "PNG, 1x1, RGB, 8-bit, no EXIF rotation",
    "rgba16.png": "PNG, 5x4, RGB + alpha, 16-bit, no EXIF rotation",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_one_error_line_and_exit_2(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / name
    assert main(["info", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"restorekit info: error: {path}: {BAD[name]}\n"


@pytest.mark.parametrize("name", sorted(GOOD))
def test_awkward_but_valid_files_work(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / name
    assert main(["info", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{path}: {GOOD[name]}\n"
    assert captured.err == ""


def test_subprocess_reports_every_file_without_traceback() -> None:
    names = sorted(GOOD) + sorted(BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "restorekit", "info", *names],
        cwd=FIXTURES,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout.splitlines() == [f"{n}: {GOOD[n]}" for n in sorted(GOOD)]
    assert proc.stderr.splitlines() == [
        f"restorekit info: error: {n}: {BAD[n]}" for n in sorted(BAD)
    ]
