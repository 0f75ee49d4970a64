"""The evaluation report: per-image records, means, and the files written from them.

``report.md`` (table + every protocol's dataset, degradation and metric variant + every method's
settings), ``report.json`` (the same, machine-readable), ``per_image.csv`` and one crop figure per
protocol. Numbers are identical from run to run; timings live only in ``report.json``
under ``seconds_per_image``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restorekit import __version__
from restorekit.eval.figure import FigureRow, save_crops_figure
from restorekit.io import atomic_write_text

CSV_COLUMNS = ("protocol", "metric", "method", "image", "psnr", "ssim", "method_info", "note")


@dataclass(frozen=True)
class ImageRecord:
    """The score of one method on one image under one metric variant."""

    protocol: str
    metric: str
    method: str
    image: str
    psnr: float
    ssim: float | None
    method_info: str = ""
    note: str = ""


def _finite(value: float | None, digits: int = 6) -> float | None:
    """JSON-safe rounding: non-finite values (identical images give inf PSNR) become None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}" if math.isfinite(value) else str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


@dataclass
class EvalReport:
    """Everything one ``evaluate`` run produced."""

    protocols: list[dict[str, Any]]
    methods: list[dict[str, Any]]
    records: list[ImageRecord]
    seconds_per_image: dict[str, dict[str, float]]
    settings: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, list[FigureRow]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """protocol -> metric -> method -> {psnr, ssim, images, notes}: means over images."""
        groups: dict[tuple[str, str, str], list[ImageRecord]] = {}
        for rec in self.records:
            groups.setdefault((rec.protocol, rec.metric, rec.method), []).append(rec)
        out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        for (protocol, metric, method), recs in groups.items():
            ssims = [r.ssim for r in recs if r.ssim is not None]
            notes: dict[str, int] = {}
            for r in recs:
                if r.note:
                    notes[r.note] = notes.get(r.note, 0) + 1
            out.setdefault(protocol, {}).setdefault(metric, {})[method] = {
                "psnr": float(np.mean([r.psnr for r in recs], dtype=np.float64)),
                "ssim": float(np.mean(ssims, dtype=np.float64)) if ssims else None,
                "images": len(recs),
                "notes": notes,
            }
        return out

    def columns(self) -> list[tuple[dict[str, Any], str]]:
        """Table columns: (protocol description, metric variant name) in run order."""
        return [(p, m["name"]) for p in self.protocols for m in p["metrics"]]

    def markdown_table(self) -> str:
        """Methods as rows, protocol x metric variant as columns, cells 'PSNR / SSIM'; a ``*``
        marks a cell where some images carry a note (listed under the table in report.md)."""
        summary = self.summary()
        header = ["method"] + [f"{p['label']} [{metric}]" for p, metric in self.columns()]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for method in self.methods:
            cells = [method["name"]]
            for p, metric in self.columns():
                entry = summary.get(p["name"], {}).get(metric, {}).get(method["name"])
                if entry is None:
                    cells.append("")
                    continue
                cell = _fmt(entry["psnr"], 2)
                if entry["ssim"] is not None:
                    cell += f" / {_fmt(entry['ssim'], 4)}"
                if entry["notes"]:
                    cell += " *"
                cells.append(cell)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def figure_name(self, protocol: str) -> str:
        return f"figure_{_slug(protocol)}.png"

    def markdown(self) -> str:
        """The full human-readable report."""
        summary = self.summary()
        out = [
            "# restorekit eval report",
            "",
            f"restorekit {__version__}. Cells: mean PSNR (dB) / mean SSIM over images "
            "(PSNR only where the metric variant has no SSIM). Column = protocol [metric variant].",
            "",
            self.markdown_table(),
            "",
        ]
        for p in self.protocols:
            for metric, methods in summary.get(p["name"], {}).items():
                for method, entry in methods.items():
                    for note, count in entry["notes"].items():
                        out.append(
                            f"- \\* {p['label']} [{metric}], {method}: {count} of "
                            f"{entry['images']} images scored with {note}"
                        )
        out += ["", "## Protocols", ""]
        for p in self.protocols:
            out.append(f"### {p['label']} (`{p['name']}`)")
            out.append("")
            out.append("- dataset: " + ", ".join(f"{k}: {v}" for k, v in p["dataset"].items()))
            for key, value in p["degradation"].items():
                out.append(f"- degradation {key}: {value}")
            for m in p["metrics"]:
                out.append(f"- metric `{m['name']}`: {m['text']}")
            if p["name"] in self.figures and self.figures[p["name"]]:
                out.append(f"- figure: ![{p['label']}]({self.figure_name(p['name'])})")
            out.append("")
        out += ["## Methods", ""]
        for m in self.methods:
            details = ", ".join(f"{k}: {v}" for k, v in m.items() if k != "name" and v is not None)
            out.append(f"- **{m['name']}**: {details}")
        out += ["", "## Settings", ""]
        out += [f"- {k}: {v}" for k, v in self.settings.items()]
        out += [
            "",
            "Per-image values: `per_image.csv`; everything above in `report.json`.",
            "",
        ]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (deterministic except ``seconds_per_image``)."""
        results: dict[str, Any] = {}
        for protocol, metrics in self.summary().items():
            for metric, methods in metrics.items():
                for method, entry in methods.items():
                    results.setdefault(protocol, {}).setdefault(metric, {})[method] = {
                        "psnr": _finite(entry["psnr"]),
                        "ssim": _finite(entry["ssim"]),
                        "images": entry["images"],
                        "notes": entry["notes"],
                    }
        return {
            "restorekit_version": __version__,
            "protocols": self.protocols,
            "methods": self.methods,
            "settings": self.settings,
            "results": results,
            "seconds_per_image": {
                p: {m: round(s, 4) for m, s in v.items()} for p, v in self.seconds_per_image.items()
            },
            "files": {
                "markdown": "report.md",
                "per_image_csv": "per_image.csv",
                "figures": [self.figure_name(p) for p, rows in self.figures.items() if rows],
            },
        }

    def csv_text(self) -> str:
        """One row per (protocol, metric variant, method, image)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.records:
            writer.writerow(
                [
                    r.protocol,
                    r.metric,
                    r.method,
                    r.image,
                    _fmt(r.psnr, 6),
                    _fmt(r.ssim, 6),
                    r.method_info,
                    r.note,
                ]
            )
        return buffer.getvalue()

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write report.md, report.json, per_image.csv and the figures into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for protocol, rows in self.figures.items():
            if rows:
                label = next(p["label"] for p in self.protocols if p["name"] == protocol)
                path = out / self.figure_name(protocol)
                save_crops_figure(path, f"{label}: input / methods / clean", rows)
                written.append(path)
        for name, text in (
            ("per_image.csv", self.csv_text()),
            ("report.json", json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"),
            ("report.md", self.markdown()),
        ):
            atomic_write_text(out / name, text)
            written.append(out / name)
        return written
