"""Which darktable profile explains each Nam_CBDNet25 image's noise? The physics check, no names.

    python benchmarks/nam_profiles.py --out docs/camera_profiles/nam     # about two minutes

Issue #21's physics check for Nam_CBDNet25, whose file names (``01.png`` ..) carry no camera or
ISO. Nam et al. shot with a Canon EOS 5D Mark III, a Nikon D600 and a Nikon D800 at ISO 1600,
3200 and 6400, JPEG out of the camera. Per image, the noise of the real pair is measured as
``restorekit calibrate`` measures it (``restorekit.adapt.measure_noise``, 32 bins) and compared
with each candidate: a camera's darktable profile at one ISO pushed through the ``profiled`` chain
(DoRF curves when ``--data-root``/crf has them, Bayer mosaic + Malvar demosaic, in-camera JPEG
85-100) over the same clean image, at the raw-to-curve gain 1 and at 4 (the gain the PolyU train
pairs chose, ``profile_physics.py``). Score: the median over bins of predicted / measured noise
std per channel, and the mean absolute log2 of the three (0 = right level). The best candidate
per image says whether any profile at that gain explains the image and which camera/ISO it
resembles; it is not an identification of the camera (ISO and camera trade off). Writes
``table.md`` and ``table.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
import torch
from profile_physics import std_ratio

from restorekit.adapt import (
    NoiseProfiles,
    load_pairs,
    measure_noise,
    profile_noise,
    synthetic_pairs,
)
from restorekit.io import atomic_write_text

REPO = Path(__file__).resolve().parent.parent
CAMERAS = ("Canon EOS 5D Mark III", "NIKON D600", "NIKON D800")
ISOS = (1600, 3200, 6400)
GAINS = (1.0, 4.0)
JPEG = (85, 100)


def error(ratios: list[float]) -> float:
    """Mean absolute log2 of per-channel std ratios: 0 = right level, 1 = off by 2x."""
    return float(np.mean(np.abs(np.log2(ratios))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--profiles", type=Path, help="default: DATA_ROOT/noiseprofiles/...")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "camera_profiles" / "nam")
    args = parser.parse_args()
    root = args.data_root
    table = NoiseProfiles.load(args.profiles or root / "noiseprofiles" / "noiseprofiles.json")
    crf = root / "crf" if (root / "crf").is_dir() else None
    torch.set_num_threads(1)
    candidates = [(c, i, g) for g in GAINS for c in CAMERAS for i in ISOS]
    noises = {
        (c, i, g): profile_noise(table.lookup("", c, i), crf_bank=crf, jpeg=JPEG, gain=g)
        for c, i, g in candidates
    }
    rows = []
    for pair in load_pairs(root / "Nam_CBDNet25"):
        measured, _ = measure_noise([pair])
        scores = {}
        for key, noise in noises.items():
            synthetic = synthetic_pairs([(pair.name, pair.clean)], noise, copies=2)
            scores[key] = std_ratio(measure_noise(synthetic)[0], measured)
        best = {
            g: min((k for k in scores if k[2] == g), key=lambda k: error(scores[k])) for g in GAINS
        }
        rows.append(
            {
                "image": pair.name,
                "best": {f"{g:g}": [*best[g][:2], scores[best[g]]] for g in GAINS},
                "ratios": {f"{c}|{i}|{g:g}": r for (c, i, g), r in scores.items()},
            }
        )
        print(pair.name, {g: (b[0], b[1], round(error(scores[b]), 2)) for g, b in best.items()})
    lines = [
        "| image | " + " | ".join(f"best at gain {g:g} (std ratio R/G/B)" for g in GAINS) + " |",
        "|---|" + "---|" * len(GAINS),
    ]
    for row in rows:
        cells = [
            f"{cam} ISO {iso} ({' / '.join(f'{r:.2f}' for r in ratio)})"
            for cam, iso, ratio in row["best"].values()
        ]
        lines.append(f"| {row['image']} | " + " | ".join(cells) + " |")
    summary = []
    for g in GAINS:
        errors = [error(row["best"][f"{g:g}"][2]) for row in rows]
        cams = collections.Counter(row["best"][f"{g:g}"][0] for row in rows)
        summary.append(
            f"gain {g:g}: median |log2| of the best candidate {np.median(errors):.2f}; "
            f"within 20 % (|log2| < 0.26) {sum(e < 0.263 for e in errors)} of {len(errors)}; "
            + ", ".join(f"{c} {n}" for c, n in cams.most_common())
        )
    text = "\n".join(lines) + "\n\n" + "\n".join(f"- {s}" for s in summary) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "table.md", text)
    record = {"crf_bank": str(crf) if crf else "builtin", "jpeg": list(JPEG), "rows": rows}
    atomic_write_text(args.out / "table.json", json.dumps(record, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
