"""Training recipes: YAML -> frozen, validated dataclasses, with dotted ``key=value`` overrides.

A recipe names registry keys only (``model.name: hinet``, ``data.train.name: clean_folder``,
``loss[].name: l1``), never import paths. Loading rejects unknown keys at every level, checks
ranges in ``__post_init__`` and reports the dotted path of the offending key. Overrides use the
same dotted keys (list items by position, ``loss.0.weight=0.5``) and YAML-typed values
(``optim.lr=2e-4``, ``val=null``, ``model.kwargs.wf=32``); they are applied to the raw mapping
before validation, so a typo in an override fails exactly like one in the file.

``to_dict(config)`` is the resolved config (plain YAML types) written beside every checkpoint
and into exported weights; ``config_from_dict`` turns it back into the same config.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import yaml

from restorekit.errors import RestoreKitError
from restorekit.train.losses import LOSSES


class _FieldError(ValueError):
    """A range/consistency problem found in ``__post_init__``, re-raised with the dotted path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise _FieldError(key, message)


@dataclass(frozen=True)
class ModelConfig:
    """Which network to train and where its starting weights come from.

    ``name`` and ``kwargs`` go to ``restorekit.models.build_model``. ``init_from`` is one of our
    ``.safetensors`` files (or anything ``restorekit.load_model`` reads) whose weights initialise
    the model strictly. ``trainable: transfer`` updates only AINDNet+TF's groups
    (``restorekit.models.transfer_parameters``) and freezes everything else. ``max_tile`` is
    written into the exported weights: ``--tile auto`` then never runs the model on tiles larger
    than that (instance-normalised models trained on small patches do better near their
    training scale; see ``restorekit.infer.loading.model_max_tile``).
    """

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    init_from: str | None = None
    trainable: Literal["all", "transfer"] = "all"
    max_tile: int | None = None

    def __post_init__(self) -> None:
        _require(
            self.max_tile is None or self.max_tile > 32,
            "max_tile",
            "must be larger than the tile overlap (32)",
        )


@dataclass(frozen=True)
class DatasetConfig:
    """A dataset by registry name (``restorekit.data.build_dataset``) plus its keyword arguments."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoiseConfig:
    """A synthetic noise model by registry name (``restorekit.noise.build_noise``) plus kwargs."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


_SHORTCUTS = {
    "clean_folder": {"clean": "root"},
    "paired_folder": {"clean": "clean_dir", "noisy": "noisy_dir"},
}
"""The folder shortcuts (``clean``, ``noisy``) each dataset takes, and the option they set."""


def _check_shortcuts(train: DatasetConfig, values: dict[str, str | None]) -> None:
    """Every shortcut given must be an option of ``train``'s dataset not also set in its kwargs."""
    for key, value in values.items():
        if value is not None:
            target = _SHORTCUTS.get(train.name, {}).get(key)
            _require(target is not None, key, f"is not an option of '{train.name}'")
            _require(target not in train.kwargs, key, f"and train.kwargs.{target} are both set")


def _with_shortcuts(
    train: DatasetConfig, seed: int, values: dict[str, str | None]
) -> dict[str, Any]:
    """``train``'s keyword arguments with the seed and the shortcuts given filled in."""
    kwargs: dict[str, Any] = {"seed": seed, **train.kwargs}
    for key, value in values.items():
        if value is not None:
            kwargs[_SHORTCUTS[train.name][key]] = value
    return kwargs


@dataclass(frozen=True)
class MixConfig:
    """Synthetic batches mixed into training, as CBDNet trains on synthetic and real images
    alternately: every ``every``-th batch comes from ``train`` (a clean-image dataset; ``clean``
    is its folder shortcut) with inputs synthesised by ``noise``, the others from ``data.train``.

    A real-pair stage that sees only its pairs can forget what the synthetic stage taught about
    noise the pairs do not show (darker, stronger: ``docs/real_noise_stages.md``); mixing the
    synthetic batches back in keeps it. The batch size is ``data.batch_size``; patches are this
    dataset's own.
    """

    train: DatasetConfig
    noise: NoiseConfig
    every: int = 2
    clean: str | None = None

    def __post_init__(self) -> None:
        _require(self.every >= 2, "every", "must be >= 2 (2: every other batch is synthetic)")
        _require(
            self.clean is None or self.train.name == "clean_folder",
            "clean",
            "needs a clean_folder dataset",
        )
        _check_shortcuts(self.train, {"clean": self.clean})

    def train_kwargs(self, seed: int) -> dict[str, Any]:
        """The mixed dataset's keyword arguments with the shortcut and the seed filled in."""
        return _with_shortcuts(self.train, seed, {"clean": self.clean})


