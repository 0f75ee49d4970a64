"""`restorekit adapt`: fine-tune a denoiser to one camera from a few noisy/clean pairs.

Examples::

    restorekit adapt mycam_pairs/ -o mycam.safetensors                 # aindnet-real, 10 min
    restorekit adapt mycam_pairs/ -o mycam.safetensors --minutes 3 --base my_sn.safetensors
    restorekit denoise photo.jpg --model mycam.safetensors

PAIRS_DIR holds ``noisy/`` + ``gt/`` (pairs by file name) or one sub-folder per scene with a
burst of aligned frames (the first is the input, the mean of the others the reference).
"""

from __future__ import annotations

import argparse

from restorekit.cli.options import gigabytes

HELP = "fine-tune a model's AIN layers to your camera from a few noisy/clean pairs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PAIRS_DIR, -o, the base model and the fine-tuning settings."""
    parser.add_argument("pairs", metavar="PAIRS_DIR", help="noisy/ + gt/ folders, or bursts")
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
        default=10.0,
        help="wall-clock budget, scoring included (default 10; 0 = none, needs --max-steps)",
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
        default="auto",
        help="hold out whole pairs, or the bottom strip of every pair (auto: pairs when at "
        "least one whole pair falls to the hold-out, else strips)",
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
    from restorekit.adapt import adapt

    result = adapt(
        args.pairs,
        args.output,
        split_file=args.split_file,
        split=args.split,
        base=args.base,
        minutes=args.minutes if args.minutes else None,
        max_steps=args.max_steps,
        trainable=args.trainable,
        lr=args.lr,
        batch_size=args.batch_size,
        patch_size=args.patch_size,
        holdout=args.holdout,
        holdout_by=args.holdout_by,
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
    print(f"restorekit adapt: {result.summary()}")
    print(f"wrote {result.output} (restorekit denoise --model {result.output})")
    return 0
