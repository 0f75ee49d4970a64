"""Validation score of trained weights at several tile sizes: how ``max_tile`` is chosen.

    python scripts/val_tiles.py configs/hinet_derain_syn.yaml runs/derain/final.safetensors \\
        whole,128,192,256

Instance-normalised models (AINDNet, HINet) normalise with the statistics of their whole input, so
the tile size used at inference changes the result. This scores the weights on the recipe's own
validation set (``val``: dataset, synthetic noise seeded per image, Y channel if set; never a test
set) with ``restorekit.infer.restore`` at each tile size (``--overlap`` 32 px, blended) and prints
one line per size; the best becomes the bundled model's ``max_tile``.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from restorekit.errors import RestoreKitError
from restorekit.train.config import load_config
from restorekit.train.distributed import DistEnv
from restorekit.train.trainer import val_data
from restorekit.train.validate import validate
from restorekit.weights import load_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", help="the training recipe (its val section is used)")
    parser.add_argument("weights", help="model file")
    parser.add_argument("tiles", help="comma-separated: whole and/or tile sides in pixels")
    parser.add_argument("--max-images", type=int, help="only the first N validation images")
    parser.add_argument("--overlap", type=int, default=32, help="tile overlap in pixels (32)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        tiles = [None if t == "whole" else int(t) for t in args.tiles.split(",")]
        cfg = load_config(args.recipe)
        sets = val_data(cfg)
        if not sets:
            raise RestoreKitError("the recipe has no val section", args.recipe)
        model = load_model(args.weights)
    except (RestoreKitError, ValueError) as err:
        print(f"val_tiles: {err}", file=sys.stderr)
        return 2
    env = DistEnv(rank=0, local_rank=0, world_size=1, device=torch.device("cpu"))
    for tile in tiles:
        start = time.perf_counter()
        try:
            scores = validate(
                model,
                sets[0].dataset,
                env=env,
                seed=cfg.seed,
                synth=sets[0].synth,
                y_channel=sets[0].y_channel,
                tile=tile,
                overlap=args.overlap,
                max_images=args.max_images,
            )
        except RestoreKitError as err:
            print(f"val_tiles: {err}", file=sys.stderr)
            return 2
        seconds = time.perf_counter() - start
        psnr, ssim = scores["psnr"], scores["ssim"]
        print(f"tile {tile or 'whole'}: PSNR {psnr:.3f} SSIM {ssim:.4f} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
