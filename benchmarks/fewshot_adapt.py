"""Few-shot adaptation per camera on PolyU (issue #7): is a handful of real pairs enough?

For every camera model in the PolyU test list, adapt the synthetic-noise (SN) model with 1, 2,
4 and 8 of that camera's training pairs (``restorekit.adapt.adapt``: AIN layers, estimator and
last conv), and score that camera's test images against

* the SN model alone,
* the same architecture trained from scratch on the same pairs (all parameters, same budget),
* BM3D (CBM3D) with the sigma calibrated on the same pairs (``restorekit.adapt.calibrate``):
  per test image ``sqrt(mean_c(a_c * mean(noisy_c) + b_c))``, the Poisson-Gaussian fit's
  variance at the image's mean intensity, rounded to 0.1/255,

plus the wall time of each adaptation and, with ``--reference`` (e.g. ``aindnet-real``: the SN
model transferred on all PolyU training pairs), a model trained on far more of the camera's data,
the ceiling to compare the few-shot gain with. ``--compare-counts`` limits the two baselines
(scratch and BM3D, minutes each) to some pair counts.

Pairs per camera are a seeded permutation of its training names, so the sets are nested (the 2
pairs include the 1); a camera with fewer than 8 training pairs uses all it has. Scores:
``restorekit eval``'s real-pairs variant (uint8 rounding, PSNR and SSIM on RGB, mean over
images), inference as ``--tile auto`` (the SN model's ``max_tile``, which adapted and
from-scratch models inherit). Results go to a JSON file after each step and a Markdown table at
the end.

    python benchmarks/fewshot_adapt.py --sn src/restorekit/assets/models/aindnet-sn.safetensors \\
        --reference aindnet-real --compare-counts 4 8
    python benchmarks/fewshot_adapt.py --sn tiny.safetensors --limit-cameras 1 --limit-test 1 \\
        --counts 1 2 --minutes 0 --max-steps 2 --test-size 64 --out /tmp/smoke.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from restorekit.adapt import Pair, adapt, calibrate, load_pairs
from restorekit.adapt.pairs import centre_crop
from restorekit.data import read_split
from restorekit.eval.methods import BM3DMethod
from restorekit.eval.metric_spec import uint8_metric
from restorekit.infer import restore
from restorekit.models import build_model
from restorekit.weights import load_model, read_metadata, save_model

ROOT = Path(__file__).resolve().parents[1]
METRIC = uint8_metric()


def camera_of(name: str) -> str:
    """PolyU names start with the camera model: ``Canon5D2_5_160_3200_chair_11.JPG``."""
    return name.split("_", 1)[0]


def score_model(model: torch.nn.Module, test: list[Pair]) -> dict[str, float]:
    """Mean uint8 PSNR/SSIM of ``model`` over ``test``, run as ``--tile auto`` runs it."""
    values = []
    with torch.inference_mode():
        for pair in test:
            x = torch.from_numpy(pair.noisy)[None]
            out = restore(model.eval(), x, tile="auto")[0].numpy()
            values.append(METRIC.score(out, pair.clean))
    return {"psnr": _mean(v.psnr for v in values), "ssim": _mean(v.ssim for v in values)}


def _mean(values) -> float:
    return float(np.mean(list(values)))


def bm3d_scores(
    fit, test: list[Pair], cache: dict[tuple[str, float], tuple[float, float]]
) -> dict[str, float]:
    """BM3D with the calibrated sigma per test image; outputs cached by (image, sigma)."""
    psnrs, ssims, sigmas = [], [], []
    for pair in test:
        variance = np.mean(
            [fit.a[c] * pair.noisy[c].mean() + fit.b[c] for c in range(pair.noisy.shape[0])]
        )
        sigma_255 = round(float(np.sqrt(max(variance, 1e-12))) * 255, 1) or 0.1
        key = (pair.name, sigma_255)
        if key not in cache:
            out, _ = BM3DMethod(sigma_255).run(pair.noisy, None)
            result = METRIC.score(out, pair.clean)
            cache[key] = (result.psnr, result.ssim)
        psnrs.append(cache[key][0])
        ssims.append(cache[key][1])
        sigmas.append(sigma_255)
    return {"psnr": _mean(psnrs), "ssim": _mean(ssims), "sigma_255": _mean(sigmas)}


def scratch_base(sn: str, folder: Path, seed: int) -> str:
    """A freshly initialised model of the SN model's architecture, saved for ``adapt``."""
    meta = read_metadata(sn)
    torch.manual_seed(seed)
    model = build_model(meta["name"], **meta["kwargs"])
    path = folder / "scratch_init.safetensors"
    tiles = {"max_tile": meta["max_tile"]} if meta.get("max_tile") else {}  # same inference
    save_model(path, model, name=meta["name"], kwargs=meta["kwargs"], source="random init", **tiles)
    return str(path)


