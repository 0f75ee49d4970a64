"""The trainer: one ``fit(config)`` for every recipe (AINDNet SN/TF/RT/R, HINet, Gaussian).

Read ``fit`` top to bottom: check that the run folder can be written, set up the process
(torchrun env, seeds, device), build the parts (model, trainable parameters, optimiser, EMA,
GradScaler, loss), restore a checkpoint if resuming, build the data, refuse a patch larger than
the smallest training image or a step that does not fit in memory (``restorekit.train.budget``),
and only then write anything; validate the starting weights if ``val.at_start``; then loop:
stop? (``max_steps``, or the time budget ``max_minutes``, which keeps room for the last
validation) -> set the learning rate (a pure function of the step) -> next batch -> forward
under autocast -> loss -> backward, clip, step -> EMA -> log -> validate (early stopping:
``val.patience``) -> checkpoint; at the end log, validate and checkpoint the last step if that
was not just done (``FitResult.stopped`` says what ended the run). Callers with datasets of
their own (``restorekit adapt``'s in-memory pairs) pass them as ``datasets``.
The final (and best) weights are exported as restorekit ``.safetensors`` files that
``restorekit denoise --model`` loads directly.

Run directory (``out_dir``, default ``runs/<name>``)::

    config.yaml                      the resolved config
    checkpoints/step-NNNNNNNN.pt     training state (+ .yaml: the config beside it)
    train_log.csv, val_log.csv, tb/  logs
    best.safetensors                 best validation weights (EMA if enabled)
    final.safetensors                weights after the last step
"""

from __future__ import annotations

