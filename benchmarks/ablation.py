"""One command per ablation table (issue #16): train each design variant, score it, tabulate.

    python benchmarks/ablation.py --study aindnet --scale cpu --jobs 2      # a few CPU-hours
    python benchmarks/ablation.py --study hinet --scale paper               # paper-size, on a GPU
    python benchmarks/ablation.py --study aindnet --scale cpu --variants ain,in --dry-run

Every variant of a study trains under the same budget (data, steps, batch, patch, seed 0, fp32
on the CPU scales) in two stages, each a ``restorekit train`` subprocess:

1. **SN**: synthetic camera noise over clean images, ``configs/real_sn.yaml`` (AINDNet) or
   ``configs/hinet_real_sn.yaml`` (HINet): CBDNet's chain through the DoRF curves, then JPEG or
   8-bit rounding, as users store photos.
2. **real pairs** (PolyU train split), from the SN weights: AINDNet+TF (``configs/aindnet_tf.yaml``:
   only the noise-adaptive layers, estimator and last conv move) for variants whose blocks read
   the noise map (``ain``, ``gated``, ``fine_only``), AINDNet+RT (``configs/aindnet_rt.yaml``: all
   weights) for those whose blocks do not (``in``, ``concat``, ``none``); HINet is always RT
   (``aindnet_rt.yaml`` with HINet's PSNR loss on every stage and gradient clipping at 0.01).
   The ground-truth-map upper bound (``estimator=none``) needs the true noise map, which real
   pairs do not have: it is trained on SN only, and ``restorekit eval`` cannot score it.

Validation is off in every run (``val: null``); the final weights are scored. Each stage runs
with ``OMP_NUM_THREADS=1`` on the CPU scales, up to ``--jobs`` at once, and logs to
``OUT/<variant>/<stage>.log``. A stage whose ``final.safetensors`` exists is skipped and an
interrupted one resumes from its last checkpoint (``resume=auto``), so re-running the command
continues. Scores are ``restorekit eval --protocol pairs`` (uint8, RGB, all images, ``--tile
auto``, fp32) on the PolyU test list, Nam_CBDNet25 and SIDD_samples12, up to ``--jobs`` models
at once, cached per model in ``scores.json``. The final weights carry no ``max_tile``, so
``--tile auto`` runs whole images, where instance-normalised variants meet statistics they never
saw in training; every model is therefore scored a second time with ``--tile 192`` (as the
bundled ``aindnet-real`` and ``hinet-real`` run; ``scores_tile192.json``), a second table.
The costs are timed after that, one at a time.

Costs, per variant: parameters; MACs of one forward at 256x256, counted by
``torch.utils.flop_counter.FlopCounterMode`` (every ``aten.convolution``, functional ones included,
such as AIN's stacked gamma/beta heads, which module hooks miss; MACs = FLOPs / 2; a transposed
conv costs in_numel x C_out x k^2 as in ``benchmarks/models.py``); CPU ms per megapixel of the
best timed forward at 256x256, batch 1, one thread; training seconds per step, the median over
the intervals of the stage's ``train_log.csv``. The table goes to stdout, ``OUT/table.md`` and
``OUT/table.json``.

Scales (data from ``--data-root``, default ``../shared/data``: ``CBSD432/``, ``crf/``,
``PolyU/{noisy,gt,split.json}``, ``Nam_CBDNet25/``, ``SIDD_samples12/``):

- ``ci``: width-4 models, batch 2, 32-px patches, 2 + 2 steps, 2 images per test set, built-in
  response curves (for the tests).
- ``cpu``: ``aindnet-xs`` / HINet wf 16, batch 4, 128-px patches (96 on real pairs), 1,500 SN
  steps at lr 3e-4 (100 warm-up), 300 real-pair steps at lr 1e-4, one thread per run, bf16
  autocast where the CPU computes bfloat16 natively (``restorekit.runtime.native_bf16``; about
  0.6 s per HINet step and 1.0 s per AINDNet step on this project's AMX Xeon), else fp32: about
  2 CPU-hours for the HINet study and 3.5 for AINDNet's, half that in wall time with ``--jobs 2``.
- ``paper``: AINDNet (width 64) / HINet 1x (wf 64), batch 16 (HINet SN: 64, lr 2e-4, as
  ``configs/hinet_sidd.yaml``), 256-px patches, 400k SN steps (AINDNet lr 1e-4), 100k real-pair
  steps at lr 5e-5 (``configs/aindnet_tf.yaml``), bf16 autocast, 4 loader workers, device auto.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import itertools
import json
import math
import multiprocessing
import os
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import torch
from models import best_time
from torch.utils.flop_counter import FlopCounterMode

from restorekit.eval import EvalSpec, run_eval
from restorekit.io import atomic_write_text
from restorekit.models import build_model
from restorekit.runtime import native_bf16

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
SIZE = 256  # cost measurements at SIZE x SIZE
EVAL_SETS = (  # (column, folder under --data-root, split of PolyU/split.json or None)
    ("PolyU", "PolyU", "test"),
    ("Nam", "Nam_CBDNet25", None),
    ("SIDD", "SIDD_samples12", None),
)
STAGES = ("sn", "real")
TILE = 192  # every model is scored again in tiles of the bundled real-noise models' max_tile


@dataclass(frozen=True)
class Variant:
    """One row of a study: constructor options and how the real-pair stage trains it."""

    name: str
    kwargs: dict[str, Any]
    real: str | None  # "tf", "rt", or None: no real-pair stage
    note: str = ""
    scored: bool = True  # False: needs the ground-truth noise map, which eval cannot pass


STUDIES: dict[str, tuple[Variant, ...]] = {
    "aindnet": (
        Variant("ain", {}, "tf", "released design: AIN blocks, two-scale estimator"),
        Variant("in", {"norm": "in"}, "rt", "affine IN, no noise map"),
        Variant("concat", {"norm": "concat"}, "rt", "affine IN, noise map concatenated to input"),
        Variant("gated", {"norm": "gated"}, "tf", "affine IN x 2 sigmoid(gate from the map)"),
        Variant("none", {"norm": "none"}, "rt", "no normalisation, no noise map"),
        Variant("fine_only", {"estimator": "fine_only"}, "tf", "estimator: fine map only"),
        Variant(
            "gt_map",
            {"estimator": "none"},
            None,
            "ground-truth noise map (upper bound; L1 only, SN only, not scored on real pairs)",
            scored=False,
        ),
    ),
    "hinet": (
        Variant("hin", {}, "rt", "released design: HIN, two stages, CSFF, SAM"),
        Variant("in", {"norm": "in"}, "rt", "IN on all channels"),
        Variant("bn", {"norm": "bn"}, "rt", "BatchNorm on half the channels"),
        Variant("none", {"norm": "none"}, "rt", "no normalisation"),
        Variant("one_stage", {"stages": 1}, "rt", "one U-Net (no SAM, no CSFF)"),
        Variant("no_csff", {"csff": False}, "rt", "no cross-stage feature fusion"),
        Variant("no_sam", {"sam": False}, "rt", "no supervised attention module"),
    ),
}

MODELS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {  # (study, scale) -> name, kwargs
    ("aindnet", "ci"): ("aindnet", {"width": 4, "estimator_width": 4}),
    ("aindnet", "cpu"): ("aindnet-xs", {}),
    ("aindnet", "paper"): ("aindnet", {}),
    ("hinet", "ci"): ("hinet", {"wf": 4}),
    ("hinet", "cpu"): ("hinet", {"wf": 16}),
    ("hinet", "paper"): ("hinet", {"wf": 64}),
}
SN_RECIPES = {"aindnet": "real_sn.yaml", "hinet": "hinet_real_sn.yaml"}
REAL_RECIPES = {"tf": "aindnet_tf.yaml", "rt": "aindnet_rt.yaml"}


@dataclass(frozen=True)
class Scale:
    """The training and measuring budget every variant of a study gets at one scale."""

    batch: int
    patch: int
    sn_steps: int
    sn_lr: float
    real_patch: int
    real_steps: int
    real_lr: float
    precision: str
    device: str
    threads: int | None
    workers: int
    log_every: int
    ckpt_every: int
    tensorboard: bool
    eval_limit: int | None
    time_reps: int
    builtin_crf: bool = False


_CPU: dict[str, Any] = {"precision": "fp32", "device": "cpu", "threads": 1, "workers": 0}
SCALES: dict[str, Scale] = {
    "ci": Scale(
        batch=2,
        patch=32,
        sn_steps=2,
        sn_lr=3e-4,
        real_patch=32,
        real_steps=2,
        real_lr=1e-4,
        **_CPU,
        log_every=1,
        ckpt_every=2,
        tensorboard=False,
        eval_limit=2,
        time_reps=1,
        builtin_crf=True,
    ),
    "cpu": Scale(
        batch=4,
        patch=128,
        sn_steps=1500,
        sn_lr=3e-4,
        real_patch=96,
        real_steps=300,
        real_lr=1e-4,
        **{**_CPU, "precision": "native"},
        log_every=50,
        ckpt_every=500,
        tensorboard=True,
        eval_limit=None,
        time_reps=5,
    ),
    "paper": Scale(
        batch=16,
        patch=256,
        sn_steps=400_000,
        sn_lr=1e-4,
        real_patch=256,
        real_steps=100_000,
        real_lr=5e-5,
        precision="bf16",
        device="auto",
        threads=None,
        workers=4,
        log_every=100,
        ckpt_every=5000,
        tensorboard=True,
        eval_limit=None,
        time_reps=5,
    ),
}


def scale_for(study: str, scale: str) -> Scale:
    """``SCALES[scale]``, with HINet's own SN batch and lr at paper size (hinet_sidd.yaml) and
    precision ``native`` resolved: bf16 on a CPU with native bfloat16, else fp32."""
    budget = SCALES[scale]
    if study == "hinet" and scale == "paper":
        budget = replace(budget, batch=64, sn_lr=2e-4)
    if budget.precision == "native":
        budget = replace(budget, precision="bf16" if native_bf16() else "fp32")
    return budget


@dataclass(eq=False)
class Stage:
    """One training run of one variant: its command, run folder and prerequisite."""

    variant: Variant
    kind: str  # "sn" or "real"
    run_dir: Path
    command: list[str]
    after: Stage | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.run_dir.parent / f"{self.kind}.log"

    @property
    def weights(self) -> Path:
        return self.run_dir / "final.safetensors"

    @property
    def done(self) -> bool:
        return self.weights.exists()

    @property
    def label(self) -> str:
        return f"{self.variant.name}/{self.kind}"


def _set(key: str, value: Any) -> str:
    """A ``key=value`` override; JSON is valid YAML, so any path or mapping survives quoting."""
    return f"{key}={json.dumps(value)}"


def _loss(study: str, variant: Variant, kind: str) -> list[dict[str, Any]] | None:
    """A loss replacing the recipe's, or None to keep it."""
    if study == "hinet":
        stages = [1.0] * variant.kwargs.get("stages", 2)
        return [{"name": "psnr", "weight": 1.0, "kwargs": {"stages": stages}}]
    if kind == "sn" and variant.kwargs.get("estimator") == "none":
        return [{"name": "l1", "weight": 1.0}]  # no estimated maps for ms_asymmetric
    return None