def adapt_options(args: argparse.Namespace) -> dict:
    return {
        "minutes": args.minutes or None,
        "max_steps": args.max_steps,
        "batch_size": args.batch_size,
        "patch_size": args.patch_size,
        "eval_every": args.eval_every,
        "patience": args.patience,
        "min_steps": args.min_steps,
        "holdout_by": args.holdout_by,
        "eval_size": args.eval_size,
        "seed": args.seed,
        "threads": args.threads,
        "progress": False,
    }


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def table(rows: list[dict], minutes: float | None, reference: str | None = None) -> str:
    """The Markdown table, per camera and pair count, then the mean over cameras."""
    head = (
        "| camera | pairs | test imgs | SN | adapted | gain | adapt time | scratch | "
        "scratch time | BM3D (sigma/255) | reference |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        scratch = r.get("scratch")
        bm3d = r.get("bm3d")
        lines.append(
            f"| {r['camera']} | {r['pairs']} | {r['test_images']} | {r['sn']['psnr']:.2f} | "
            f"{r['adapted']['psnr']:.2f} | {r['adapted']['psnr'] - r['sn']['psnr']:+.2f} | "
            f"{r['adapt_seconds']:.0f} s | "
            + (
                f"{scratch['psnr']:.2f} | {r['scratch_seconds']:.0f} s | "
                if scratch
                else "- | - | "
            )
            + (f"{bm3d['psnr']:.2f} ({bm3d['sigma_255']:.1f}) |" if bm3d else "- |")
            + (f" {r['reference']['psnr']:.2f} |" if r.get("reference") else " - |")
        )
    by_count = defaultdict(list)
    for r in rows:
        by_count[r["requested"]].append(r)
    for count, group in sorted(by_count.items()):
        gain = _mean(r["adapted"]["psnr"] - r["sn"]["psnr"] for r in group)
        slowest = max(r["adapt_seconds"] for r in group)
        lines.append(
            f"| **mean of {len(group)} cameras** | {count} | | "
            f"{_mean(r['sn']['psnr'] for r in group):.2f} | "
            f"{_mean(r['adapted']['psnr'] for r in group):.2f} | **{gain:+.2f}** | "
            f"max {slowest:.0f} s | "
            + (
                f"{_mean(r['scratch']['psnr'] for r in group):.2f} | |"
                if all(r.get("scratch") for r in group)
                else "- | |"
            )
            + (
                f" {_mean(r['bm3d']['psnr'] for r in group):.2f} |"
                if all(r.get("bm3d") for r in group)
                else " - |"
            )
            + (
                f" {_mean(r['reference']['psnr'] for r in group):.2f} |"
                if all(r.get("reference") for r in group)
                else " - |"
            )
        )
    budget = f"{minutes:g} min" if minutes else "none"
    note = (
        f"\nPSNR/SSIM: uint8 rounding, RGB, mean over the camera's PolyU test images. "
        f"Time budget per adaptation: {budget}; times are wall-clock seconds including scoring "
        "of the held-out part." + (f" Reference: {reference}." if reference else "") + "\n"
    )
    return head + "\n".join(lines) + "\n" + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sn", required=True, help="the SN model (.safetensors) to adapt")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "PolyU"))
    parser.add_argument("--split-file", help="default: DATA/split.json")
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--cameras", nargs="+", help="only these camera models")
    parser.add_argument("--limit-cameras", type=int, help="only the first N cameras")
    parser.add_argument("--limit-test", type=int, help="only the first N test images per camera")
    parser.add_argument("--test-size", type=int, help="centre-crop test images (smoke runs)")
    parser.add_argument("--minutes", type=float, default=5.0, help="budget per adaptation")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--lr", type=float, default=2e-4, help="adaptation lr")
    parser.add_argument("--scratch-lr", type=float, default=1e-3, help="from-scratch lr")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--patch-size", type=int, default=96)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--min-steps", type=int, default=250)
    parser.add_argument(
        "--holdout-by", choices=("auto", "pairs", "strip"), default="auto", help="adapt's rule"
    )
    parser.add_argument("--eval-size", type=int, default=512)
    parser.add_argument("--no-scratch", action="store_true")
    parser.add_argument("--no-bm3d", action="store_true")
    parser.add_argument(
        "--compare-counts", type=int, nargs="+", help="run scratch and BM3D only at these counts"
    )
    parser.add_argument("--reference", help="a model to score per camera as the ceiling")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--out", default="fewshot_adapt.json", help="JSON results")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    data = Path(args.data)
    split_file = args.split_file or data / "split.json"
    train, test = read_split(split_file, "train"), read_split(split_file, "test")
    cameras = sorted({camera_of(n) for n in test})
    if args.cameras:
        cameras = [c for c in cameras if c in args.cameras]
    cameras = cameras[: args.limit_cameras]
    out = Path(args.out)
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "sn": args.sn,
        "settings": vars(args),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "rows": [],
    }
    sn_model = load_model(args.sn)
    reference = load_model(args.reference) if args.reference else None
    options = adapt_options(args)
    bm3d_cache: dict = {}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = None if args.no_scratch else scratch_base(args.sn, Path(scratch_dir), args.seed)
        for camera in cameras:
            test_names = [n for n in test if camera_of(n) == camera][: args.limit_test]
            test_pairs = [centre_crop(p, args.test_size) for p in load_pairs(data, test_names)]
            sn_score = score_model(sn_model, test_pairs)
            ref_score = score_model(reference, test_pairs) if reference is not None else None
            pool = sorted(n for n in train if camera_of(n) == camera)
            order = [pool[i] for i in np.random.default_rng(args.seed).permutation(len(pool))]
            done: set[int] = set()
            for requested in args.counts:
                count = min(requested, len(order))
                if count in done or count == 0:
                    continue
                done.add(count)
                pairs = load_pairs(data, order[:count])
                row = {
                    "camera": camera,
                    "requested": requested,
                    "pairs": count,
                    "pair_names": order[:count],
                    "test_images": len(test_pairs),
                    "sn": sn_score,
                    "reference": ref_score,
                }
                compare = args.compare_counts is None or requested in args.compare_counts
                adapted = adapt(pairs, None, base=args.sn, lr=args.lr, **options)
                row |= {
                    "adapted": score_model(adapted.model, test_pairs),
                    "adapt_seconds": adapted.seconds,
                    "adapt_steps": adapted.steps,
                    "adapt_stopped": adapted.stopped,
                    "adapt_heldout": {"before": adapted.before, "after": adapted.after},
                }
                if scratch is not None and compare:
                    trained = adapt(
                        pairs, None, base=scratch, trainable="all", lr=args.scratch_lr, **options
                    )
                    row |= {
                        "scratch": score_model(trained.model, test_pairs),
                        "scratch_seconds": trained.seconds,
                        "scratch_steps": trained.steps,
                    }
                if not args.no_bm3d and compare:
                    fit = calibrate(pairs, None).fit
                    row["calibration"] = {"a": fit.a, "b": fit.b}
                    row["bm3d"] = bm3d_scores(fit, test_pairs, bm3d_cache)
                results["rows"].append(row)
                write_json(out, results)
                print(
                    f"{camera} {count} pair(s): SN {sn_score['psnr']:.2f}, adapted "
                    f"{row['adapted']['psnr']:.2f} in {adapted.seconds:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    text = table(results["rows"], options["minutes"], args.reference)
    results["table"] = text
    write_json(out, results)
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