import contextlib
import functools
import math
import random
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from restorekit.data import SynthesizeBatch, build_dataset
from restorekit.errors import RestoreKitError
from restorekit.infer.loading import model_channels, model_size_multiple
from restorekit.infer.memory import training_budget
from restorekit.infer.precision import check_precision
from restorekit.io import atomic_write_text
from restorekit.io.targets import check_output_folder
from restorekit.models import build_model, freeze_for_transfer
from restorekit.noise import build_noise
from restorekit.train import distributed
from restorekit.train.batches import MIX_NOISE, MixedBatches, TrainBatches, mixed_steps
from restorekit.train.budget import (
    check_patch_size,
    check_step_memory,
    file_image_sizes,
    step_memory,
)
from restorekit.train.checkpoint import (
    checkpoint_path,
    find_resume,
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from restorekit.train.config import (
    ModelConfig,
    NoiseConfig,
    OptimConfig,
    TrainConfig,
    ValConfig,
    ValSetConfig,
    dump_yaml,
    load_config,
    to_dict,
)
from restorekit.train.distributed import DistEnv
from restorekit.train.ema import EMA
from restorekit.train.logger import RunLogger
from restorekit.train.losses import Criterion, build_criterion
from restorekit.train.schedule import lr_at, set_lr
from restorekit.train.validate import validate
from restorekit.weights import load_model, save_model

CHECKPOINT_FORMAT = 1
# Keys that may change between a run and its resumption without a warning.
_RUN_CONTROL = {
    "resume",
    "max_steps",
    "max_minutes",
    "max_memory",
    "progress",
    "tensorboard",
    "threads",
    "log_every",
    "ckpt_every",
    "keep_last",
    "device",
    "out_dir",
}


@dataclass
class TrainState:
    """Where the run stands: updates done and the best validation result so far."""

    step: int = 0
    best: dict[str, float] | None = None
    misses: int = 0  # validations in a row without a gain of more than val.min_delta
    history: list[dict[str, float]] = field(default_factory=list)  # every validation, in order

    @property
    def validated_step(self) -> int | None:
        """The step of the last validation (None before the first)."""
        return int(self.history[-1]["step"]) if self.history else None


@dataclass
class Parts:
    """Everything ``fit`` trains with; ``model`` is the bare network (not DDP-wrapped)."""

    model: nn.Module
    trainable: list[nn.Parameter]
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    criterion: Criterion
    ema: EMA | None = None

    @property
    def eval_model(self) -> nn.Module:
        """The network validation and exports use: the EMA average if enabled."""
        return self.ema.module if self.ema is not None else self.model


@dataclass(frozen=True)
class FitResult:
    """What a finished run produced."""

    run_dir: Path
    step: int
    best: dict[str, float] | None
    weights: Path
    is_main: bool = True
    stopped: str = "max_steps"  # or "time budget", "early stop (...)"
    history: tuple[dict[str, float], ...] = ()  # every validation: step, psnr, ssim, <also>/...


@dataclass(frozen=True)
class GivenData:
    """Datasets built by the caller instead of from the config (``fit(cfg, datasets=...)``)."""

    train: Dataset
    val: Dataset | None = None


def train(
    config: str | PathLike[str], overrides: Sequence[str] = (), *, resume: str | None = None
) -> FitResult:
    """``restorekit train``: load a recipe with ``key=value`` overrides and fit it.

    ``resume`` (``"auto"`` or a checkpoint path) overrides the recipe's ``resume`` key.
    """
    settings = {} if resume is None else {"resume": resume}
    return fit(load_config(config, overrides, **settings))


def fit(cfg: TrainConfig, *, datasets: GivenData | None = None) -> FitResult:
    """Train the model of ``cfg``; see the module docstring for what lands in the run dir.

    ``datasets``: the training and validation sets already built (in-memory pairs:
    ``restorekit adapt``); ``data.train`` and ``val.dataset`` then only describe them.
    """
    env, threads = distributed.setup(cfg.device), torch.get_num_threads()
    try:
        run_dir = check_output_folder(cfg.run_dir, "the run folder (out_dir)")
        state, parts = TrainState(), _setup(cfg, env)
        resume_from = _resume_path(cfg, run_dir)
        if resume_from is not None:
            state = _restore(parts, resume_from, cfg)
        if datasets is None:
            dataset = build_dataset(cfg.data.train.name, **cfg.data.train_kwargs(cfg.seed))
            validation = val_data(cfg)
        else:
            dataset = datasets.train
            validation = [] if datasets.val is None else val_data(cfg, main=datasets.val)
        mixed = _mixed_dataset(cfg)
        _check_budget(cfg, env, parts, dataset, "data.train")
        if mixed is not None:
            _check_budget(cfg, env, parts, mixed, "data.mix.train")
        batches = _batches(cfg, env, state.step, dataset, mixed)
        if env.is_main:
            atomic_write_text(run_dir / "config.yaml", dump_yaml(cfg), make_parents=True)
        model, window = distributed.wrap(parts.model, env), LossWindow(env.world_size)
        terms = [name for name, _, _ in parts.criterion.terms]
        with RunLogger(
            run_dir,
            terms=terms,
            val_sets=[one.name for one in validation[1:]],
            start_step=state.step,
            max_steps=cfg.max_steps,
            enabled=env.is_main,
            tensorboard=cfg.tensorboard,
            progress=cfg.progress,
        ) as logger:
            if resume_from is not None:
                logger.message(f"resumed from {resume_from} at step {state.step}")
            clock = _Clock(cfg, env)
            checkpointed = state.step if resume_from is not None else None

            def check() -> None:
                with clock.validating():
                    _validate_and_track(cfg, env, parts, state, logger, validation)

            if validation and cfg.val.at_start and not state.history:
                check()
            while (stopped := clock.stop_before_step(state.step)) is None:
                lr = lr_at(state.step, cfg.optim.lr, cfg.schedule, cfg.max_steps)
                set_lr(parts.optimizer, lr)
                batch = next(batches)
                with _autocast(env.device, cfg.precision):
                    output = model(batch["noisy"], **_map_input(parts.model, batch))
                loss, values = parts.criterion(output, batch)
                _backward_step(loss, parts, cfg.optim.clip_grad_norm)
                if parts.ema is not None:
                    parts.ema.update(parts.model)
                state.step = done = state.step + 1
                window.add(loss, values)
                logger.advance()
                if done % cfg.log_every == 0:
                    logger.train(done, lr, *window.flush(done))
                if validation and done % cfg.val.every == 0:
                    check()
                    stopped = _out_of_patience(cfg, state)
                if done % cfg.ckpt_every == 0 and env.is_main:
                    _save(cfg, parts, state, batches)
                    checkpointed = done
                if stopped is not None:
                    break
            if window.count:
                logger.train(state.step, lr, *window.flush(state.step))
            if validation and state.validated_step != state.step:
                check()
            if checkpointed != state.step and env.is_main:
                _save(cfg, parts, state, batches)
            if stopped != "max_steps":
                logger.message(f"stopped at step {state.step}: {stopped}")
        weights = run_dir / "final.safetensors"
        if env.is_main:
            _export(cfg, parts, state, "final")
        distributed.barrier()
        return FitResult(
            run_dir,
            state.step,
            state.best,
            weights,
            env.is_main,
            stopped,
            tuple(state.history),
        )
    finally:
        torch.set_num_threads(threads)
        distributed.cleanup(env)


class _Clock:
    """When a run stops before its next step: at ``max_steps``, or once the time left of
    ``max_minutes`` would not fit a validation as long as the last one (every process agrees:
    the decision is reduced over them)."""

    def __init__(self, cfg: TrainConfig, env: DistEnv) -> None:
        self.cfg, self.env = cfg, env
        self.started = time.perf_counter()
        self.val_seconds = 0.0

    @contextlib.contextmanager
    def validating(self) -> Iterator[None]:
        """Time a validation: the end of the budget keeps room for one as long."""
        tick = time.perf_counter()
        yield
        self.val_seconds = time.perf_counter() - tick

    def stop_before_step(self, step: int) -> str | None:
        """``"max_steps"``, ``"time budget"`` or None (go on)."""
        if self.cfg.max_steps is not None and step >= self.cfg.max_steps:
            return "max_steps"
        if self.cfg.max_minutes is None:
            return None
        elapsed = time.perf_counter() - self.started + self.val_seconds
        over = torch.tensor([float(elapsed >= 60.0 * self.cfg.max_minutes)], device=self.env.device)
        return "time budget" if float(distributed.all_reduce_sum(over)) > 0 else None


# -- setup -----------------------------------------------------------------------------------------


def _setup(cfg: TrainConfig, env: DistEnv) -> Parts:
    """Seed, then build the model, its trainable parameters, optimiser, EMA, scaler and loss."""
    if cfg.precision == "fp16" and env.device.type != "cuda":
        raise RestoreKitError("precision fp16 needs a GPU; use bf16 on the CPU")
    check_precision(cfg.precision, env.device)  # warns once for bf16 on a CPU emulating it
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    # Training patches have one size, so let cuDNN pick the fastest kernels once.
    torch.backends.cudnn.benchmark = env.device.type == "cuda"
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank and every run
    model, trainable = build_trainable_model(cfg.model, env.device)
    if _needs_noise_map(model):
        if cfg.data.noise is None:
            raise RestoreKitError(
                f"model '{cfg.model.name}' with kwargs {cfg.model.kwargs} takes ground-truth "
                "noise maps: train it on synthetic noise (data.noise)"
            )
        if cfg.val is not None:
            raise RestoreKitError(
                f"model '{cfg.model.name}' with kwargs {cfg.model.kwargs} takes ground-truth "
                "noise maps, which validation does not pass; set val=null"
            )
    return Parts(
        model=model,
        trainable=trainable,
        optimizer=build_optimizer(cfg.optim, trainable),
        scaler=torch.amp.GradScaler(env.device.type, enabled=cfg.precision == "fp16"),
        criterion=build_criterion(cfg.loss),
        ema=EMA(model, cfg.ema.decay) if cfg.ema is not None else None,
    )


def build_trainable_model(cfg: ModelConfig, device: torch.device) -> tuple[nn.Module, list]:
    """The model in training mode on ``device`` (initialised from ``init_from`` if given) and
    the parameters to train; with ``trainable: transfer`` all others are frozen."""
    model = build_model(cfg.name, **cfg.kwargs)
    if cfg.init_from is not None:
        source = load_model(cfg.init_from)
        try:
            model.load_state_dict(source.state_dict(), strict=True)
        except RuntimeError:
            raise RestoreKitError(
                f"the weights do not fit model '{cfg.name}' with kwargs {cfg.kwargs} "
                f"(they are a '{source.checkpoint_metadata.get('name')}' with "
                f"{source.checkpoint_metadata.get('kwargs')})",
                cfg.init_from,
            ) from None
    model.to(device).train()
    if cfg.trainable == "transfer":
        return model, freeze_for_transfer(model)
    return model, list(model.parameters())


def _needs_noise_map(model: nn.Module) -> bool:
    """Whether ``model`` takes the ground-truth noise map (AINDNet with ``estimator="none"``)."""
    return bool(getattr(model, "needs_noise_map", False))


def _map_input(model: nn.Module, batch: Mapping[str, Any]) -> dict[str, Tensor]:
    """The keyword inputs besides the noisy image: ``noise_map`` for models that take it."""
    return {"noise_map": batch["noise_map"]} if _needs_noise_map(model) else {}


class _ZeroMapProbe(nn.Module):
    """``model`` run on the image alone with an all-zero noise map, for the memory estimate of a
    model that takes ground-truth maps (its training steps pass the real ones)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.size_multiple = model_size_multiple(model)

    def forward(self, x: Tensor) -> Any:
        return self.model(x, noise_map=torch.zeros_like(x))


def build_optimizer(cfg: OptimConfig, params: list[nn.Parameter]) -> torch.optim.Optimizer:
    """Adam or AdamW over ``params``; the learning rate is set before every step."""
    kind = torch.optim.AdamW if cfg.name == "adamw" else torch.optim.Adam
    return kind(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay)


def _synth(noise: NoiseConfig | None) -> SynthesizeBatch | None:
    return None if noise is None else SynthesizeBatch(build_noise(noise.name, **noise.kwargs))


def _check_budget(
    cfg: TrainConfig, env: DistEnv, parts: Parts, dataset: Dataset, section: str
) -> None:
    """Refuse a patch larger than the smallest image of the training set ``section`` names
    (file datasets, read from the headers) and a step of this process's share of the batch
    that does not fit in memory."""
    patch = getattr(dataset, "patch_size", None)
    key = f"{section}.kwargs.patch_size"
    check_patch_size(patch, file_image_sizes(dataset), key)
    if patch is None:  # whole images of varying sizes: no single step to estimate
        return
    batch = math.ceil(cfg.data.batch_size / env.world_size)
    probe = _ZeroMapProbe(parts.model) if _needs_noise_map(parts.model) else parts.model
    need = step_memory(
        probe,
        model_channels(parts.model),
        batch,
        patch,
        parts.trainable,
        precision=cfg.precision,
        ema=parts.ema is not None,
    )
    check_step_memory(
        need,
        training_budget(env.device, cfg.max_memory),
        f"data.batch_size {batch} x {key} {patch}",
        "max_memory" if cfg.max_memory is not None else f"90% of the free memory on {env.device}",
    )


def _mixed_dataset(cfg: TrainConfig) -> Dataset | None:
    """The clean images of ``data.mix``, or None without it."""
    mix = cfg.data.mix
    return None if mix is None else build_dataset(mix.train.name, **mix.train_kwargs(cfg.seed))


def _batches(
    cfg: TrainConfig, env: DistEnv, step: int, dataset: Dataset, mixed: Dataset | None
) -> TrainBatches | MixedBatches:
    """The training batches of this process from global step ``step`` on (with ``data.mix``:
    the batches of ``mixed`` interleaved)."""
    stream = functools.partial(
        TrainBatches,
        batch_size=cfg.data.batch_size,
        seed=cfg.seed,
        env=env,
        num_workers=cfg.data.num_workers,
    )
    mix = cfg.data.mix
    if mix is None or mixed is None:
        return stream(dataset, synth=_synth(cfg.data.noise), start_step=step)
    main_step, mixed_step = mixed_steps(step, mix.every)
    return MixedBatches(
        stream(dataset, synth=_synth(cfg.data.noise), start_step=main_step),
        stream(
            mixed,
            synth=_synth(mix.noise),
            start_step=mixed_step,
            noise_stream=MIX_NOISE,
        ),
        every=mix.every,
        start_step=step,
    )


# -- the step --------------------------------------------------------------------------------------


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def _backward_step(loss: Tensor, parts: Parts, clip: float | None) -> None:
    """Backward (scaled for fp16), optional global-norm clipping, optimiser step."""
    parts.optimizer.zero_grad(set_to_none=True)
    parts.scaler.scale(loss).backward()
    if clip is not None:
        parts.scaler.unscale_(parts.optimizer)
        torch.nn.utils.clip_grad_norm_(parts.trainable, clip)
    parts.scaler.step(parts.optimizer)
    parts.scaler.update()


class LossWindow:
    """Sums the loss and its terms on the device between logs (one sync per log, not per step)."""

    def __init__(self, world_size: int) -> None:
        self.world_size = world_size
        self.sums: dict[str, Tensor] = {}
        self.count = 0

    def add(self, loss: Tensor, terms: Mapping[str, Tensor]) -> None:
        for name, value in {"loss": loss.detach(), **terms}.items():
            self.sums[name] = self.sums[name] + value if name in self.sums else value.clone()
        self.count += 1

    def flush(self, step: int) -> tuple[float, dict[str, float]]:
        """The mean loss and terms since the last flush, averaged over all processes (every
        rank calls this at the same steps); a non-finite loss stops the run."""
        names = list(self.sums)
        totals = distributed.all_reduce_sum(torch.stack([self.sums[k].float() for k in names]))
        means = dict(zip(names, (totals / (self.count * self.world_size)).tolist(), strict=True))
        self.sums, self.count = {}, 0
        loss = means.pop("loss")
        if not np.isfinite(loss):
            raise RestoreKitError(
                f"the training loss is {loss} at step {step}; lower optim.lr or set "
                "optim.clip_grad_norm"
            )
        return loss, means


# -- validation, checkpoints, exports --------------------------------------------------------------


class ValSet(NamedTuple):
    """One validation set as built: its name (empty for the main set; a ``val.also`` name), its
    images and the noise for clean-only sets (its own, else ``data.noise``)."""

    name: str
    dataset: Dataset
    synth: SynthesizeBatch | None
    y_channel: bool
    max_images: int | None

    @property
    def prefix(self) -> str:
        """What its metrics are logged under: ``psnr`` for the main set, ``<name>/psnr`` else."""
        return f"{self.name}/" if self.name else ""


def val_data(cfg: TrainConfig, main: Dataset | None = None) -> list[ValSet]:
    """The validation sets of ``val``, the main one first (``main`` if given, else built from
    ``val.dataset``), then ``val.also``; none without ``val``."""
    if cfg.val is None:
        return []
    also = [_val_set(cfg, extra.name, extra) for extra in cfg.val.also]
    return [_val_set(cfg, "", cfg.val, main), *also]


def _val_set(
    cfg: TrainConfig, name: str, spec: ValConfig | ValSetConfig, dataset: Dataset | None = None
) -> ValSet:
    """One validation set as ``spec`` describes it (``dataset`` if given, else built)."""
    if dataset is None:
        dataset = build_dataset(spec.dataset.name, **spec.dataset.kwargs)
    synth = _synth(spec.noise or cfg.data.noise)
    return ValSet(name, dataset, synth, spec.y_channel, spec.max_images)


def _validate_and_track(
    cfg: TrainConfig,
    env: DistEnv,
    parts: Parts,
    state: TrainState,
    logger: RunLogger,
    validation: list[ValSet],
) -> None:
    """Validate on every set (every rank takes a share of each), log, and export ``best`` when
    the main set's metric improves."""
    val = cfg.val
    metrics: dict[str, float] = {}
    for one in validation:
        scores = validate(
            parts.eval_model,
            one.dataset,
            env=env,
            seed=cfg.seed,
            synth=one.synth,
            y_channel=one.y_channel,
            tile=val.tile if val.tile is not None else cfg.model.max_tile,
            overlap=val.overlap,
            max_images=one.max_images,
        )
        metrics.update({one.prefix + key: value for key, value in scores.items()})
    logger.val(state.step, metrics)
    state.history.append({"step": state.step, **metrics})
    gained = state.best is None or metrics[val.metric] > state.best[val.metric] + val.min_delta
    state.misses = 0 if gained else state.misses + 1
    if gained:
        state.best = {**metrics, "step": state.step}
        if env.is_main:
            _export(cfg, parts, state, "best")


def _out_of_patience(cfg: TrainConfig, state: TrainState) -> str | None:
    """``"early stop"`` after ``val.patience`` validations without a gain (past min_steps)."""
    val = cfg.val
    if val is None or val.patience is None or state.step < val.min_steps:
        return None
    if state.misses < val.patience:
        return None
    return f"early stop (no gain of more than {val.min_delta:g} in {val.patience} validations)"


def _export(cfg: TrainConfig, parts: Parts, state: TrainState, which: str) -> Path:
    """Write ``<run>/<which>.safetensors`` with the recipe and metrics in its metadata."""
    metrics = dict(state.best or {}) if which == "best" else {}
    return save_model(
        cfg.run_dir / f"{which}.safetensors",
        parts.eval_model,
        name=cfg.model.name,
        kwargs=cfg.model.kwargs,
        recipe=to_dict(cfg),
        metrics=metrics,
        training_step=state.step,
        ema=cfg.ema is not None,
        **({"max_tile": cfg.model.max_tile} if cfg.model.max_tile is not None else {}),
    )


def _save(
    cfg: TrainConfig, parts: Parts, state: TrainState, batches: TrainBatches | MixedBatches
) -> None:
    """Write the checkpoint of ``state.step`` (rank 0 only)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "step": state.step,
        "model": parts.model.state_dict(),
        "optimizer": parts.optimizer.state_dict(),
        "scheduler": {
            "name": cfg.schedule.name,
            "next_lr": lr_at(state.step, cfg.optim.lr, cfg.schedule, cfg.max_steps),
        },
        "ema": parts.ema.state_dict() if parts.ema is not None else None,
        "scaler": parts.scaler.state_dict(),
        "rng": rng_state(),
        "data": {"seed": cfg.seed, **batches.state()},
        "best": state.best,
        "misses": state.misses,
        "history": state.history,
        "config": to_dict(cfg),
    }
    save_checkpoint(
        checkpoint_path(cfg.run_dir, state.step), payload, dump_yaml(cfg), cfg.keep_last
    )


def _resume_path(cfg: TrainConfig, run_dir: Path) -> Path | None:
    """The checkpoint to resume from; a fresh start refuses a run dir that has checkpoints."""
    found = find_resume(run_dir, cfg.resume)
    if cfg.resume is None and list_checkpoints(run_dir):
        raise RestoreKitError(
            "this run directory already has checkpoints; resume with --resume (resume=auto) "
            "or choose another out_dir",
            run_dir,
        )
    return found


def _restore(parts: Parts, path: Path, cfg: TrainConfig) -> TrainState:
    """Load a checkpoint into ``parts`` and the global RNGs; returns the state to continue."""
    saved = load_checkpoint(path)
    old = saved.get("config", {})
    changed = _changed_keys(old, to_dict(cfg))
    if old.get("max_steps") != cfg.max_steps and cfg.schedule.total_steps is None:
        changed.append("max_steps (the schedule follows it; schedule.total_steps pins it)")
    if changed and distributed.is_main():
        print(
            f"restorekit train: warning: resuming with a changed config: {', '.join(changed)}",
            file=sys.stderr,
        )
    try:
        parts.model.load_state_dict(saved["model"])
        parts.optimizer.load_state_dict(saved["optimizer"])
        if parts.ema is not None:
            if saved["ema"] is None:
                raise RestoreKitError("the checkpoint has no EMA weights but ema is enabled", path)
            parts.ema.load_state_dict(saved["ema"])
        if saved["scaler"] and parts.scaler.is_enabled():  # empty unless the run used fp16
            parts.scaler.load_state_dict(saved["scaler"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise RestoreKitError(f"the checkpoint does not fit this config ({err})", path) from None
    set_rng_state(saved["rng"])
    return TrainState(
        step=int(saved["step"]),
        best=saved.get("best"),
        misses=int(saved.get("misses", 0)),
        history=list(saved.get("history", [])),
    )


def _changed_keys(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two resolved configs (run-control keys aside)."""
    changed = []
    for key in sorted(set(old) | set(new)):
        if not prefix and key in _RUN_CONTROL:
            continue
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            changed += _changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.append(f"{prefix}{key}")
    return changed
