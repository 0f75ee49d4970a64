"""`restorekit calibrate`: fit a camera's signal-dependent noise from noisy/clean pairs.

Examples::

    restorekit calibrate mycam_pairs/          # noise_calibration.yaml, .fit.json, .plot.png
    restorekit calibrate ../shared/data/PolyU --split-file ../shared/data/PolyU/split.json \\
        --split train -o polyu_noise.yaml

The YAML is the ``data.noise`` section of a training recipe (Poisson-Gaussian by default), so
``configs/aindnet_sn.yaml`` can pre-train on synthetic noise matching the camera; the command
prints the override that does it.
"""

from __future__ import annotations

import argparse

HELP = "fit Poisson-Gaussian and CBDNet noise models to your camera's noisy/clean pairs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PAIRS_DIR, -o and the fit settings."""
    parser.add_argument("pairs", metavar="PAIRS_DIR", help="noisy/ + gt/ folders, or bursts")
    parser.add_argument(
        "-o",
        "--output",
        default="noise_calibration.yaml",
        help="recipe section to write (.yaml); the fit goes beside it as STEM.fit.json and "
        "the plot as STEM.plot.png (default noise_calibration.yaml)",
    )
    parser.add_argument(
        "--model",
        choices=("poisson_gaussian", "cbdnet_gaussian", "cbdnet"),
        default="poisson_gaussian",
        help="noise model of the recipe section (all are fitted; cbdnet, CBDNet's camera chain "
        "through a response curve, needs RGB pairs; default poisson_gaussian)",
    )
    parser.add_argument(
        "--crf-bank",
        metavar="DIR",
        help="CBDNet's DoRF files (201_CRF_data.mat, dorfCurvesInv.mat) for the camera-chain "
        "fit (default: the built-in curves; the DoRF curves fit real cameras better)",
    )
    parser.add_argument(
        "--bins", type=int, default=32, help="intensity bins per channel (default 32)"
    )
    parser.add_argument(
        "--min-count", type=int, default=100, help="fewest pixels a fitted bin has (default 100)"
    )
    parser.add_argument(
        "--max-clipped",
        type=float,
        default=0.005,
        help="bins with a larger share of pixels at 0 or 1 are left out (default 0.005)",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG plot")
    parser.add_argument("--split-file", help="use only the names a split file lists")
    parser.add_argument("--split", help="the list to use in --split-file (e.g. train)")


def run(args: argparse.Namespace) -> int:
    """Calibrate, then print the fit, the files and how to train with it."""
    from restorekit.adapt import calibrate

    result = calibrate(
        args.pairs,
        args.output,
        split_file=args.split_file,
        split=args.split,
        model=args.model,
        bins=args.bins,
        min_count=args.min_count,
        max_clipped=args.max_clipped,
        plot=not args.no_plot,
        crf_bank=args.crf_bank,
    )
    print(f"restorekit calibrate: {result.summary()}")
    print(f"wrote {', '.join(str(p) for p in result.files)}")
    print(f'train on it: restorekit train -c configs/aindnet_sn.yaml "{result.override()}"')
    return 0
