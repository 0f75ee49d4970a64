"""`restorekit adapt`: fine-tune a denoiser to one camera, from a few noisy/clean pairs or
from the camera's darktable noise profile with zero pairs.

Examples::

    restorekit adapt mycam_pairs/ -o mycam.safetensors                 # aindnet-real, 10 min
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

from restorekit.cli.options import gigabytes
from restorekit.errors import RestoreKitError

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
    parser.add_argument(
        "--base",
        default="aindnet-real",
        help="model to start from: bundled name or file (default aindnet-real)",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help="wall-clock budget, scoring included (default 10, zero pairs 5; 0 = none, needs "
        "--max-steps)",
    )
    parser.add_argument("--max-steps", type=int, help="stop after this many updates")
    parser.add_argument(
        "--trainable",
        choices=("transfer", "all"),
        default="transfer",
        help="transfer: AIN layers, noise estimator and last conv only (default); all: every "
        "parameter (models without AIN layers, e.g. HINet)",
    )
    parser.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    parser.add_argument("--batch-size", type=int, default=8, help="patches per step (default 8)")
    parser.add_argument(
        "--patch-size",
        type=int,
        default=96,
        help="patch side, at most the smallest training image's short side (default 96)",
    )
    parser.add_argument(
        "--max-memory",
        type=gigabytes,
        metavar="GB",
        help="memory one training step may use, estimated before training (default: 90%% of "
        "the free memory)",
    )
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.25,
        help="share held out for scoring and early stopping (default 0.25)",
    )
    parser.add_argument(
        "--holdout-by",
        choices=("auto", "pairs", "strip"),
        help="hold out whole pairs, or the bottom strip of every pair (auto, the default with "
        "pairs: pairs when at least one whole pair falls to the hold-out, else strips; zero "
        "pairs: strip)",
    )
    parser.add_argument(
        "--eval-every", type=int, default=25, help="score the hold-out every N steps (default 25)"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=4,
        help="stop after N scores without a gain of 0.01 dB (default 4)",
    )
    parser.add_argument(
        "--min-steps",
        type=int,
        default=250,
        help="never stop early before N updates: the hold-out score often dips at first "
        "(default 250)",
    )
    parser.add_argument(
        "--eval-size",
        type=int,
        default=512,
        help="centre-crop held-out images to this side to keep scoring fast (default 512)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of patches and flips")
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (default cpu)")
    parser.add_argument("--split-file", help="use only the names a split file lists")
    parser.add_argument("--split", help="the list to use in --split-file (e.g. train)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Adapt, then print the held-out scores and where the model is."""
    from restorekit.adapt import adapt, adapt_to_camera

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
    minutes = (5.0 if zero else 10.0) if args.minutes is None else args.minutes
    common = dict(
        base=args.base,
        minutes=minutes if minutes else None,
        max_steps=args.max_steps,
        trainable=args.trainable,
        lr=args.lr,
        batch_size=args.batch_size,
        patch_size=args.patch_size,
        holdout=args.holdout,
        eval_every=args.eval_every,
        patience=args.patience,
        min_steps=args.min_steps,
        eval_size=args.eval_size,
        seed=args.seed,
        threads=args.threads,
        device=args.device,
        max_memory=args.max_memory,
        progress=False if args.no_progress else None,
    )
    if args.holdout_by is not None:
        common["holdout_by"] = args.holdout_by
    if zero:
        result = adapt_to_camera(
            args.output,
            camera=args.camera,
            iso=args.iso,
            like=args.like,
            clean=args.clean,
            downscale=args.downscale,
            profiles=args.profiles,
            crf_bank=args.crf_bank,
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
