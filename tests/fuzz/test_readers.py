"""Every reader against seeded malformed files: a one-line RestoreKitError or a sane image.

``fuzz_worker.py`` (beside this file) builds small valid PNG (8-bit, palette, 16-bit), JPEG,
TIFF (8-bit, 16-bit + alpha, float, LZW), BMP, WebP, MATLAB v5 / v7.3, safetensors and ``.pth``
files, derives truncations, flipped bytes, lying headers, huge declared sizes and chunk lengths
and 1 GiB decompression bombs, and reads them all in one subprocess per group under an
address-space limit of what the imports map plus 1 GiB, so an unbounded read fails the test
instead of swapping the machine. Fixed seeds: the same cases on every run, a few seconds each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("fuzz_worker.py")
GROUPS = {"images": 1000, "mat": 200, "weights": 200}  # group -> at least this many cases

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux (/proc, RLIMIT_AS)"
)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_malformed_files_give_one_line_errors_within_bounded_memory(group: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(WORKER), group, "20"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, f"worker died ({proc.returncode}): {proc.stderr[-2000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["cases"] >= GROUPS[group]
    assert report["failures"] == [], "\n".join(report["failures"])
