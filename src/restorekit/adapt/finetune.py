"""Few-shot adaptation: fine-tune a pre-trained denoiser's transfer groups on a camera's pairs.

AINDNet's claim (Kim et al., CVPR 2020, sec. 3.2 and Table 5) is that a model trained on
synthetic noise adapts to a new camera's real noise by updating only its AIN modules, noise
estimator and last conv, with very few real pairs. :func:`adapt` does that on a laptop CPU:

0. check ``output`` before any work (:func:`check_model_output`): a ``.safetensors`` name that is
   no input file, in a folder that accepts new files;
1. load the base model (a bundled name or any file ``restorekit.load_model`` reads) and check
   that it has something to train (``restorekit.models.freeze_for_transfer``;
   ``trainable="all"`` trains everything); refuse a ``patch_size`` larger than the smallest
   training image and a step that would not fit the memory budget (``restorekit.train.budget``,
   ``max_memory`` or 90% of the free memory);
2. hold out part of the pairs (``restorekit.adapt.pairs.split_holdout``);
3. hand the rest to the one trainer, ``restorekit.train.fit``, as a recipe (:func:`_recipe`):
   the base as ``model.init_from`` with its transfer groups trainable, L1, Adam at a constant
   rate after a short warm-up, random patches of the pairs (given as datasets), the hold-out
   scored at step 0 (``val.at_start``) and every ``eval_every`` steps, early stopping after
   ``patience`` scores without an improvement of ``min_delta`` dB (not before ``min_steps``:
   the first Adam steps often lower the hold-out score before it rises above the base's), the
   time budget ``minutes`` (which keeps room for the last score) or ``max_steps``. The run
   lives in ``run_dir`` (checkpoints, logs, TensorBoard; ``resume`` continues it) or in a
   temporary folder; ``precision`` bf16/fp16 trains under autocast;
4. take the best weights (the base itself if nothing beat it by ``min_delta``) and, with
   ``output``, write them with ``restorekit.weights.save_model``: the base's registry name and
   kwargs, so the file loads wherever a model loads, and an ``adapt`` metadata entry recording
   the base, the pairs, the hold-out, the scores before and after, the steps and the seconds.
   If that write fails (a full disk), the weights go to a file in the system's temporary
   folder, which the error message names, so the training is not lost.

The "after" score is the best hold-out score, which also chose the weights (early stopping),
so it is slightly optimistic; judge the gain on images not used at all.

Deterministic under ``seed`` for a given number of steps (patches come from the per-sample RNG
of ``restorekit.data``; the CPU runs with a fixed thread count). A time budget can stop at a
different step from run to run; ``max_steps`` without ``minutes`` is fully reproducible.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from restorekit.adapt.pairs import (
    Holdout,
    HoldoutBy,
    Pair,
    PairDataset,
    PairFiles,
    find_pairs,
    load_pair,
    split_holdout,
)
from restorekit.errors import OutputWriteError, RestoreKitError
from restorekit.infer.loading import DEFAULT_MODEL, model_channels, model_max_tile
from restorekit.infer.memory import training_budget
from restorekit.infer.precision import select_device
from restorekit.io.targets import check_output_file
from restorekit.models import freeze_for_transfer
from restorekit.train import GivenData, TrainConfig, config_from_dict, fit
from restorekit.train.budget import check_patch_size, check_step_memory, step_memory
from restorekit.weights import bundled_models, load_model, save_model

PathArg = str | PathLike[str]
STEPS_PER_EPOCH = 64  # batches per pass over the (few) pairs; only sets how patches are dealt
MODEL_SUFFIX = ".safetensors"
CHECKPOINT_EVERY = 100  # steps between checkpoints of a run folder (and at the end)
SCORING = (
    "held-out images centre-cropped to at most eval_size pixels per side, inference as "
    "--tile auto runs it (tiles of the base's max_tile, if any), output clamped to [0,1], "
    "float PSNR/SSIM with data range 1 "
    "(restorekit.train.validate)"
)


@dataclass(frozen=True)
class AdaptOptions:
    """Settings of one adaptation (the CLI flags of ``restorekit adapt``).

    ``minutes``: wall-clock budget (None: none); ``max_steps``: update limit (None: none); at
    least one must be set. ``patience`` counts hold-out scores, taken every ``eval_every``
    steps, without an improvement of more than ``min_delta`` dB; early stopping waits for
    ``min_steps`` updates. ``threads``: CPU threads for torch (None: torch's default).
    ``max_memory``: bytes one training step may use (None: 90% of the device's free memory).
    ``precision``: fp32, or bf16/fp16 autocast (``restorekit.train``'s ``precision``).
    ``run_dir``: a folder to keep the run in (checkpoints every 100 steps, logs, TensorBoard;
    None: a temporary folder, removed); ``resume`` continues the run found there.
    ``base``: ``aindnet-sn``, the bundled model before any real pairs. Measured on PolyU's five
    cameras with 4 pairs each (``docs/fewshot_adapt.md``): from ``aindnet-sn`` +0.90 dB on
    average; from ``aindnet-real``, already transferred on real pairs, -0.11 dB (the hold-out
    gains, the camera's test images do not). ``minutes``: 5; a run makes about 240 steps in it
    on this project's CPU (early stopping waits for 250) and scores as runs that stopped by
    patience on a faster CPU (``docs/fewshot_adapt.md``).
    """

    base: str = "aindnet-sn"
    trainable: Literal["transfer", "all"] = "transfer"
    minutes: float | None = 5.0
    max_steps: int | None = None
    lr: float = 2e-4
    warmup_steps: int = 10
    batch_size: int = 8
    patch_size: int = 96
    holdout: float = 0.25
    holdout_by: HoldoutBy = "auto"
    eval_every: int = 25
    patience: int = 4
    min_steps: int = 250
    min_delta: float = 0.01
    eval_size: int | None = 512
    seed: int = 0
    threads: int | None = None
    device: str = "cpu"
    max_memory: int | None = None
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    run_dir: str | None = None
    resume: bool = False
    progress: bool | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.trainable in ("transfer", "all"), "trainable must be transfer or all"),
            (self.minutes is None or self.minutes > 0, "minutes must be > 0"),
            (self.max_steps is None or self.max_steps >= 1, "max_steps must be >= 1"),
            (
                self.minutes is not None or self.max_steps is not None,
                "give a time budget (minutes) or max_steps, or both",
            ),
            (0 < self.lr < 1, "lr must be in (0, 1)"),
            (self.warmup_steps >= 0, "warmup_steps must be >= 0"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.patch_size >= 8, "patch_size must be >= 8"),
            (0 < self.holdout < 1, "holdout must be in (0, 1)"),
            (self.holdout_by in ("auto", "pairs", "strip"), "holdout_by: auto, pairs or strip"),
            (self.eval_every >= 1, "eval_every must be >= 1"),
            (self.patience >= 1, "patience must be >= 1"),
            (self.min_steps >= 0, "min_steps must be >= 0"),
            (self.min_delta >= 0, "min_delta must be >= 0"),
            (self.eval_size is None or self.eval_size >= 16, "eval_size must be >= 16"),
            (0 <= self.seed < 2**31, "seed must be in [0, 2**31)"),
            (self.threads is None or self.threads >= 1, "threads must be >= 1"),
            (self.max_memory is None or self.max_memory >= 1, "max_memory must be >= 1 byte"),
            (self.precision in ("fp32", "bf16", "fp16"), "precision must be fp32, bf16 or fp16"),
            (not self.resume or self.run_dir is not None, "resume needs a run_dir to continue"),
        ]
        for ok, message in checks:
            if not ok:
                raise RestoreKitError(f"adapt: {message}")


@dataclass(frozen=True)
class AdaptResult:
    """What an adaptation did; ``model`` holds the chosen (best hold-out) weights, eval mode."""

    model: nn.Module
    output: Path | None
    before: dict[str, float]
    after: dict[str, float]
    steps: int
    best_step: int
    seconds: float
    stopped: str
    train_pairs: tuple[str, ...]
    held_out: tuple[str, ...]
    holdout_by: str
    history: tuple[dict[str, float], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def gain(self) -> float:
        """Hold-out PSNR after minus before, in dB."""
        return self.after["psnr"] - self.before["psnr"]

    def summary(self) -> str:
        """Two lines for a terminal."""
        b, a = self.before, self.after
        held = f"{len(self.held_out)} held-out {'pair' if self.holdout_by == 'pairs' else 'strip'}"
        return (
            f"{len(self.train_pairs)} training pair(s), {held}(s); stopped: {self.stopped} "
            f"after {self.steps} steps in {_clock(self.seconds)} (best at step {self.best_step})\n"
            f"held-out PSNR {b['psnr']:.2f} -> {a['psnr']:.2f} dB ({self.gain:+.2f}), "
            f"SSIM {b['ssim']:.4f} -> {a['ssim']:.4f}"
        )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def adapt(
    pairs: PathArg | Sequence[Pair],
    output: PathArg | None = None,
    *,
    names: Sequence[str] | None = None,
    split_file: PathArg | None = None,
    split: str | None = None,
    origin: dict[str, Any] | None = None,
    **options: Any,
) -> AdaptResult:
    """Fine-tune ``options["base"]`` on ``pairs`` and write the result to ``output``.

    ``pairs``: a folder (see ``restorekit.adapt.pairs``; ``names`` or ``split_file`` +
    ``split`` pick some of its pairs) or loaded :class:`Pair` s. ``origin``: where synthetic
    pairs came from (``restorekit.adapt.zero_pair``: camera, ISO, profile file), recorded in
    the model's metadata. ``options`` are the fields of :class:`AdaptOptions`.
    """
    selection = {"names": names, "split_file": split_file, "split": split}
    try:
        opts = AdaptOptions(**options)
    except TypeError as err:
        known = ", ".join(f.name for f in dataclasses.fields(AdaptOptions))
        raise RestoreKitError(f"adapt: {err} (options: {known})") from None
    threads = torch.get_num_threads()
    try:
        if opts.threads is not None:
            torch.set_num_threads(opts.threads)
        return _adapt(pairs, output, selection, opts, origin)
    finally:
        torch.set_num_threads(threads)


def check_model_output(output: PathArg, inputs: Sequence[Path]) -> Path:
    """``output`` as a Path, once sure the adapted model may be written there: it is none of
    ``inputs`` (pair images, the base model, the split file), not a folder, named
    ``.safetensors`` (so no image or other unrelated file is ever replaced by a model), and its
    folder accepts new files. Checked before any work, so a bad path costs no training."""
    path = Path(output)
    if path.resolve() in {p.resolve() for p in inputs}:
        raise RestoreKitError("the output would overwrite this input file", path)
    if path.is_dir():
        raise RestoreKitError(
            f"the output is an existing folder; give a {MODEL_SUFFIX} file name", path
        )
    if path.suffix.lower() != MODEL_SUFFIX:
        raise RestoreKitError(
            f"the output is a model file and must end in {MODEL_SUFFIX} "
            f"(e.g. {path.with_suffix(MODEL_SUFFIX).name})",
            path,
        )
    return check_output_file(path, "the model file")


def _input_files(base: str, selection: dict[str, Any], found: Sequence[PairFiles]) -> list[Path]:
    """Every file an adaptation reads: pair images or burst frames, the base, the split file."""
    files = [Path(base)] if Path(base).is_file() else []
    if selection["split_file"] is not None:
        files.append(Path(selection["split_file"]))
    for pair in found:
        files += [pair.noisy, *([pair.clean] if pair.clean is not None else []), *pair.frames]
    return files


def save_or_keep(output: Path, save: Callable[[Path], Path]) -> Path:
    """``save(output)``; when that fails to write (a full disk, a folder gone), save to a new
    file in the system's temporary folder instead and raise an error naming both, so minutes
    of training are not lost to a late write failure."""
    try:
        return save(output)
    except OutputWriteError as err:
        reason = err.reason
    kept = Path(tempfile.gettempdir()) / f"{output.stem}-{secrets.token_hex(4)}{MODEL_SUFFIX}"
    try:
        save(kept)
    except OutputWriteError as err:
        raise RestoreKitError(
            f"cannot write the adapted model ({reason}), nor keep it in {kept.parent} "
            f"({err.reason}); the trained weights are lost",
            output,
        ) from None
    raise RestoreKitError(
        f"cannot write the adapted model ({reason}); the trained weights are kept in {kept} "
        "(move that file where you want it)",
        output,
    )


def load_base(spec: str, device: torch.device, trainable: str) -> tuple[nn.Module, list]:
    """The base model in training mode and the parameters to train (others frozen)."""
    if spec == DEFAULT_MODEL and spec not in bundled_models():
        raise RestoreKitError(
            f"the default base '{DEFAULT_MODEL}' is not bundled with this version yet; pass "
            "--base NAME_OR_PATH (e.g. an AINDNet trained with configs/aindnet_sn.yaml)"
        )
    model = load_model(spec, device=device)
    meta = model.checkpoint_metadata
    if trainable == "all":
        params = list(model.parameters())
        for p in params:
            p.requires_grad_(True)
    else:
        try:
            params = freeze_for_transfer(model)
        except RestoreKitError as err:
            raise RestoreKitError(
                f"{err}; train every parameter instead with trainable all",
                spec,
                params=("trainable",),
            ) from None
    if not params:
        raise RestoreKitError(f"model '{meta.get('name')}' has nothing to train", spec)
    return model.train(), params


def _adapt(
    source: PathArg | Sequence[Pair],
    output: PathArg | None,
    selection: dict[str, Any],
    opts: AdaptOptions,
    origin: dict[str, Any] | None = None,
) -> AdaptResult:
    start = time.perf_counter()
    from_folder = isinstance(source, str | PathLike)
    if not from_folder and any(v is not None for v in selection.values()):
        raise RestoreKitError("adapt: names and split files select pairs of a folder only")
    found = find_pairs(source, **selection) if from_folder else []
    target = None
    if output is not None:
        target = check_model_output(output, _input_files(opts.base, selection, found))
    device = select_device(opts.device)
    model, params = load_base(opts.base, device, opts.trainable)
    channels = model_channels(model)
    if from_folder:
        pairs = [load_pair(files, channels) for files in found]
    else:
        pairs = list(source)
        bad = [p.name for p in pairs if p.noisy.shape[0] != channels]
        if bad:
            raise RestoreKitError(f"pair '{bad[0]}' does not have the model's {channels} channels")
    split = split_holdout(pairs, opts.holdout, opts.holdout_by, opts.eval_size)
    sizes = [(p.name, p.noisy.shape[1], p.noisy.shape[2]) for p in split.train]
    check_patch_size(opts.patch_size, sizes, "patch_size")
    check_step_memory(
        step_memory(model, channels, opts.batch_size, opts.patch_size, params),
        training_budget(device, opts.max_memory),
        f"batch_size {opts.batch_size} x patch_size {opts.patch_size}",
        "max_memory" if opts.max_memory is not None else f"90% of the free memory on {device}",
    )
    meta, max_tile = model.checkpoint_metadata, model_max_tile(model)
    per_epoch = opts.batch_size * STEPS_PER_EPOCH
    data = GivenData(
        train=PairDataset(
            split.train,
            patch_size=opts.patch_size,
            augment=True,
            seed=opts.seed,
            length=len(split.train) * math.ceil(per_epoch / len(split.train)),
        ),
        val=PairDataset(split.held_out),
    )
    with _run_folder(opts.run_dir) as run_dir:
        fitted = fit(_recipe(opts, meta, max_tile, device, run_dir, split), datasets=data)
        best = load_model(fitted.run_dir / "best.safetensors", device=device)
    model.load_state_dict(best.state_dict())
    model.eval()
    seconds = time.perf_counter() - start
    history = [dict(h) for h in fitted.history]
    before = {k: v for k, v in history[0].items() if k != "step"}
    after = {k: v for k, v in (fitted.best or {}).items() if k != "step"}
    best_step = int((fitted.best or {"step": 0})["step"])
    record = {
        "base": opts.base,
        "base_name": meta.get("name"),
        "base_metrics": meta.get("metrics") or {},
        "trainable": opts.trainable,
        "trained_parameters": sum(p.numel() for p in params),
        "pairs": [p.name for p in split.train],
        "held_out": [p.name for p in split.held_out],
        "holdout_by": split.by,
        "before": before,
        "after": after,
        "psnr_gain_db": after["psnr"] - before["psnr"],
        "steps": fitted.step,
        "best_step": best_step,
        "seconds": round(seconds, 2),
        "stopped": fitted.stopped,
        "history": history,
        "scoring": SCORING,
        "options": {k: v for k, v in dataclasses.asdict(opts).items() if k != "progress"},
        **({"synthetic": origin} if origin is not None else {}),
    }
    what = f"{len(pairs)} pair(s)"
    if origin is not None and "camera" in origin:
        camera = origin["camera"]
        name = f"{camera['maker']} {camera['model']} ISO {camera['iso']:g}"
        what = f"{len(pairs)} synthetic pair(s) of {name}"
    written = None
    if target is not None and fitted.is_main:
        written = save_or_keep(
            target,
            lambda path: save_model(
                path,
                model,
                name=meta["name"],
                kwargs=meta["kwargs"],
                recipe=None,
                metrics={**after, "step": best_step},
                source=f"restorekit adapt of {opts.base} on {what}",
                adapt=record,
                **({"max_tile": max_tile} if max_tile is not None else {}),
            ),
        )
    return AdaptResult(
        model=model,
        output=written,
        before=before,
        after=after,
        steps=fitted.step,
        best_step=best_step,
        seconds=seconds,
        stopped=fitted.stopped,
        train_pairs=tuple(record["pairs"]),
        held_out=tuple(record["held_out"]),
        holdout_by=split.by,
        history=tuple(history),
        metadata=record,
    )


def _recipe(
    opts: AdaptOptions,
    meta: dict[str, Any],
    max_tile: int | None,
    device: torch.device,
    run_dir: Path,
    split: Holdout,
) -> TrainConfig:
    """The training recipe of an adaptation: the base's transfer groups (or everything), L1,
    Adam at a constant rate after a warm-up, scored on the hold-out from step 0 with early
    stopping, for ``fit`` with the pairs given as datasets."""
    pairs = {"pairs": [p.name for p in split.train], "holdout_by": split.by}
    held = {"pairs": [p.name for p in split.held_out]}
    return config_from_dict(
        {
            "name": "adapt",
            "model": {
                "name": meta["name"],
                "kwargs": meta["kwargs"],
                "init_from": opts.base,
                "trainable": opts.trainable,
                "max_tile": max_tile,
            },
            "data": {
                "train": {"name": "adapt_pairs", "kwargs": pairs},
                "batch_size": opts.batch_size,
                "num_workers": 0,
            },
            "loss": [{"name": "l1"}],
            "max_steps": opts.max_steps,
            "max_minutes": opts.minutes,
            "max_memory": opts.max_memory,
            "optim": {"lr": opts.lr},
            "schedule": {"name": "constant", "warmup_steps": opts.warmup_steps},
            "val": {
                "dataset": {"name": "adapt_holdout", "kwargs": held},
                "every": opts.eval_every,
                "patience": opts.patience,
                "min_delta": opts.min_delta,
                "min_steps": opts.min_steps,
                "at_start": True,
            },
            "seed": opts.seed,
            "out_dir": str(run_dir),
            "resume": "auto" if opts.resume else None,
            "device": device.type,
            "precision": opts.precision,
            "threads": opts.threads,
            "log_every": opts.eval_every,
            "ckpt_every": CHECKPOINT_EVERY,
            "tensorboard": opts.run_dir is not None,
            "progress": _show_progress(opts),
        }
    )


@contextlib.contextmanager
def _run_folder(run_dir: str | None) -> Iterator[Path]:
    """``run_dir`` (kept: checkpoints, logs, TensorBoard, resumable), or a temporary folder
    removed afterwards (one process only: under torchrun every rank must see the run)."""
    if run_dir is not None:
        yield Path(run_dir)
        return
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise RestoreKitError("adapt under torchrun needs a run_dir that every process sees")
    with tempfile.TemporaryDirectory(prefix="restorekit-adapt-") as folder:
        yield Path(folder)


def _show_progress(opts: AdaptOptions) -> bool:
    """A progress bar when asked for, or by default when stderr is a terminal."""
    return sys.stderr.isatty() if opts.progress is None else opts.progress
