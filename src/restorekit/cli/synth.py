"""`restorekit synth`: noise a folder of clean images (CBDNet camera, unprocessing or AWGN)."""

from __future__ import annotations

import argparse

from restorekit.errors import RestoreKitError
from restorekit.synth import PIPELINES, synthesize_folder

HELP = "write synthetic noisy images, noise maps and parameter JSONs for a folder of clean images"


def _range(text: str, what: str, cast: type) -> tuple:
    parts = text.split(":")
    if len(parts) > 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"{what} must be VALUE or LOW:HIGH, got '{text}'")
    try:
        values = tuple(cast(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{what} must be VALUE or LOW:HIGH, got '{text}'"
        ) from None
    return values if len(values) == 2 else values * 2


def _jpeg(text: str) -> tuple[int, int]:
    low, high = _range(text, "--jpeg", int)
    if not 1 <= low <= high <= 100:
        raise argparse.ArgumentTypeError("--jpeg qualities must satisfy 1 <= LOW <= HIGH <= 100")
    return low, high


def _sigma(text: str) -> tuple[float, float]:
    low, high = _range(text, "--sigma", float)
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("--sigma must satisfy 0 <= LOW <= HIGH")
    return low, high


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """IN_DIR OUT_DIR plus pipeline options."""
    parser.add_argument(
        "input", metavar="IN_DIR", help="folder, image file or glob of clean images"
    )
    parser.add_argument("output", metavar="OUT_DIR", help="output folder (created if missing)")
    parser.add_argument(
        "--pipeline",
        choices=PIPELINES,
        default="cbdnet",
        help="degradation (default: cbdnet, AddNoiseMosai.m semantics); rain_streaks and "
        "motion_blur write rainy or blurry images",
    )
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument(
        "--jpeg",
        type=_jpeg,
        metavar="Q|LOW:HIGH",
        help="JPEG-compress the noisy images at a quality drawn per image (e.g. 60:100)",
    )
    parser.add_argument(
        "--sigma",
        type=_sigma,
        metavar="S|LOW:HIGH",
        help="awgn only: sigma on the 0-255 scale, fixed or drawn per image (default 0:50)",
    )
    parser.add_argument(
        "--crf-bank",
        metavar="DIR",
        help="cbdnet only: folder with CBDNet's 201_CRF_data.mat and dorfCurvesInv.mat "
        "(default: restorekit's built-in parametric curves)",
    )
    parser.add_argument(
        "--map-format",
        choices=("png", "npy"),
        default="png",
        help="noise maps as 16-bit PNG (std * 65535) or float32 .npy (default png)",
    )
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (default: shown on a terminal)"
    )


def run(args: argparse.Namespace) -> int:
    """Synthesise the folder and report what was written."""
    if args.seed < 0:
        raise RestoreKitError(f"--seed must be >= 0, got {args.seed}")
    sigma = None if args.sigma is None else tuple(v / 255 for v in args.sigma)
    summary = synthesize_folder(
        args.input,
        args.output,
        pipeline=args.pipeline,
        seed=args.seed,
        jpeg=args.jpeg,
        sigma=sigma,
        crf_bank=args.crf_bank,
        map_format=args.map_format,
        device=args.device,
        progress=False if args.no_progress else None,
    )
    print(f"wrote {len(summary.noisy)} noisy image(s), noise maps and JSONs to {args.output}")
    return 0