def plan(study: str, scale: str, variants: list[Variant], root: Path, out: Path) -> list[Stage]:
    """The training stages of ``variants`` (SN, then real pairs where the scheme applies)."""
    budget, (model, base) = scale_for(study, scale), MODELS[study, scale]
    polyu = root / "PolyU"
    common = [
        _set("model.name", model),
        _set("seed", 0),
        _set("data.batch_size", budget.batch),
        _set("data.num_workers", budget.workers),
        _set("precision", budget.precision),
        _set("threads", budget.threads),
        _set("device", budget.device),
        _set("val", None),
        _set("log_every", budget.log_every),
        _set("ckpt_every", budget.ckpt_every),
        _set("tensorboard", budget.tensorboard),
        _set("progress", False),
        _set("resume", "auto"),
    ]
    train = [sys.executable, "-m", "restorekit", "train", "-c"]
    crf = "builtin" if budget.builtin_crf else str(root / "crf")
    stages: list[Stage] = []
    for variant in variants:
        folder = out / variant.name
        kwargs = _set("model.kwargs", {**base, **variant.kwargs})
        sn_dir = folder / "sn"
        sn = [
            *train,
            str(CONFIGS / SN_RECIPES[study]),
            *common,
            _set("name", f"{study}_{variant.name}_sn"),
            kwargs,
            _set("data.clean", str(root / "CBSD432")),
            _set("data.train.kwargs", {"patch_size": budget.patch, "augment": True, "cache": True}),
            _set("data.noise.kwargs.noise.kwargs.crf_bank", crf),
            _set("max_steps", budget.sn_steps),
            _set("optim.lr", budget.sn_lr),
            _set("out_dir", str(sn_dir)),
        ]
        if (loss := _loss(study, variant, "sn")) is not None:
            sn.append(_set("loss", loss))
        stages.append(Stage(variant, "sn", sn_dir, sn))
        if variant.real is None:
            continue
        real_dir = folder / "real"
        pairs = {"split_file": str(polyu / "split.json"), "split": "train"}
        real = [
            *train,
            str(CONFIGS / REAL_RECIPES[variant.real]),
            *common,
            _set("name", f"{study}_{variant.name}_{variant.real}"),
            kwargs,
            _set("model.init_from", str(sn_dir / "final.safetensors")),
            _set("data.noisy", str(polyu / "noisy")),
            _set("data.clean", str(polyu / "gt")),
            _set(
                "data.train.kwargs",
                {**pairs, "patch_size": budget.real_patch, "augment": True, "cache": True},
            ),
            _set("max_steps", budget.real_steps),
            _set("optim.lr", budget.real_lr),
            _set("out_dir", str(real_dir)),
        ]
        if (loss := _loss(study, variant, "real")) is not None:
            real.append(_set("loss", loss))
        if study == "hinet":  # HINet's gradient clipping, as in its SN recipe
            real.append(_set("optim.clip_grad_norm", 0.01))
        stages.append(Stage(variant, "real", real_dir, real, after=stages[-1]))
    return stages


