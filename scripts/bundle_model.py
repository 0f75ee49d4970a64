"""Bundle trained weights as a restorekit model: the last stage's final weights plus the record of
every stage, for ``src/restorekit/assets/models/``.

    python scripts/bundle_model.py runs/derain --card hinet-derain.md --max-tile 0 \\
        --data "CBSD432 (Rain100L-free split) + synthetic rain" \\
        -o src/restorekit/assets/models/hinet-derain.safetensors

Each RUN_DIR (in training order) is a ``restorekit train`` run folder: its ``final.safetensors``
metadata holds the resolved recipe, its ``train_log.csv`` the steps and seconds. The bundle gets
the last run's network, kwargs and recipe, a ``training`` entry per stage (recipe name, data,
steps, batch x patch, seconds, precision, lr, seed) plus ``hardware``, the card's name in
``source``, the licence and ``max_tile`` (0: none, whole images). Only weights are written
(safetensors), never optimiser state.

``--after BUNDLE`` continues a bundled model's record: the runs were started from BUNDLE
(``model.init_from``), so its ``training`` entry is kept and the new runs are appended to its
``stages`` (totals of steps and seconds updated)::

    python scripts/bundle_model.py runs/gaussian_color6 --card gaussian-color.md --max-tile 192 \
        --after src/restorekit/assets/models/gaussian-color.safetensors -o out.safetensors
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from restorekit.errors import RestoreKitError
from restorekit.weights import load_model, read_metadata, save_model

LICENCE = "Apache-2.0 (weights); trained on research-use images (see the card)"


def stage_record(run: Path, data: str | None) -> dict[str, Any]:
    """What one training run did, from its final weights' metadata and its log."""
    weights = run / "final.safetensors"
    if not weights.is_file():
        raise RestoreKitError("no final.safetensors: the run has not finished", run)
    recipe = read_metadata(weights)["recipe"]
    with (run / "train_log.csv").open(newline="", encoding="utf-8") as f:
        last = list(csv.DictReader(f))[-1]
    batch, patch = recipe["data"]["batch_size"], recipe["data"]["train"]["kwargs"]["patch_size"]
    return {
        "recipe": recipe["name"],
        "data": data or recipe["data"]["train"]["name"],
        "steps": int(last["step"]),
        "batch": f"{batch} x {patch}x{patch}",
        "seconds": round(float(last["seconds"])),
        "precision": recipe["precision"],
        "lr": recipe["optim"]["lr"],
        "seed": recipe["seed"],
    }


def continue_record(
    earlier: dict[str, Any], stages: dict[str, dict[str, Any]], after: str
) -> dict[str, Any]:
    """``earlier`` (a bundle's ``training`` entry) with ``stages`` appended, each run started
    from the one before it (the first from the bundle ``after``). A record of named stages (as
    this script writes for several runs) gets the new runs as further named stages; a single
    record (steps, seconds, batch) gets them in its ``stages`` list, totals updated."""
    start = f"{after} as bundled before"
    if "steps" not in earlier:
        named = {k: v for k, v in earlier.items() if k != "hardware"}
        for name, record in stages.items():
            if name in named:
                raise RestoreKitError(f"the bundle's record already has a stage '{name}'", name)
            named[name] = {**record, "init_from": start}
            start = f"stage {name}"
        return {**named, "hardware": earlier.get("hardware", "")}
    listed = list(earlier.get("stages", []))
    for name, record in stages.items():
        listed.append({**record, "init_from": start})
        start = f"stage {len(listed)} ({name})"
    steps = int(earlier.get("steps", 0)) + sum(r["steps"] for r in stages.values())
    seconds = int(earlier.get("seconds", 0)) + sum(r["seconds"] for r in stages.values())
    batches = [earlier["batch"]] if "batch" in earlier else []
    batches += [r["batch"] for r in stages.values() if r["batch"] not in batches[-1:]]
    return {
        **earlier,
        "steps": steps,
        "seconds": seconds,
        "batch": " then ".join(batches),
        "stages": listed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="in training order")
    parser.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    parser.add_argument("--card", required=True, help="the model card's file name (beside it)")
    parser.add_argument("--data", action="append", help="data description, one per run")
    parser.add_argument("--max-tile", type=int, default=0, help="0: none (whole images)")
    parser.add_argument("--hardware", default="", help="what trained it, e.g. the CPU")
    parser.add_argument("--licence", default=LICENCE)
    parser.add_argument(
        "--after", help="a bundled model the first run started from: keep its record"
    )
    args = parser.parse_args()
    if args.data and len(args.data) != len(args.runs):
        parser.error("give --data once per RUN_DIR, or not at all")
    try:
        data = args.data or [None] * len(args.runs)
        stages = {run.name: stage_record(run, d) for run, d in zip(args.runs, data, strict=True)}
        final = args.runs[-1] / "final.safetensors"
        meta = read_metadata(final)
        model = load_model(final)
        earlier = read_metadata(args.after).get("training") if args.after else None
        training = (
            {**stages, "hardware": args.hardware}
            if earlier is None
            else continue_record(earlier, stages, Path(args.after).stem)
        )
    except RestoreKitError as err:
        print(f"bundle_model: {err}", file=sys.stderr)
        return 2
    if earlier is not None and args.hardware:
        training["hardware"] = args.hardware
    extra = {"max_tile": args.max_tile} if args.max_tile else {}
    save_model(
        args.output,
        model,
        name=meta["name"],
        kwargs=meta["kwargs"],
        recipe=meta["recipe"],
        metrics={},
        training=training,
        source=f"trained by restorekit; model card: {args.card}",
        licence=args.licence,
        **extra,
    )
    print(json.dumps(training, indent=1))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
