"""What each part of the synthetic-noise (SN) recipe is worth on real photos (issue #17).

    python benchmarks/sn_recipe.py --out runs/sn_recipe                # about 15 min per variant
    python benchmarks/sn_recipe.py --out runs/sn_recipe --variants recipe,float --steps 300

``configs/hinet_real_sn.yaml`` trains on CBDNet's camera chain through the DoRF response curves,
then stores each image as a file would (JPEG q60-100 40 %, 8-bit rounding 50 %, float 10 %). Each
variant changes one of those choices and trains the same network from scratch under the same
budget (HINet wf 16 without normalisation, the design ``docs/ablations.md`` found best per FLOP;
``--steps`` steps at lr 3e-4, batch 4 x 128 px, bf16 where native, seed 0, one thread), on the
408 training images of ``configs/splits/cbsd432_trainval.json``.

No real pairs are trained on, so the SN weights are scored directly on real noise that no variant
saw and no test set: all 53 pairs of the PolyU *train* list (``restorekit eval --protocol pairs``,
uint8 RGB, whole images, fp32), and on ``strong_noise_check.py``'s synthetic strong noise over 8
held-out CBSD432 images. A variant's gain over ``recipe`` is that choice's effect on its own.
Each run logs to ``OUT/<variant>/train.log``; finished runs are skipped and interrupted ones
resume, so re-running the command continues. The table goes to stdout and ``OUT/table.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from ablation import pairs_score
from strong_noise_check import strong_noise_scores

from restorekit.io import atomic_write_text
from restorekit.runtime import native_bf16
from restorekit.weights import load_model

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "configs" / "hinet_real_sn.yaml"
SPLIT = REPO / "configs" / "splits" / "cbsd432_trainval.json"
DORF = "{root}/crf"


def noise(crf_bank: str = DORF, quantize: float = 0.5, jpeg: float = 0.4) -> dict[str, Any]:
    """The ``data.noise`` section of a variant: the camera chain, then file storage."""
    chain = {"name": "cbdnet", "kwargs": {"crf_bank": crf_bank}}
    return {
        "name": "stored",
        "kwargs": {"noise": chain, "quantize": quantize, "jpeg": jpeg, "jpeg_quality": [60, 100]},
    }


VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "recipe": ("DoRF curves; JPEG 40 %, 8-bit 50 %, float 10 % (the recipe)", noise()),
    "builtin_crf": ("built-in response curves instead of DoRF", noise(crf_bank="builtin")),
    "no_jpeg": ("no JPEG: 8-bit 90 %, float 10 %", noise(quantize=0.9, jpeg=0.0)),
    "float": ("no storage: float noise only", noise(quantize=0.0, jpeg=0.0)),
}


def train(variant: str, out: Path, root: Path, steps: int, wf: int, patch: int) -> Path:
    """Train one variant (skipped when its final weights exist; resumes an interrupted run)."""
    run = out / variant
    final = run / "final.safetensors"
    if final.exists():
        return final
    run.mkdir(parents=True, exist_ok=True)
    section = json.loads(json.dumps(VARIANTS[variant][1]).replace("{root}", str(root)))
    train_kwargs = {
        "split_file": str(SPLIT),
        "split": "train",
        "patch_size": patch,
        "augment": True,
        "cache": True,
    }
    overrides = [
        f"model.kwargs={json.dumps({'wf': wf, 'norm': 'none'})}",
        f"data.clean={root / 'CBSD432'}",
        f"data.train.kwargs={json.dumps(train_kwargs)}",
        f"data.noise={json.dumps(section)}",
        f"max_steps={steps}",
        f"schedule.warmup_steps={min(100, steps // 10)}",
        f"precision={'bf16' if native_bf16() else 'fp32'}",
        "threads=1",
        "val=null",
        f"ckpt_every={max(steps // 6, 1)}",
        "resume=auto",
        f"out_dir={run}",
    ]
    command = [sys.executable, "-m", "restorekit", "train", "-c", str(CONFIG), *overrides]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with (run / "train.log").open("a", encoding="utf-8") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    return final


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--wf", type=int, default=16, help="HINet width (tests: 4)")
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--limit", type=int, help="score only the first pairs/images (tests)")
    args = parser.parse_args()
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    torch.set_num_threads(1)
    root = args.data_root.resolve()
    rows = []
    for variant in chosen:
        weights = train(variant, args.out, root, args.steps, args.wf, args.patch)
        polyu = pairs_score(
            weights, root / "PolyU", "train", weights.parent / "eval_polyu_train", limit=args.limit
        )
        model = {variant: load_model(weights).eval()}
        strong = strong_noise_scores(model, root, args.limit or 8)
        rows.append((variant, polyu, [means[variant] for _, means in strong]))
    settings = " | ".join(f"strong {s:g}x, a={a:g}" for (s, a, _), _ in strong)
    lines = [
        f"| variant | what changes | PolyU train list (real pairs) | {settings} |",
        "|---|---|---|" + "---|" * len(strong),
    ]
    for variant, polyu, strong_row in rows:
        cells = " | ".join(f"{v:.2f}" for v in strong_row)
        what = VARIANTS[variant][0]
        lines.append(
            f"| {variant} | {what} | {polyu['psnr']:.2f} / {polyu['ssim']:.4f} | {cells} |"
        )
    table = "\n".join(lines) + "\n"
    print(table, end="")
    atomic_write_text(args.out / "table.md", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