def run_stages(stages: list[Stage], jobs: int, env: dict[str, str]) -> list[Stage]:
    """Run the unfinished stages, up to ``jobs`` at once, each after its prerequisite; returns
    the stages that failed or could not start because their prerequisite failed."""
    pending = [s for s in stages if not s.done]
    running: dict[Stage, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}
    failed: list[Stage] = []
    try:
        while pending or running:
            for stage, (proc, log) in list(running.items()):
                if proc.poll() is None:
                    continue
                log.close()
                del running[stage]
                ok = proc.returncode == 0 and stage.done
                print(
                    f"{'finished' if ok else 'FAILED'}: {stage.label} (log {stage.log})", flush=True
                )
                if not ok:
                    failed.append(stage)
            for stage in [s for s in pending if s.after in failed]:
                pending.remove(stage)
                failed.append(stage)
                print(f"skipped: {stage.label} (its SN stage failed)", flush=True)
            for stage in [s for s in pending if s.after is None or s.after.done]:
                if len(running) >= jobs:
                    break
                pending.remove(stage)
                stage.log.parent.mkdir(parents=True, exist_ok=True)
                log = stage.log.open("ab")
                proc = subprocess.Popen(
                    stage.command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO
                )
                running[stage] = (proc, log)
                print(f"started: {stage.label} (log {stage.log})", flush=True)
            time.sleep(0.2)
    finally:
        for proc, log in running.values():
            proc.terminate()
            proc.wait()
            log.close()
    return failed


