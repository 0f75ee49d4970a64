"""restorekit.runtime: glibc keeps freed blocks (a second forward stops faulting), CPU features,
the OpenMP wait policy the CLI sets before torch loads."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

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


# -- CPU features and the OpenMP wait policy ----------------------------------------------------

X86 = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse2 avx2 {}\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm {}\nCPU part\t: 0xd40\n"


@pytest.mark.parametrize(
    ("cpuinfo", "native"),
    [
        (X86.format("avx512f avx512_bf16"), True),
        (X86.format("avx512f amx_tile amx_bf16"), True),
        (X86.format("avx512f avx512_fp16"), False),
        (ARM.format("sve bf16 i8mm"), True),
        (ARM.format("sve i8mm"), False),
        ("", False),
    ],
    ids=["avx512_bf16", "amx_bf16", "x86-neither", "aarch64-bf16", "aarch64-neither", "empty"],
)
def test_native_bf16_from_cpuinfo(cpuinfo: str, native: bool) -> None:
    from restorekit.runtime import cpu_flags, native_bf16

    assert native_bf16(cpu_flags(cpuinfo)) is native


def test_cpu_model_from_cpuinfo() -> None:
    from restorekit.runtime import cpu_model

    assert cpu_model(X86.format("")) == "Intel(R) Xeon(R) Processor"
    assert cpu_model(ARM.format("bf16"))  # no model name line: platform's answer, never empty


# Records OMP_WAIT_POLICY at the moment torch is first imported, then runs the CLI.
SPY = r"""
import json, os, sys
seen = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and "policy" not in seen:
            seen["policy"] = os.environ.get("OMP_WAIT_POLICY")
            seen["spin"] = os.environ.get("GOMP_SPINCOUNT")
sys.meta_path.insert(0, Spy())
import restorekit.runtime as runtime
if os.environ.get("SPY_BUSY"):
    runtime.cpu_busy_share = lambda: float(os.environ["SPY_BUSY"])
from restorekit.cli.main import main
code = main(["--threads", "1", "models"])
print(json.dumps({"code": code, **seen}))
"""


def _spy(env_extra: dict[str, str]) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_extra, OMP_DISPLAY_ENV="VERBOSE")
    out = subprocess.run(
        [sys.executable, "-c", SPY], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_cli_sets_passive_wait_on_a_busy_machine_before_torch_loads() -> None:
    seen, stderr = _spy({"SPY_BUSY": "0.5"})
    assert seen == {"code": 0, "policy": "PASSIVE", "spin": None}
    if "GOMP_SPINCOUNT" in stderr:  # GNU OpenMP shows what it read: no spinning at all
        assert "GOMP_SPINCOUNT = '0'" in stderr


def test_cli_bounds_the_spin_on_an_idle_machine() -> None:
    seen, stderr = _spy({"SPY_BUSY": "0.05"})
    assert seen == {"code": 0, "policy": None, "spin": "10000"}
    if "GOMP_SPINCOUNT" in stderr:
        assert "GOMP_SPINCOUNT = '10000'" in stderr


@pytest.mark.parametrize("env", [{"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "5"}])
def test_user_wait_policy_wins(env: dict[str, str]) -> None:
    seen, _ = _spy({**env, "SPY_BUSY": "0.5"})
    assert (seen["policy"], seen["spin"]) == (env.get("OMP_WAIT_POLICY"), env.get("GOMP_SPINCOUNT"))


def test_busy_share_from_proc_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from restorekit import runtime

    stat = tmp_path / "stat"
    lines = iter(["cpu  100 0 100 800 0 0 0 0 0 0\n", "cpu  200 0 100 900 0 0 0 0 0 0\n"])
    monkeypatch.setattr(runtime.time, "sleep", lambda s: stat.write_text(next(lines)))
    stat.write_text(next(lines))
    assert runtime.cpu_busy_share(0.0, str(stat)) == pytest.approx(0.5)  # 100 busy of 200
    assert runtime.cpu_busy_share(0.0, str(tmp_path / "none")) is None


@pytest.mark.parametrize(
    ("value", "passive"), [("PASSIVE", True), ("passive", True), ("ACTIVE", False), (None, False)]
)
def test_passive_wait_reads_the_openmp_policy(
    monkeypatch: pytest.MonkeyPatch, value: str | None, passive: bool
) -> None:
    from restorekit.runtime import WAIT_POLICY, passive_wait

    if value is None:
        monkeypatch.delenv(WAIT_POLICY, raising=False)
    else:
        monkeypatch.setenv(WAIT_POLICY, value)
    assert passive_wait() is passive
