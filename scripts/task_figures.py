"""Before/after crops for the README: synthetic rain or camera shake on a public-domain photo,
restored by the task's bundled model.

    python scripts/task_figures.py derain deblur --out docs

The photo is scikit-image's ``astronaut`` (public domain, as ``make demo`` uses; the benchmark
test sets are research-use data and are not copied into the repository). The degradation is the
one the model was trained on (``rain_streaks`` / ``motion_blur`` at their defaults, 8-bit), drawn
with a fixed seed; the model runs as ``restorekit restore --task`` does (``--tile auto``, fp32).
Writes ``restore_<task>.png`` (input / model / clean, the crop where the degradation changed the
photo most) and prints PSNR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from restorekit.demo import clean_sample, score
from restorekit.eval.figure import FigureRow, choose_crop, crop, save_crops_figure
from restorekit.infer import load_models, restore
from restorekit.infer.tasks import TASKS
from restorekit.noise import build_noise

DEGRADATIONS = {"derain": "rain_streaks", "deblur": "motion_blur"}
LABELS = {"derain": "rainy input", "deblur": "blurry input"}


def figure(task: str, out: Path, seed: int, crop_size: int) -> tuple[float, float]:
    """Degrade, restore and draw one task; returns the input's and the output's PSNR."""
    clean = clean_sample()
    noise = build_noise("stored", noise={"name": DEGRADATIONS[task]}, quantize=1.0)
    x = torch.from_numpy(clean)[None]
    degraded = noise(x, torch.Generator().manual_seed(seed)).noisy.clamp(0, 1)
    model = load_models(TASKS[task].model, "cpu")
    restored = restore(model, degraded, tile="auto").clamp(0, 1)[0].numpy()
    degraded = degraded[0].numpy()
    before, after = score(degraded, clean)[0], score(restored, clean)[0]
    box = choose_crop(abs(degraded - clean), crop_size)  # where the degradation shows most
    panels = (
        (f"{LABELS[task]}\n{before:.2f} dB", crop(degraded, box)),
        (f"{TASKS[task].model}\n{after:.2f} dB", crop(restored, box)),
        ("clean", crop(clean, box)),
    )
    title = f"{task}: synthetic {DEGRADATIONS[task]} on astronaut (public domain), PSNR on 8-bit"
    save_crops_figure(out / f"restore_{task}.png", title, [FigureRow("astronaut", box, panels)])
    return before, after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", choices=sorted(DEGRADATIONS))
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crop", type=int, default=160, help="crop side in pixels")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for task in args.tasks:
        before, after = figure(task, args.out, args.seed, args.crop)
        print(f"{task}: input {before:.2f} dB -> {TASKS[task].model} {after:.2f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