def seconds_per_step(run_dir: Path) -> float | None:
    """Median seconds per step over the intervals between rows of ``train_log.csv`` (rows
    whose clock restarted, after a resume, are skipped)."""
    path = run_dir / "train_log.csv"
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as f:
        rows = [(int(r["step"]), float(r["seconds"])) for r in csv.DictReader(f)]
    rates = [
        (t1 - t0) / (s1 - s0)
        for (s0, t0), (s1, t1) in itertools.pairwise(rows)
        if s1 > s0 and t1 > t0
    ]
    return statistics.median(rates) if rates else None


def scores(
    weights: Path, root: Path, limit: int | None, device: str, tile: int | str = "auto"
) -> dict[str, dict[str, float | None]]:
    """PSNR/SSIM of ``weights`` on each test set (``restorekit eval --protocol pairs``), cached
    in ``scores.json`` (``scores_tileN.json`` for tiles of N px) beside the weights."""
    cache = weights.parent / ("scores.json" if tile == "auto" else f"scores_tile{tile}.json")
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    result = {
        column: pairs_score(
            weights,
            root / folder,
            split,
            weights.parent / ("eval" if tile == "auto" else f"eval_tile{tile}") / column,
            limit=limit,
            device=device,
            tile=tile,
        )
        for column, folder, split in EVAL_SETS
    }
    atomic_write_text(cache, json.dumps(result, indent=2) + "\n")
    return result


