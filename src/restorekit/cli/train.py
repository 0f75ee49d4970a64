"""`restorekit train`: train a model from a YAML recipe, with ``key.sub=value`` overrides.

Examples::

    restorekit train -c configs/aindnet_sn.yaml data.clean=../shared/data/CBSD432
    restorekit train -c configs/hinet_sidd.yaml --resume            # continue runs/hinet_sidd
    restorekit train -c configs/hinet_sidd.yaml resume=runs/hinet_sidd/checkpoints/step-00010000.pt
    torchrun --nproc_per_node 8 -m restorekit train -c configs/hinet_sidd.yaml
"""

from __future__ import annotations

import argparse

from restorekit.train import train

HELP = "train a model from a YAML recipe (AINDNet, HINet), with key=value overrides"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """-c/--config, --resume, and free ``key.sub=value`` overrides."""
    parser.add_argument(
        "-c", "--config", required=True, help="YAML recipe, e.g. configs/hinet_sidd.yaml"
    )
    parser.add_argument(
        "--resume",
        action="store_const",
        const="auto",
        help="continue from the newest checkpoint of the run (same as resume=auto; "
        "resume=PATH picks a checkpoint file)",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="override recipe keys by dotted path, e.g. optim.lr=1e-4 data.batch_size=8 val=null",
    )


def run(args: argparse.Namespace) -> int:
    """Train, then say where the weights are (once, on the main process)."""
    result = train(args.config, args.overrides, resume=args.resume)
    if result.is_main:
        best = "" if result.best is None else f"; best {result.best}"
        stop = "" if result.stopped == "max_steps" else f" ({result.stopped})"
        print(f"restorekit train: step {result.step}{stop}, weights {result.weights}{best}")
    return 0
