"""restorekit.runtime.tune_malloc: glibc keeps freed blocks; a second forward stops faulting."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

CHILD = r"""
import json, resource
import torch
from restorekit.models import build_model
from restorekit.runtime import tune_malloc

applied = tune_malloc()
torch.set_num_threads(1)
model = build_model("aindnet-xs").eval()
x = torch.rand(1, 3, 256, 256)
with torch.inference_mode():
    model(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    model(x)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"applied": applied, "faults": faults}))
"""


def _run(env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("RESTOREKIT_NO_MALLOC_TUNING", None)
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


needs_glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


@needs_glibc
def test_tuning_stops_page_faults_on_reallocation() -> None:
    tuned = _run({})
    plain = _run({"RESTOREKIT_NO_MALLOC_TUNING": "1"})
    assert tuned["applied"] is True
    assert plain["applied"] is False
    # untuned, glibc unmaps every freed activation and the next forward faults its pages in again
    assert plain["faults"] > 10_000
    assert tuned["faults"] < plain["faults"] / 10


@needs_glibc
def test_user_malloc_environment_wins() -> None:
    assert _run({"MALLOC_TOP_PAD_": "0"})["applied"] is False