def pairs_score(
    weights: Path,
    dataset: Path,
    split: str | None,
    out: Path,
    *,
    limit: int | None = None,
    device: str = "auto",
    tile: int | str = "auto",
) -> dict[str, float | None]:
    """PSNR/SSIM of ``weights`` on one pair folder (``restorekit eval --protocol pairs``, fp32;
    ``split``: that list of the folder's ``split.json``), the report written to ``out``."""
    spec = EvalSpec(
        protocol="pairs",
        out=str(out),
        methods=(str(weights),),
        dataset=str(dataset),
        split_file=str(dataset / "split.json") if split else None,
        split=split,
        limit=limit,
        device=device,
        tile=tile,
        precision="fp32",
        figure_images=0,
        progress=False,
    )
    summary = run_eval(spec).summary()
    (entry,) = (e for metrics in summary.values() for m in metrics.values() for e in m.values())
    return {"psnr": entry["psnr"], "ssim": entry["ssim"]}


def _score_worker(
    weights: Path, root: Path, budget: Scale, tile: int | str
) -> dict[str, dict[str, float | None]]:
    if budget.threads is not None:
        torch.set_num_threads(budget.threads)
    return scores(weights, root, budget.eval_limit, budget.device, tile)


def score_all(
    jobs_list: list[tuple[Path, int | str]], root: Path, budget: Scale, jobs: int
) -> dict[tuple[Path, int | str], dict[str, dict[str, float | None]]]:
    """``scores`` of each (model file, tile), up to ``jobs`` in fresh processes at once."""
    if jobs == 1 or len(jobs_list) < 2:
        return {(w, t): _score_worker(w, root, budget, t) for w, t in jobs_list}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {k: pool.submit(_score_worker, k[0], root, budget, k[1]) for k in jobs_list}
        return {key: future.result() for key, future in futures.items()}


def costs(model_name: str, kwargs: dict[str, Any], reps: int) -> dict[str, float]:
    """Parameters, MACs and CPU ms per megapixel of one forward at 256x256, batch 1, 1 thread."""
    torch.manual_seed(0)
    model = build_model(model_name, **kwargs).eval()
    x = torch.rand(1, 3, SIZE, SIZE)
    extra = {"noise_map": torch.rand_like(x)} if getattr(model, "needs_noise_map", False) else {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            counter = FlopCounterMode(display=False)
            with counter:
                model(x, **extra)  # also the warm-up pass
            seconds, _ = best_time(lambda: model(x, **extra), reps, budget_s=20.0)
    finally:
        torch.set_num_threads(threads)
    return {
        "params": float(sum(p.numel() for p in model.parameters())),
        "macs": counter.get_total_flops() / 2,
        "ms_per_mp": seconds * 1e3 / (SIZE * SIZE / 1e6),
    }


def _cell(entry: dict[str, float | None] | None) -> str:
    if entry is None or entry["psnr"] is None:
        return "-"
    ssim = "" if entry["ssim"] is None else f" / {entry['ssim']:.4f}"
    return f"{entry['psnr']:.2f}{ssim}"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, fmt)


