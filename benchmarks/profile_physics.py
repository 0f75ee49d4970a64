"""Does a darktable noise profile, pushed through the camera chain, predict a camera's sRGB noise?

    python benchmarks/profile_physics.py --out docs/camera_profiles     # about a minute

Issue #21's physics check, on the PolyU *train* pairs (the test list is never used): the pairs
are grouped by camera and ISO (both in PolyU's file names, ``Canon5D2_5_160_3200_chair_11.JPG``:
camera, f-number, shutter, ISO, scene); per group

- **measured**: the per-channel noise variance against clean intensity of the real pairs
  (``restorekit.adapt.measure_noise``, 32 bins, the ``restorekit calibrate`` measurement);
- **predicted**: the same measurement on synthetic pairs, the camera's darktable profile at that
  ISO (``NoiseProfiles.lookup``) pushed through the ``profiled`` chain over the same clean
  images (CBDNet's DoRF curves when ``--data-root``/crf has them, else the built-in bank; Bayer
  mosaic + Malvar demosaic), for each ``gain`` (``L = gain * x``) and with or without in-camera
  JPEG at quality 85-100, two noisy copies per image.

Score per group and setting: the median over used bins of predicted / measured noise std per
channel (1 = right level), and over all groups the median absolute log2 of that ratio (0 = all
right; 1 = off by 2x on average). Writes ``table.md``, ``table.json`` and one plot per camera
(measured dots, predicted curves for gain 1 and the best gain) into ``--out``.

Nam_CBDNet25 cannot be checked: its file names (``01.png`` ..) carry no camera or ISO.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from polyu_cameras import CAMERAS, polyu_groups

from restorekit.adapt import (
    NoiseProfiles,
    load_pairs,
    measure_noise,
    profile_noise,
    synthetic_pairs,
)
from restorekit.adapt.noise_bins import NoiseBins
from restorekit.io import atomic_write_text

REPO = Path(__file__).resolve().parent.parent
GAINS = (1.0, 2.0, 4.0, 8.0)
JPEG = (85, 100)


def std_ratio(predicted: NoiseBins, measured: NoiseBins) -> list[float]:
    """Per channel, the median over bins used in both of predicted / measured noise std."""
    out = []
    for c in range(measured.variance.shape[0]):
        use = predicted.used[c] & measured.used[c] & (measured.variance[c] > 0)
        ratio = np.sqrt(predicted.variance[c][use] / measured.variance[c][use])
        out.append(float(np.median(ratio)) if ratio.size else math.nan)
    return out


def plot(path: Path, title: str, measured: NoiseBins, curves: dict[str, NoiseBins]) -> None:
    """Variance against intensity per channel: measured dots, one line per predicted setting."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.2), dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3, sharey=True)
    for c, (ax, colour) in enumerate(zip(axes, ("tab:red", "tab:green", "tab:blue"), strict=True)):
        use = measured.used[c]
        x, v = measured.intensity[c][use], measured.variance[c][use]
        ax.plot(x, v, "o", color=colour, ms=4, label="measured (real pairs)")
        for (label, bins), style in zip(curves.items(), ("--", "-"), strict=False):
            keep = bins.used[c]
            ax.plot(bins.intensity[c][keep], bins.variance[c][keep], style, color="k", label=label)
        ax.set_title("RGB"[c], fontsize=9)
        ax.set_xlabel("clean intensity")
    axes[0].set_ylabel("noise variance")
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--profiles", type=Path, help="default: DATA_ROOT/noiseprofiles/...")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "camera_profiles")
    args = parser.parse_args()
    root = args.data_root
    polyu = root / "PolyU"
    table = NoiseProfiles.load(args.profiles or root / "noiseprofiles" / "noiseprofiles.json")
    crf = root / "crf" if (root / "crf").is_dir() else None
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = [(g, None) for g in GAINS] + [(g, JPEG) for g in GAINS]
    rows: list[dict[str, Any]] = []
    for (camera, iso), names in polyu_groups(polyu / "split.json", "train").items():
        pairs = load_pairs(polyu, names)
        measured, _ = measure_noise(pairs)
        profile = table.lookup("", CAMERAS[camera], iso)
        clean = [(p.name, p.clean) for p in pairs]
        predicted = {}
        for gain, jpeg in settings:
            noise = profile_noise(profile, crf_bank=crf, jpeg=jpeg, gain=gain)
            predicted[gain, jpeg] = measure_noise(synthetic_pairs(clean, noise, copies=2))[0]
        ratios = {
            f"{g:g}" + ("+jpeg" if j else ""): std_ratio(b, measured)
            for (g, j), b in predicted.items()
        }
        rows.append(
            {
                "camera": camera,
                "iso": iso,
                "pairs": len(names),
                "profile": profile.describe(),
                "ratios": ratios,
            }
        )
        best = min(GAINS, key=lambda g: np.nanmean(np.abs(np.log2(ratios[f"{g:g}"]))))
        curves = {
            "profile, gain 1": predicted[1.0, None],
            f"profile, gain {best:g}": predicted[best, None],
        }
        plot(
            args.out / f"{camera}_{iso}.png",
            f"PolyU train, {camera} ISO {iso} ({len(names)} pairs)",
            measured,
            curves,
        )
        print(camera, iso, {k: [round(r, 2) for r in v] for k, v in ratios.items()}, flush=True)
    keys = list(rows[0]["ratios"])
    error = {
        k: float(np.nanmedian([abs(math.log2(r)) for row in rows for r in row["ratios"][k]]))
        for k in keys
    }
    lines = [
        "| camera | ISO | pairs | " + " | ".join(f"gain {k}" for k in keys) + " |",
        "|---|---:|---:|" + "---|" * len(keys),
    ]
    for row in rows:
        cells = [" / ".join(f"{r:.2f}" for r in row["ratios"][k]) for k in keys]
        lines.append(
            f"| {row['camera']} | {row['iso']} | {row['pairs']} | " + " | ".join(cells) + " |"
        )
    lines.append("| median abs log2 | | | " + " | ".join(f"{error[k]:.2f}" for k in keys) + " |")
    text = "\n".join(lines) + "\n"
    atomic_write_text(args.out / "table.md", text)
    summary = {
        "crf_bank": str(crf) if crf else "builtin",
        "jpeg": list(JPEG),
        "rows": rows,
        "error": error,
    }
    atomic_write_text(args.out / "table.json", json.dumps(summary, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
