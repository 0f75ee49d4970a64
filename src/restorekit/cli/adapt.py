"""`restorekit adapt`: fine-tune a denoiser to one camera, from a few noisy/clean pairs or
from the camera's darktable noise profile with zero pairs.

Examples::

    restorekit adapt mycam_pairs/ -o mycam.safetensors                 # from aindnet-sn
    restorekit adapt mycam_pairs/ -o mycam.safetensors --minutes 3 --base my_sn.safetensors
    restorekit adapt --camera "NIKON D800" --iso 3200 --clean low_iso/ -o d800.safetensors
    restorekit adapt --like DSC_0042.jpg -o d800.safetensors        # camera + ISO from EXIF
    restorekit denoise photo.jpg --model mycam.safetensors

PAIRS_DIR holds ``noisy/`` + ``gt/`` (pairs by file name) or one sub-folder per scene with a
burst of aligned frames (the first is the input, the mean of the others the reference).
Without pairs, ``--camera``/``--iso`` or ``--like`` pick a noise profile from darktable's
``noiseprofiles.json`` (installed with darktable, or ``--profiles PATH``; restorekit ships
none), synthesised over ``--clean`` photos or, without them, over the ``--like`` photo shrunk
4x (``restorekit.adapt.zero_pair``).
"""

from __future__ import annotations

import argparse
import dataclasses

from restorekit.adapt.finetune import AdaptOptions, adapt
from restorekit.adapt.zero_pair import adapt_to_camera
from restorekit.cli.options import gigabytes
from restorekit.errors import RestoreKitError

DEFAULTS = {f.name: f.default for f in dataclasses.fields(AdaptOptions)}
OPTIONS: tuple[tuple[str, str, dict], ...] = (
    ("--base", "model to start from: bundled name or file", {}),
    (
        "--minutes",
        "wall-clock budget, scoring included; 0 = none, needs --max-steps",
        {"type": float},
    ),
    ("--max-steps", "stop after this many updates", {"type": int}),
    (
        "--trainable",
        "transfer: AIN layers, noise estimator and last conv only; all: every parameter "
        "(models without AIN layers, e.g. HINet)",
        {"choices": ("transfer", "all")},
    ),
    ("--lr", "learning rate", {"type": float}),
    ("--batch-size", "patches per step", {"type": int}),
    ("--patch-size", "patch side, at most the smallest training image's short side", {"type": int}),
    (
        "--max-memory",
        "GB one training step may use, estimated before training; none: 90%% of the free memory",
        {"type": gigabytes, "metavar": "GB"},
    ),
    ("--precision", "fp32, or bf16/fp16 autocast", {"choices": ("fp32", "bf16", "fp16")}),
    ("--holdout", "share held out for scoring and early stopping", {"type": float}),
    (
        "--holdout-by",
        "hold out whole pairs, or the bottom strip of every pair (auto: pairs when at least one "
        "whole pair falls to the hold-out, else strips; zero pairs: strip)",
        {"choices": ("auto", "pairs", "strip")},
    ),
    ("--eval-every", "score the hold-out every N steps", {"type": int}),
    ("--patience", "stop after N scores without a gain of --min-delta dB", {"type": int}),
    ("--min-delta", "the gain in dB a score must beat the best by", {"type": float}),
    (
        "--min-steps",
        "never stop early before N updates: the hold-out score often dips at first",
        {"type": int},
    ),
    ("--eval-size", "centre-crop held-out images to this side to keep scoring fast", {"type": int}),
    ("--seed", "seed of patches and flips", {"type": int}),
    ("--device", "cpu, cuda or auto", {}),
    (
        "--run-dir",
        "keep the run in this folder: checkpoints, logs, TensorBoard (none: a temporary folder)",
        {"metavar": "DIR"},
    ),
)
ZERO_PAIR_ARGS = ("camera", "iso", "like", "clean", "downscale", "profiles", "crf_bank")

