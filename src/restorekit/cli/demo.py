"""`restorekit demo`: the README's main job (see restorekit.demo)."""

from __future__ import annotations

import argparse

from restorekit.infer.loading import DEFAULT_MODEL

HELP = "denoise a sample photo with camera noise using the default model, next to BM3D"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Output folder, model and seed."""
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument(
        "--model", default=None, help=f"model name or file (default: {DEFAULT_MODEL})"
    )
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--no-bm3d", action="store_true", help="skip the BM3D baseline")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its table."""
    from restorekit.demo import run_demo

    result = run_demo(
        args.out, model=args.model or DEFAULT_MODEL, seed=args.seed, bm3d=not args.no_bm3d
    )
    print(f"{'method':<16} {'PSNR (dB)':>10} {'SSIM':>8}")
    for name, (p, s) in result.scores.items():
        print(f"{name:<16} {p:>10.2f} {s:>8.4f}")
    print("wrote " + ", ".join(str(f) for f in result.files))
    return 0