@dataclass(frozen=True)
class DataConfig:
    """Training data. With ``noise`` the dataset yields clean images and noisy inputs are
    synthesised on the training device, per sample; without it the dataset yields pairs.

    ``batch_size`` is the global batch over all processes (each of N processes takes 1/N), so a
    recipe means the same thing on one GPU and on eight. ``clean`` and ``noisy`` are shortcuts
    for the training folders (``data.clean=../shared/data/CBSD432``): ``clean`` is
    ``clean_folder``'s ``root`` or ``paired_folder``'s ``clean_dir``, ``noisy`` is
    ``paired_folder``'s ``noisy_dir``; other datasets take their paths in ``train.kwargs``.
    The dataset's ``seed`` (patches, flips) defaults to the run's seed. ``mix``: synthetic
    batches interleaved with these (:class:`MixConfig`).
    """

    train: DatasetConfig
    noise: NoiseConfig | None = None
    batch_size: int = 16
    num_workers: int = 2
    clean: str | None = None
    noisy: str | None = None
    mix: MixConfig | None = None

    def __post_init__(self) -> None:
        _require(self.batch_size >= 1, "batch_size", "must be >= 1")
        _require(self.num_workers >= 0, "num_workers", "must be >= 0")
        _check_shortcuts(self.train, {"clean": self.clean, "noisy": self.noisy})

    def train_kwargs(self, seed: int) -> dict[str, Any]:
        """The training dataset's keyword arguments with the shortcuts and the seed filled in."""
        return _with_shortcuts(self.train, seed, {"clean": self.clean, "noisy": self.noisy})


@dataclass(frozen=True)
class LossTermConfig:
    """One weighted term of the training loss, by name from ``restorekit.train.losses.LOSSES``.

    ``kwargs`` are the term's own options, e.g. ``stages: [1.0, 1.0]`` (per-stage weights of an
    image loss) or ``alpha`` of ``ms_asymmetric``.
    """

    name: str
    weight: float = 1.0
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(
            self.name in LOSSES,
            "name",
            f"unknown loss '{self.name}'; known: {', '.join(LOSSES.names())}",
        )
        _require(math.isfinite(self.weight), "weight", "must be a finite number")


