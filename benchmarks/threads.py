"""`restorekit denoise` speed under the OpenMP wait policies, idle and on a busy machine.

Runs `restorekit denoise` on a generated image (2 MP by default) for each OpenMP wait setting
(``default``: OpenMP's own, spinning a while before it sleeps; ``PASSIVE``; ``spin10000``:
``GOMP_SPINCOUNT=10000``; ``auto``: what the CLI chooses from the machine's load at start-up,
``restorekit.runtime.choose_wait_policy``) on an idle machine and beside one competing CPU-bound
process (a Python busy loop), each in a fresh process, and prints megapixels per second. Each
process denoises the image twice and times the second run, so imports, model loading and the
allocator's first page faults are not counted.

Acceptance (issue #18): ``auto`` idle within 5 % of default idle, and ``auto`` loaded near the
fair share (idle speed x cores left / cores). Run it on an otherwise quiet machine:

    python benchmarks/threads.py                  # 2 MP, torch's default thread count
    python benchmarks/threads.py --threads 1 --megapixels 0.05   # a quick smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

POLICIES = {  # name -> environment set before the child starts (None: the CLI chooses)
    "default": {},
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin10000": {"GOMP_SPINCOUNT": "10000"},
    "auto": None,
}
LOADS = ("idle", "1 busy process")

# Children other than "auto" import torch before the CLI so that the CLI cannot choose.
CHILD = """
import json, sys, time
if sys.argv[2] != "auto":
    import torch
from restorekit.cli.main import main
argv = json.loads(sys.argv[1])
main(argv)
import torch
start = time.perf_counter()
code = main(argv)
seconds = time.perf_counter() - start
print(json.dumps({"code": code, "seconds": seconds, "threads": torch.get_num_threads()}))
"""
BUSY = "while True:\n    pass\n"


def write_image(path: Path, megapixels: float) -> tuple[int, int]:
    """A 4:3 noisy test photo of about ``megapixels`` as an 8-bit PNG; returns (height, width)."""
    import numpy as np
    from PIL import Image

    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    width = round(height * 4 / 3)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    planes = [np.sin(40 * xx + 3 * yy), np.cos(30 * yy), np.sin(25 * (xx + yy))]
    image = 0.5 + 0.3 * np.stack(planes, axis=-1) + rng.normal(0, 15 / 255, (height, width, 3))
    Image.fromarray((image.clip(0, 1) * 255).round().astype(np.uint8)).save(path)
    return height, width


@contextlib.contextmanager
def competing_process(busy: bool) -> Iterator[None]:
    """With ``busy``, a CPU-bound busy loop in another process for the duration, already running
    when the body starts (so a child that looks at the load at start-up sees it)."""
    competitor = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
    try:
        if competitor is not None:
            time.sleep(0.5)
        yield
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()


def run_child(argv: list[str], policy: str, busy: bool) -> dict:
    """One fresh process denoising with ``policy``, beside a busy loop if ``busy``."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(POLICIES[policy] or {})
    with competing_process(busy):
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(argv), policy],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise SystemExit(f"{policy}: denoise failed: {lines[-1] if lines else proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=2.0)
    parser.add_argument("--model", help="bundled name or model file (default: the default model)")
    parser.add_argument("--threads", type=int, help="restorekit --threads (default: torch's)")
    parser.add_argument("--precision", default="fp32", help="denoise --precision (fp32)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "photo.png"
        height, width = write_image(image, args.megapixels)
        argv = [*(["--threads", str(args.threads)] if args.threads else []), "denoise"]
        argv += [str(image), "-o", str(Path(tmp) / "out.png"), "-q"]
        argv += ["--precision", args.precision, *(["-m", args.model] if args.model else [])]
        megapixels = height * width / 1e6
        print(
            f"image: {width}x{height} ({megapixels:.2f} MP), CPU cores: {os.cpu_count()}, "
            f"load average before: {os.getloadavg()[0]:.1f}"
        )
        print(f"{'policy':<10}{'load':<16}{'threads':>8}{'seconds':>10}{'MP/s':>8}")
        speeds: dict[tuple[str, str], float] = {}
        for policy in POLICIES:
            for load in LOADS:
                time.sleep(1)  # let the previous run's processes go
                result = run_child(argv, policy, busy=load != "idle")
                speeds[policy, load] = megapixels / result["seconds"]
                print(
                    f"{policy:<10}{load:<16}{result['threads']:>8}{result['seconds']:>10.2f}"
                    f"{speeds[policy, load]:>8.3f}",
                    flush=True,
                )
    idle_change = speeds["auto", "idle"] / speeds["default", "idle"] - 1
    cores = os.cpu_count() or 1
    fair = speeds["auto", "idle"] * max(cores - 1, 1) / cores
    print(f"auto vs default, idle: {idle_change:+.1%} (issue #18: no worse than -5 %)")
    print(
        f"auto loaded: {speeds['auto', LOADS[1]]:.3f} MP/s, fair share "
        f"{fair:.3f} MP/s (idle x {max(cores - 1, 1)}/{cores} cores)"
    )


if __name__ == "__main__":
    main()
