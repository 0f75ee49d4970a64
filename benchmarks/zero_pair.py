"""Does zero-pair adaptation help on real photos? One adaptation per PolyU test camera and ISO.

    python benchmarks/zero_pair.py --jobs 2            # ~5 min per camera/ISO, one core each

Issue #21's benefit table. For every (camera, ISO) group of the PolyU **test** list (camera and
ISO from the file names; the test images are only scored, never trained on), ``--base`` (default
``aindnet-sn``, the bundled model before any real pairs) is adapted to the camera's darktable
profile at that ISO with zero pairs (``restorekit.adapt.adapt_to_camera``: profile gain 4,
in-camera JPEG 85-100, over ``--clean-count`` CBSD432 images drawn with seed 0, 4 noisy copies
each, ``--minutes`` per adaptation, one thread), then ``restorekit eval --protocol pairs``
(uint8, RGB, ``--tile auto``, fp32) scores the base, the adapted model and ``aindnet-real`` (the
base transferred on all 53 PolyU train pairs) on the group's test images. Prints and writes
``OUT/table.md`` / ``table.json``; adapted models and eval reports stay in ``OUT``. A group whose
model exists is not adapted again.

``--nam docs/camera_profiles/nam/table.json`` scores Nam_CBDNet25 instead: its files carry no camera
or ISO, so each image goes to the camera/ISO whose profile best explains its noise at gain 4
(``benchmarks/nam_profiles.py``), a stand-in for the EXIF a user's photo would have.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path
from typing import Any

import torch
from polyu_cameras import CAMERAS, polyu_groups

from restorekit.adapt import adapt_to_camera
from restorekit.eval import EvalSpec, run_eval
from restorekit.io import atomic_write_text, list_images

REPO = Path(__file__).resolve().parent.parent


def adapt_group(group: str, out: Path, clean: list[str], args: argparse.Namespace) -> float:
    """Adapt the base to one camera/ISO; returns the seconds it took (0 if it existed)."""
    target = out / f"{group}.safetensors"
    if target.exists():
        return 0.0
    torch.set_num_threads(1)
    camera, iso = group.rsplit("_", 1)
    start = time.perf_counter()
    adapt_to_camera(
        target,
        camera=CAMERAS.get(camera, camera),
        iso=float(iso),
        clean=clean,
        profiles=args.profiles,
        base=args.base,
        minutes=args.minutes,
        threads=1,
        progress=False,
    )
    return time.perf_counter() - start


def nam_groups(table: Path) -> dict[str, list[str]]:
    """Nam_CBDNet25's images grouped by their best gain-4 profile candidate, ``<camera>_<ISO>``."""
    found: dict[str, list[str]] = {}
    for row in json.loads(table.read_text(encoding="utf-8"))["rows"]:
        camera, iso, _ = row["best"]["4"]
        found.setdefault(f"{camera}_{iso}", []).append(row["image"])
    return dict(sorted(found.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--profiles", type=Path, help="default: DATA_ROOT/noiseprofiles/...")
    parser.add_argument("--base", default="aindnet-sn")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clean-count", type=int, default=48)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--groups", help="comma-separated camera_ISO subset (default: all)")
    parser.add_argument(
        "--nam",
        type=Path,
        help="score Nam_CBDNet25 instead, grouped by each image's best gain-4 candidate in this "
        "benchmarks/nam_profiles.py table.json (a stand-in for EXIF, which Nam's files lack)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "zero_pair")
    args = parser.parse_args()
    root = args.data_root
    args.profiles = args.profiles or root / "noiseprofiles" / "noiseprofiles.json"
    if args.nam:
        dataset = root / "Nam_CBDNet25"
        groups = nam_groups(args.nam)
    else:
        dataset = root / "PolyU"
        found = polyu_groups(dataset / "split.json", "test")
        groups = dict(sorted((f"{camera}_{iso}", names) for (camera, iso), names in found.items()))
    if args.groups:
        groups = {g: groups[g] for g in args.groups.split(",")}
    pool = [str(p) for p in list_images(root / "CBSD432")]
    clean = sorted(random.Random(0).sample(pool, args.clean_count))
    args.out.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context) as workers:
        futures = {g: workers.submit(adapt_group, g, args.out, clean, args) for g in groups}
        seconds = {g: f.result() for g, f in futures.items()}
    torch.set_num_threads(1)
    methods = (args.base, "zero-pair", "aindnet-real")
    rows: list[dict[str, Any]] = []
    for group, names in groups.items():
        split = args.out / f"{group}.json"
        split.write_text(json.dumps({"test": names}), encoding="utf-8")
        spec = EvalSpec(
            protocol="pairs",
            out=str(args.out / "eval" / group),
            methods=(args.base, str(args.out / f"{group}.safetensors"), "aindnet-real"),
            dataset=str(dataset),
            split_file=str(split),
            split="test",
            device="cpu",
            precision="fp32",
            figure_images=0,
            progress=False,
        )
        summary = run_eval(spec).summary()
        (scores,) = (m for metrics in summary.values() for m in metrics.values())
        psnr = [scores[name]["psnr"] for name in (args.base, group, "aindnet-real")]
        rows.append({"group": group, "images": len(names), "seconds": seconds[group], "psnr": psnr})
        print(group, len(names), [round(p, 2) for p in psnr], flush=True)
    lines = [
        f"| camera_ISO | test images | {methods[0]} | zero-pair | gain | adapt s | aindnet-real |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        base, zero, real = row["psnr"]
        lines.append(
            f"| {row['group']} | {row['images']} | {base:.2f} | {zero:.2f} | {zero - base:+.2f} "
            f"| {row['seconds']:.0f} | {real:.2f} |"
        )
    total = sum(row["images"] for row in rows)
    mean = [sum(r["psnr"][i] * r["images"] for r in rows) / total for i in range(3)]
    lines.append(
        f"| **all (image-weighted)** | {total} | {mean[0]:.2f} | {mean[1]:.2f} | "
        f"{mean[1] - mean[0]:+.2f} | | {mean[2]:.2f} |"
    )
    text = "\n".join(lines) + "\n"
    atomic_write_text(args.out / "table.md", text)
    record = {"args": {k: str(v) for k, v in vars(args).items()}, "clean": clean, "rows": rows}
    atomic_write_text(args.out / "table.json", json.dumps(record, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