def markdown(study: str, scale: str, rows: list[dict[str, Any]]) -> str:
    """The table: one row per variant, costs then PSNR / SSIM after SN and after real pairs."""
    sets = [column for column, _, _ in EVAL_SETS]
    header = [
        "variant",
        "real stage",
        "params (M)",
        f"GMACs @{SIZE}²",
        "CPU ms/MP",
        "train s/step SN / real",
        *(f"{s} {stage}" for s in sets for stage in ("SN", "+real")),
    ]
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(header) - 2)]
    for row in rows:
        steps = row["seconds_per_step"]
        cells = [
            row["variant"],
            (row["real"] or "-").upper(),
            _num(row["params"] / 1e6, ".3f"),
            _num(row["macs"] / 1e9, ".2f"),
            _num(row["ms_per_mp"], ",.0f"),
            f"{_num(steps['sn'], '.3f')} / {_num(steps['real'], '.3f')}",
            *(_cell(row["scores"][stage].get(s)) for s in sets for stage in STAGES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    b = scale_for(study, scale)
    title = (
        f"Ablation `{study}`, scale `{scale}`: {MODELS[study, scale][0]} "
        f"{MODELS[study, scale][1] or ''}, seed 0, batch {b.batch}; SN {b.sn_steps} steps, "
        f"{b.patch} px, lr {b.sn_lr:g}; real pairs (PolyU train) {b.real_steps} steps, "
        f"{b.real_patch} px, lr {b.real_lr:g}; {b.precision}. Scores: PSNR / SSIM, uint8 RGB, "
        f"--tile auto, fp32, {b.eval_limit or 'all'} images per set (PolyU: test list)."
    )
    tiled = [
        "| variant | " + " | ".join(f"{s} {k}" for s in sets for k in ("SN", "+real")) + " |",
        "|---|" + "---:|" * (2 * len(sets)),
    ]
    for row in rows:
        if any(row["scores_tiled"].values()):
            cells = [_cell(row["scores_tiled"][stage].get(s)) for s in sets for stage in STAGES]
            tiled.append(f"| {row['variant']} | " + " | ".join(cells) + " |")
    notes = [f"- `{row['variant']}`: {row['note']} (`{row['kwargs']}`)" for row in rows]
    notes.append(
        "- real stage: TF = only the noise-adaptive layers, estimator and last conv re-trained "
        "(configs/aindnet_tf.yaml), RT = all weights (configs/aindnet_rt.yaml), from the SN "
        "weights; MACs: FlopCounterMode / 2; CPU ms/MP: best forward at 256x256, batch 1, one "
        "thread; train s/step: median over the intervals of train_log.csv (--jobs runs side "
        "by side)."
    )
    second = f"The same models run in {TILE} px tiles (`--tile {TILE}`), PSNR / SSIM:"
    return "\n".join([title, "", *lines, "", second, "", *tiled, "", *notes]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", required=True, choices=sorted(STUDIES))
    parser.add_argument("--scale", default="cpu", choices=sorted(SCALES))
    parser.add_argument("--variants", help="comma-separated subset of the study (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="training runs at once")
    parser.add_argument("--out", type=Path, help="default: runs/ablation/<study>_<scale>")
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args()

    known = {v.name: v for v in STUDIES[args.study]}
    names = args.variants.split(",") if args.variants else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    out = (args.out or Path("runs") / "ablation" / f"{args.study}_{args.scale}").resolve()
    root = args.data_root.resolve()
    budget = scale_for(args.study, args.scale)
    needed = ["CBSD432", "PolyU/split.json", *(folder for _, folder, _ in EVAL_SETS)]
    missing = [
        n for n in needed + ([] if budget.builtin_crf else ["crf"]) if not (root / n).exists()
    ]
    if missing and not args.dry_run:
        parser.error(f"--data-root {root} lacks {', '.join(missing)}")
    stages = plan(args.study, args.scale, [known[n] for n in names], root, out)
    env = dict(os.environ)
    if budget.threads is not None:
        env["OMP_NUM_THREADS"] = str(budget.threads)
    if args.dry_run:
        prefix = f"OMP_NUM_THREADS={budget.threads} " if budget.threads is not None else ""
        for stage in stages:
            done = "  # done" if stage.done else ""
            print(f"# {stage.label}{done}\n{prefix}{shlex.join(stage.command)}")
        sets = ", ".join(folder for _, folder, _ in EVAL_SETS)
        print(f"# then: score each final model on {sets}; write {out}/table.md, table.json")
        return 0

    failed = run_stages(stages, args.jobs, env)
    scored = [(s.weights, "auto") for s in stages if s.done and s.variant.scored]
    scored += [(w, TILE) for w, _ in scored]
    found = score_all(scored, root, budget, args.jobs)
    if budget.threads is not None:  # costs are timed here, one model after another
        torch.set_num_threads(budget.threads)
    model_name, base = MODELS[args.study, args.scale]
    rows = []
    for name in names:
        variant = known[name]
        mine = {s.kind: s for s in stages if s.variant is variant}
        row: dict[str, Any] = {
            "variant": name,
            "kwargs": {**base, **variant.kwargs},
            "note": variant.note,
            "real": variant.real,
            **costs(model_name, {**base, **variant.kwargs}, budget.time_reps),
            "seconds_per_step": {k: None for k in STAGES},
            "scores": {k: {} for k in STAGES},
            "scores_tiled": {k: {} for k in STAGES},
        }
        for kind, stage in mine.items():
            row["seconds_per_step"][kind] = seconds_per_step(stage.run_dir)
            if (stage.weights, "auto") in found:
                row["scores"][kind] = found[stage.weights, "auto"]
            if (stage.weights, TILE) in found:
                row["scores_tiled"][kind] = found[stage.weights, TILE]
        rows.append(row)
    table = markdown(args.study, args.scale, rows)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "table.md", table)
    summary = {"study": args.study, "scale": args.scale, "budget": asdict(budget), "rows": rows}
    atomic_write_text(out / "table.json", json.dumps(summary, indent=2) + "\n")
    print(table)
    if failed:
        print(f"failed: {', '.join(s.label for s in failed)}; re-run the command to retry")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