HELP = "fine-tune a model's AIN layers to your camera: a few noisy/clean pairs, or none"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PAIRS_DIR, -o, the base model and the fine-tuning settings."""
    parser.add_argument(
        "pairs", nargs="?", metavar="PAIRS_DIR", help="noisy/ + gt/ folders, or bursts"
    )
    zero = parser.add_argument_group("zero pairs: a camera's noise profile instead of PAIRS_DIR")
    zero.add_argument("--camera", metavar="NAME", help='camera as EXIF names it, e.g. "NIKON D800"')
    zero.add_argument(
        "--iso", type=float, help="the ISO to adapt to (with --camera; overrides EXIF)"
    )
    zero.add_argument("--like", metavar="PHOTO", help="take camera and ISO from this photo's EXIF")
    zero.add_argument(
        "--clean",
        metavar="PATH",
        nargs="+",
        help="clean photos (files or folders, e.g. low-ISO shots) to add the noise to "
        "(default: the --like photo, shrunk 4x)",
    )
    zero.add_argument(
        "--downscale",
        type=int,
        metavar="K",
        help="area-average the clean photos K x K first (default 1 for --clean, 4 for --like)",
    )
    zero.add_argument("--copies", type=int, help="noisy versions of each clean photo (default 4)")
    zero.add_argument("--profiles", metavar="PATH", help="darktable noiseprofiles.json to read")
    zero.add_argument(
        "--gain",
        type=float,
        help="irradiance of a raw value 1 (default 4: what fits PolyU's measured noise)",
    )
    zero.add_argument(
        "--crf-bank",
        metavar="DIR",
        help="CBDNet's DoRF response curves (folder); default: the built-in parametric bank",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="the adapted model to write: a .safetensors name that is no input file, checked "
        "before training",
    )
    # Options of restorekit.adapt.AdaptOptions: passed on only when given, so the library's
    # defaults (shown in the help) are the only ones.
    group = parser.add_argument_group("fine-tuning (restorekit.adapt.AdaptOptions)")
    for flag, help, kwargs in OPTIONS:
        default = DEFAULTS[flag[2:].replace("-", "_")]
        shown = (
            "none" if default is None else f"{default:g}" if isinstance(default, float) else default
        )
        group.add_argument(
            flag, default=argparse.SUPPRESS, help=f"{help} (default {shown})", **kwargs
        )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --run-dir where it stopped"
    )
    parser.add_argument("--split-file", help="use only the names a split file lists")
    parser.add_argument("--split", help="the list to use in --split-file (e.g. train)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Adapt, then print the held-out scores and where the model is."""
    zero = args.camera is not None or args.like is not None
    if zero == (args.pairs is not None):
        raise RestoreKitError("give PAIRS_DIR, or --camera with --iso, or --like PHOTO")
    if not zero:
        extra = [
            f for f in ("clean", "downscale", "profiles", "crf_bank", "iso") if getattr(args, f)
        ]
        if extra:
            raise RestoreKitError(f"--{extra[0].replace('_', '-')} needs --camera or --like")
    elif args.split_file is not None or args.split is not None:
        raise RestoreKitError("--split-file and --split select pairs of PAIRS_DIR")
    if args.camera is not None and args.like is not None:
        raise RestoreKitError("give --camera or --like, not both")
    common = {k: v for k, v in vars(args).items() if k in DEFAULTS}
    if common.get("minutes") == 0:
        common["minutes"] = None
    if args.no_progress:
        common["progress"] = False
    if zero:
        result = adapt_to_camera(
            args.output,
            **{k: getattr(args, k) for k in ZERO_PAIR_ARGS},
            **{k: v for k in ("copies", "gain") if (v := getattr(args, k)) is not None},
            **common,
        )
        print(f"restorekit adapt: {result.metadata['synthetic']['summary']}")
    else:
        result = adapt(
            args.pairs, args.output, split_file=args.split_file, split=args.split, **common
        )
    print(f"restorekit adapt: {result.summary()}")
    print(f"wrote {result.output} (restorekit denoise --model {result.output})")
    return 0