@dataclass(frozen=True)
class OptimConfig:
    """Optimiser and gradient clipping (``clip_grad_norm``: max global L2 norm, null = off)."""

    name: Literal["adam", "adamw"] = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    clip_grad_norm: float | None = None

    def __post_init__(self) -> None:
        _require(0 < self.lr < 1, "lr", "must be in (0, 1)")
        _require(all(0 <= b < 1 for b in self.betas), "betas", "must be in [0, 1)")
        _require(self.eps > 0, "eps", "must be > 0")
        _require(self.weight_decay >= 0, "weight_decay", "must be >= 0")
        _require(
            self.clip_grad_norm is None or self.clip_grad_norm > 0, "clip_grad_norm", "must be > 0"
        )


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning rate as a pure function of the step (see ``restorekit.train.schedule.lr_at``).

    ``cosine`` decays from the base lr to ``eta_min`` over ``total_steps`` (default: the run's
    ``max_steps``); ``step`` multiplies by ``gamma`` at each of ``milestones``; ``constant``
    keeps it. A linear warm-up over ``warmup_steps`` multiplies any of them.
    """

    name: Literal["cosine", "step", "constant"] = "cosine"
    warmup_steps: int = 0
    eta_min: float = 0.0
    total_steps: int | None = None
    milestones: tuple[int, ...] = ()
    gamma: float = 0.5

    def __post_init__(self) -> None:
        _require(self.warmup_steps >= 0, "warmup_steps", "must be >= 0")
        _require(self.eta_min >= 0, "eta_min", "must be >= 0")
        _require(self.total_steps is None or self.total_steps >= 1, "total_steps", "must be >= 1")
        _require(
            list(self.milestones) == sorted(set(self.milestones))
            and min(self.milestones, default=1) > 0,
            "milestones",
            "must be increasing positive steps",
        )
        _require(0 < self.gamma <= 1, "gamma", "must be in (0, 1]")


@dataclass(frozen=True)
class EMAConfig:
    """Exponential moving average of the weights; validation and exports then use the average."""

    decay: float = 0.999

    def __post_init__(self) -> None:
        _require(0 < self.decay < 1, "decay", "must be in (0, 1)")


@dataclass(frozen=True)
class ValSetConfig:
    """A further validation set (``val.also``), scored at every validation beside the main one
    and logged as ``<name>/psnr`` and ``<name>/ssim`` (val_log.csv, TensorBoard ``val/<name>/...``):
    e.g. synthetic strong noise beside held-out real pairs, to see a fine-tuning forget it.
    Only the main set picks ``best`` and stops early. ``dataset``, ``noise``, ``y_channel`` and
    ``max_images`` as in ``val``; tiles as the main set."""

    name: str
    dataset: DatasetConfig
    noise: NoiseConfig | None = None
    y_channel: bool = False
    max_images: int | None = None

    def __post_init__(self) -> None:
        _require(
            self.name.replace("_", "").replace("-", "").isalnum() and self.name.isascii(),
            "name",
            "must be letters, digits, '_' or '-'",
        )
        _require(self.max_images is None or self.max_images >= 1, "max_images", "must be >= 1")


@dataclass(frozen=True)
class ValConfig:
    """Validation every ``every`` steps (and at the end) on whole images, PSNR and SSIM.

    A clean-only dataset gets noise from ``noise`` (default: ``data.noise``), seeded per image so
    every validation scores the same inputs. ``y_channel`` scores BT.601 luma (deraining);
    ``tile`` runs ``restorekit.infer.restore`` tiled (HINet's GoPro protocol uses 256; unset, it is
    ``model.max_tile``, so validation runs the model as ``--tile auto`` will);
    ``max_images`` keeps only the first images; ``metric`` picks the best checkpoint.
    A validation counts as a gain (and exports ``best``) when it beats the best ``metric`` so far
    by more than ``min_delta`` (dB for PSNR). Early stopping: with ``patience`` N the run ends
    after N validations in a row without a gain, never before ``min_steps`` updates (the first
    steps of a fine-tuning often lower the score before it rises). ``at_start`` also validates
    the starting weights (step 0) of a fresh run, so ``best`` is never worse than where the run
    began (``restorekit adapt``'s before score). ``also``: further named sets, only logged.
    """

    dataset: DatasetConfig
    every: int = 1000
    noise: NoiseConfig | None = None
    y_channel: bool = False
    tile: int | None = None
    overlap: int = 32
    max_images: int | None = None
    metric: Literal["psnr", "ssim"] = "psnr"
    patience: int | None = None
    min_delta: float = 0.0
    min_steps: int = 0
    at_start: bool = False
    also: tuple[ValSetConfig, ...] = ()

    def __post_init__(self) -> None:
        names = [extra.name for extra in self.also]
        _require(len(set(names)) == len(names), "also", f"names must differ: {', '.join(names)}")
        _require(self.every >= 1, "every", "must be >= 1")
        _require(self.patience is None or self.patience >= 1, "patience", "must be >= 1")
        _require(self.min_delta >= 0, "min_delta", "must be >= 0")
        _require(self.min_steps >= 0, "min_steps", "must be >= 0")
        _require(self.tile is None or self.tile >= 8, "tile", "must be >= 8")
        _require(self.overlap >= 0, "overlap", "must be >= 0")
        _require(self.max_images is None or self.max_images >= 1, "max_images", "must be >= 1")


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run. Paths are relative to the working directory.

    ``out_dir`` (default ``runs/<name>``) receives checkpoints, logs and exported weights.
    ``resume``: null = start fresh (refusing a directory that already has checkpoints),
    ``auto`` = continue from the newest checkpoint in ``out_dir`` if any, or a checkpoint path.
    ``precision``: fp32, bf16 (autocast, CPU or GPU) or fp16 (autocast + GradScaler, GPU only);
    bf16 on a CPU without native bfloat16 runs emulated (about 10x slower) after a warning line.
    ``threads``: CPU threads for torch (null = torch's default).
    ``progress``: a progress bar (on a terminal) and status lines (validations, resumption,
    what stopped the run) on stderr; the CSV logs and TensorBoard record everything either way.
    ``max_minutes``: a wall-clock budget for this process's updates and validations (a resumed
    run gets a fresh one): no step starts once the time left would not fit one more validation
    as long as the last one, and the run then validates (if it did not just), checkpoints and
    exports as at ``max_steps``. ``val.patience`` ends it early, too. ``max_steps`` may be null
    when ``max_minutes`` is set and the schedule does not need it (cosine without
    ``schedule.total_steps`` does).
    ``max_memory``: bytes one training step may use, checked before the first step (null: 90%
    of the device's free memory; ``restorekit.train.budget``).
    """

    name: str
    model: ModelConfig
    data: DataConfig
    loss: tuple[LossTermConfig, ...]
    max_steps: int | None
    max_minutes: float | None = None
    max_memory: int | None = None
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    ema: EMAConfig | None = None
    val: ValConfig | None = None
    seed: int = 0
    out_dir: str | None = None
    resume: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    threads: int | None = None
    log_every: int = 100
    ckpt_every: int = 5000
    keep_last: int = 2
    tensorboard: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        _require(bool(self.name) and "/" not in self.name, "name", "must be a non-empty word")
        _require(len(self.loss) >= 1, "loss", "needs at least one term")
        _require(self.max_steps is None or self.max_steps >= 1, "max_steps", "must be >= 1")
        _require(self.max_minutes is None or self.max_minutes > 0, "max_minutes", "must be > 0")
        _require(
            self.max_steps is not None or self.max_minutes is not None,
            "max_steps",
            "may be null only with a time budget (max_minutes)",
        )
        _require(
            self.max_steps is not None
            or self.schedule.name != "cosine"
            or self.schedule.total_steps is not None,
            "max_steps",
            "is what a cosine schedule decays over; set it or schedule.total_steps",
        )
        _require(self.max_memory is None or self.max_memory >= 1, "max_memory", "must be >= 1")
        _require(0 <= self.seed < 2**31, "seed", "must be in [0, 2**31)")
        _require(self.threads is None or self.threads >= 1, "threads", "must be >= 1")
        _require(self.log_every >= 1, "log_every", "must be >= 1")
        _require(self.ckpt_every >= 1, "ckpt_every", "must be >= 1")
        _require(self.keep_last >= 1, "keep_last", "must be >= 1")
        needs_map = [t.name for t in self.loss if t.name == "ms_asymmetric"]
        _require(
            not needs_map or self.data.noise is not None,
            "loss",
            "ms_asymmetric needs ground-truth noise maps, i.e. synthetic noise (data.noise)",
        )

    @property
    def run_dir(self) -> Path:
        """Where this run writes: ``out_dir`` or ``runs/<name>``."""
        return Path(self.out_dir) if self.out_dir is not None else Path("runs") / self.name


# -- loading ----------------------------------------------------------------------------------


def load_config(
    path: str | PathLike[str], overrides: Iterable[str] = (), **settings: Any
) -> TrainConfig:
    """Read a YAML recipe, apply ``key.sub=value`` overrides and then ``settings`` (already
    typed values by dotted key, e.g. ``resume="auto"``), and validate the result."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise RestoreKitError(f"cannot read the config ({err.strerror})", path) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise RestoreKitError(f"not valid YAML ({' '.join(str(err).split())})", path) from None
    if not isinstance(raw, dict):
        raise RestoreKitError("a config must be a YAML mapping", path)
    for item in overrides:
        key, value = parse_override(item)
        set_dotted(raw, key, value)
    for key, value in settings.items():
        set_dotted(raw, key, value)
    try:
        return config_from_dict(raw)
    except RestoreKitError as err:
        raise RestoreKitError(str(err), path) from None


def parse_override(item: str) -> tuple[str, Any]:
    """``'optim.lr=2e-4'`` -> ``('optim.lr', 0.0002)``: the value is parsed as YAML."""
    key, sep, text = item.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise RestoreKitError(f"override '{item}' is not of the form key.sub=value")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        raise RestoreKitError(f"override '{item}': the value is not valid YAML") from None
    return key.strip(), value


def set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``raw[a][b][c] = value`` for ``key='a.b.c'``; list items are addressed by position.

    Missing or null intermediate levels become mappings (``ema.decay=0.999`` enables EMA); the
    dataclass validation afterwards rejects keys that do not exist.
    """
    parts = key.split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise RestoreKitError(f"override '{key}': '{where}' is not an item of the list")
            slot: Any = int(part)
        elif isinstance(node, dict):
            slot = part
        else:
            raise RestoreKitError(f"override '{key}': '{where}' is inside a {type(node).__name__}")
        if last:
            node[slot] = value
        else:
            if isinstance(node, dict) and node.get(slot) is None:
                node[slot] = {}
            node = node[slot]


def config_from_dict(raw: Mapping[str, Any]) -> TrainConfig:
    """Validate a plain mapping (a parsed recipe or a saved resolved config)."""
    return _build(TrainConfig, copy.deepcopy(dict(raw)), "")


def to_dict(config: Any) -> Any:
    """The resolved config as plain YAML types (tuples become lists)."""
    if dataclasses.is_dataclass(config):
        return {f.name: to_dict(getattr(config, f.name)) for f in fields(config)}
    if isinstance(config, list | tuple):
        return [to_dict(v) for v in config]
    if isinstance(config, Mapping):
        return {str(k): to_dict(v) for k, v in config.items()}
    return config


def dump_yaml(config: TrainConfig) -> str:
    """The resolved config as YAML text, keys in declaration order."""
    return yaml.safe_dump(to_dict(config), sort_keys=False, default_flow_style=None)


# -- validation machinery ----------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _build(cls: type, data: Any, path: str) -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown and missing keys."""
    if not isinstance(data, Mapping):
        raise RestoreKitError(f"'{path or 'config'}' must be a mapping, got {_show(data)}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise RestoreKitError(
            f"unknown key(s) {', '.join(repr(_join(path, k)) for k in unknown)}; "
            f"known in '{path or 'config'}': {', '.join(known)}"
        )
    required = [
        f.name
        for f in fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [k for k in required if k not in data]
    if missing:
        raise RestoreKitError(f"missing key(s) {', '.join(repr(_join(path, k)) for k in missing)}")
    values = {k: _coerce(v, hints[k], _join(path, k)) for k, v in data.items()}
    try:
        return cls(**values)
    except _FieldError as err:
        raise RestoreKitError(f"'{_join(path, err.key)}' {err}") from None


def _coerce(value: Any, tp: Any, path: str) -> Any:
    """Check ``value`` against annotation ``tp`` and convert YAML forms (lists -> tuples, ...)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _coerce(value, options[0], path)
        raise TypeError(f"unsupported annotation {tp}")  # pragma: no cover - config authors only
    if value is None:
        raise RestoreKitError(f"'{path}' must not be null")
    if origin is Literal:
        if value not in args:
            choices = ", ".join(map(str, args))
            raise RestoreKitError(f"'{path}' must be one of {choices}, got {_show(value)}")
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise RestoreKitError(f"'{path}' must be a list, got {_show(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], _join(path, i)) for i, v in enumerate(value))
        if len(value) != len(args):
            raise RestoreKitError(f"'{path}' must be a list of {len(args)}, got {_show(value)}")
        return tuple(
            _coerce(v, a, _join(path, i)) for i, (v, a) in enumerate(zip(value, args, strict=True))
        )
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise RestoreKitError(f"'{path}' must be a mapping with text keys, got {_show(value)}")
        return copy.deepcopy(dict(value))
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise RestoreKitError(f"'{path}' must be true or false, got {_show(value)}")
        return value
    if tp is int:
        number = _number(value)
        if number is None or not float(number).is_integer() or isinstance(value, bool):
            raise RestoreKitError(f"'{path}' must be an integer, got {_show(value)}")
        return int(number)
    if tp is float:
        number = _number(value)
        if number is None or isinstance(value, bool):
            raise RestoreKitError(f"'{path}' must be a number, got {_show(value)}")
        return float(number)
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise RestoreKitError(f"'{path}' must be text, got {_show(value)}")
        return str(value)
    raise TypeError(f"unsupported annotation {tp}")  # pragma: no cover - config authors only


def _number(value: Any) -> float | int | None:
    """A YAML number; also text such as '2e-4', which YAML 1.1 (PyYAML) reads as a string."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
