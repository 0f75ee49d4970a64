"""`restorekit models [NAME|FILE ...]`: the bundled models, or what one model file holds."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from restorekit.errors import RestoreKitError
from restorekit.weights.catalog import list_model_summaries, model_summary

HELP = "list the bundled models, or show a model file's network, training and card"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL... (optional) and --json."""
    parser.add_argument(
        "models",
        nargs="*",
        metavar="MODEL",
        help="bundled model names or .safetensors files (default: every bundled model)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per model instead of text (the full metadata only for named "
        "models; the list leaves it out)",
    )


def _table_row(s: dict[str, Any]) -> str:
    size = f"{s['size_bytes'] / 1e6:.1f} MB"
    steps = f"{s['training_steps']:,}" if s["training_steps"] else "-"
    return (
        f"{s['name']:<16} {s['network'] or '-':<16} {s['parameters'] / 1e6:>6.2f} M "
        f"{size:>8} {steps:>8}  {s['card'] or '-'}"
    )


def _details(s: dict[str, Any]) -> str:
    fields = ("file", "network", "kwargs", "max_tile", "recipe", "source", "licence", "card")
    lines = [f"{s['name']}:", f"  parameters: {s['parameters']:,} ({s['size_bytes'] / 1e6:.1f} MB)"]
    lines += [f"  {key}: {s[key]}" for key in fields if s[key] is not None]
    training = s["metadata"].get("training")
    if training:
        lines.append(f"  training: {json.dumps(training)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Without names, one line per bundled model; with names, their details (bad ones: exit 2)."""
    if not args.models:
        summaries = list_model_summaries()
        if args.json:
            for s in summaries:
                print(json.dumps({k: v for k, v in s.items() if k != "metadata"}))
            return 0
        print(f"{'name':<16} {'network':<16} {'params':>8} {'size':>8} {'steps':>8}  card")
        for s in summaries:
            print(_table_row(s))
        return 0
    failed = False
    for spec in args.models:
        try:
            s = model_summary(spec)
        except RestoreKitError as err:
            print(f"restorekit models: error: {err}", file=sys.stderr)
            failed = True
            continue
        print(json.dumps(s) if args.json else _details(s), flush=True)
    return 2 if failed else 0
