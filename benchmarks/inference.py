"""Inference speed and peak memory of the default model on a 12-megapixel photo (CPU).

Prints megapixels per second and the process's peak resident memory for each precision, with
the tile size ``--tile auto`` chose from the memory budget (``restorekit.infer.memory``). Each
precision runs in a fresh process so peak memory is measured per run. ``--model`` times another
bundled model or file; ``--arch`` an architecture with random weights (speed and memory do not
depend on the weight values).

Both allocator settings run side by side: ``tuned`` is what the CLI does at start-up
(``restorekit.runtime.tune_malloc``), ``default`` is glibc's own behaviour.

    python benchmarks/inference.py                      # 12 MP, fp32 and bf16
    python benchmarks/inference.py --megapixels 1 --arch aindnet --precisions fp32
    python benchmarks/inference.py --backends torch,onnx --precisions fp32,auto --mallocs tuned \\
        --loads idle,busy --pair NOISY.png CLEAN.png      # issue #18's table: idle and under load
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from threads import competing_process  # the busy loop of --loads busy


def _peak_rss() -> int:
    """Peak resident set size of this process in bytes (VmHWM on Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _size(megapixels: float) -> tuple[int, int]:
    """A 4:3 image of about ``megapixels`` (12 MP -> 3000 x 4000)."""
    height = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    return height, round(height * 4 / 3)


def _child(args: argparse.Namespace) -> None:
    from restorekit.runtime import choose_wait_policy, tune_malloc

    wait = choose_wait_policy()  # as the CLI does before torch starts: PASSIVE on a busy machine
    import torch

    if args.malloc == "tuned" and not tune_malloc():
        raise SystemExit("tune_malloc() did not apply (not glibc, or MALLOC_* set)")
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    from restorekit.infer.loading import load_models
    from restorekit.infer.precision import choose_precision
    from restorekit.infer.restore import resolve_tile, restore_output
    from restorekit.models import build_model

    # a bundled name or file loads ready; otherwise the architecture with random weights
    model = load_models(args.model or build_model(args.arch), "cpu")
    run = None
    if args.backend == "onnx":
        from restorekit.infer.backend import onnx_runner

        run = onnx_runner(model)  # exported (or read from the cache) before the clock starts
    height, width = _size(args.megapixels)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, height, width, generator=generator) * 0.2 + 0.4
    warm = torch.rand(1, 3, 64, 64, generator=generator)
    if args.precision == "auto":  # the CLI probes once per run, on its first image
        args.precision = choose_precision(model, x, "auto")
    restore_output(model, warm, precision=args.precision, run=run)
    start = time.perf_counter()
    tile = args.tile if args.tile == "auto" else (int(args.tile) or None)  # 0 = whole image
    tile = resolve_tile(
        model, x, tile, overlap=32, precision=args.precision, max_memory=args.max_memory
    )
    out = restore_output(model, x, tile=tile, overlap=32, precision=args.precision, run=run)
    seconds = time.perf_counter() - start
    assert out.image.shape == x.shape
    quality = None
    if args.pair:  # PSNR (uint8 output, RGB) on a real noisy/clean pair, same settings
        from restorekit.io import read_image
        from restorekit.metrics import psnr

        noisy, clean = (torch.from_numpy(read_image(p)[0].copy())[None] for p in args.pair)
        asked = args.tile if args.tile == "auto" else (int(args.tile) or None)
        image = restore_output(model, noisy, tile=asked, precision=args.precision, run=run).image
        rounded = (image[0].clamp(0, 1) * 255).round().numpy()
        quality = psnr(rounded, (clean[0] * 255).round().numpy(), data_range=255.0)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak": _peak_rss(),
                "tile": tile,
                "size": [height, width],
                "threads": torch.get_num_threads(),
                "precision": args.precision,
                "psnr": quality,
                "wait": wait or "set in the environment",
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundled name or model file (default: the default model)")
    parser.add_argument(
        "--arch",
        help="a registry architecture to time with random weights instead of a model",
    )
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--tile", default="auto", help="auto, 0 (whole image) or a side")
    parser.add_argument("--max-memory", type=float, help="memory budget in GB for --tile auto")
    parser.add_argument("--mallocs", default="tuned,default", help="tuned, default or both")
    parser.add_argument(
        "--backends", default="torch", help="torch, onnx or both (onnx: fp32 runs only)"
    )
    parser.add_argument("--loads", default="idle", help="idle, busy (a busy-loop process) or both")
    parser.add_argument(
        "--pair", nargs=2, metavar=("NOISY", "CLEAN"), help="also PSNR on this real pair"
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--precision", help=argparse.SUPPRESS)
    parser.add_argument("--malloc", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.max_memory is not None:
        args.max_memory = int(args.max_memory * 1024**3)
    if args.child:
        _child(args)
        return

    from restorekit.infer.loading import DEFAULT_MODEL

    if args.model is None and args.arch is None:
        args.model = DEFAULT_MODEL
    what = args.model or f"{args.arch} with random weights"
    height, width = _size(args.megapixels)
    print(f"model: {what}")
    print(
        f"image: {width}x{height} ({height * width / 1e6:.1f} MP), CPU cores: {os.cpu_count()}, "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'load':<6}{'backend':<8}{'precision':<10}{'malloc':>8}{'tile':>12}{'seconds':>10}"
        f"{'MP/s':>8}{'peak RSS':>12}{'PSNR':>8}  OpenMP wait"
    )
    runs = [
        (load, b, p, m)
        for load in args.loads.split(",")
        for b in args.backends.split(",")
        for p in args.precisions.split(",")
        for m in args.mallocs.split(",")
        if b == "torch" or p == "fp32"
    ]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    for load, backend, precision, malloc in runs:
        command = [
            sys.executable,
            __file__,
            "--child",
            "--backend",
            backend,
            "--precision",
            precision,
            "--malloc",
            malloc,
            *(["--threads", str(args.threads)] if args.threads is not None else []),
            "--megapixels",
            str(args.megapixels),
            "--tile",
            args.tile,
            *(["--arch", args.arch] if args.arch else []),
        ]
        if args.model:
            command += ["--model", str(args.model)]
        if args.max_memory is not None:
            command += ["--max-memory", str(args.max_memory / 1024**3)]
        if args.pair:
            command += ["--pair", *args.pair]
        env = dict(child_env, RESTOREKIT_NO_MALLOC_TUNING="1") if malloc == "default" else child_env
        with competing_process(load == "busy"):
            proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if proc.returncode != 0:
            failed = proc.stderr.strip().splitlines()[-1:]
            print(f"{load:<6}{backend:<8}{precision:<10}{malloc:>8} failed: {failed}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        tile = result["tile"]
        tile_text = (
            "whole"
            if tile is None
            else "x".join(map(str, tile if isinstance(tile, list) else [tile] * 2))
        )
        mp = result["size"][0] * result["size"][1] / 1e6
        if precision != result["precision"]:
            precision = f"{precision}:{result['precision']}"
        quality = "-" if result["psnr"] is None else f"{result['psnr']:.2f}"
        print(
            f"{load:<6}{backend:<8}{precision:<10}{malloc:>8}{tile_text:>12}"
            f"{result['seconds']:>10.1f}{mp / result['seconds']:>8.3f}"
            f"{result['peak'] / 1024**3:>10.2f} GB{quality:>8}  {result['wait']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
