"""restorekit's weight files: safetensors whose header carries how to rebuild the model.

The safetensors header metadata holds one entry, ``"restorekit"``, a JSON object::

    {"format_version": 1, "name": "hinet-1x", "kwargs": {...full constructor kwargs...},
     "recipe": {...} | null, "metrics": {...}, "restorekit_version": "0.1.0", ...}

``name`` is a registry name and ``kwargs`` the complete constructor arguments (preset defaults
resolved), so ``load_model(path)`` needs nothing else. Extra keyword arguments of
``save_model`` (``source``, ``licence``, ``tag``, ``notes``, ...) are stored alongside.

``load_model`` also reads ``restorekit train`` checkpoints (``step-N.pt``: EMA weights when kept),
official HINet ``.pth`` files (see ``restorekit.weights.official``) and
bundled names: ``<name>.safetensors`` looked up in the ``search_dirs`` argument, then the
``RESTOREKIT_MODEL_DIR`` directories (``os.pathsep``-separated), then ``restorekit/assets/models``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import Tensor, nn

from restorekit import __version__
from restorekit.errors import OutputWriteError, RestoreKitError
from restorekit.io import atomic_write
from restorekit.models.registry import build_model, get_entry
from restorekit.weights.official import convert_official_hinet, read_torch_file

FORMAT_VERSION = 1
METADATA_KEY = "restorekit"
MODEL_DIR_ENV = "RESTOREKIT_MODEL_DIR"
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SUFFIX = ".safetensors"
_FILE_SUFFIXES = (SUFFIX, ".pth", ".pt", ".ckpt", ".bin")

PathArg = str | PathLike[str]


def model_dirs(search_dirs: Iterable[PathArg] | None = None) -> list[Path]:
    """Where bundled names are looked up, first match wins: ``search_dirs``, env, package."""
    dirs = [Path(d) for d in search_dirs or ()]
    dirs += [Path(d) for d in os.environ.get(MODEL_DIR_ENV, "").split(os.pathsep) if d]
    return [*dirs, BUNDLED_DIR]


def bundled_models(search_dirs: Iterable[PathArg] | None = None) -> dict[str, Path]:
    """Name -> file of every ``<name>.safetensors`` in the model directories."""
    found: dict[str, Path] = {}
    for folder in model_dirs(search_dirs):
        if folder.is_dir():
            for file in sorted(folder.glob(f"*{SUFFIX}")):
                found.setdefault(file.name[: -len(SUFFIX)], file)
    return found


def resolve_model_file(name_or_path: PathArg, search_dirs: Iterable[PathArg] | None = None) -> Path:
    """The file behind an existing path or a bundled model name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.exists():
        raise RestoreKitError("is not a file", path)
    text = str(name_or_path)
    if os.sep in text or "/" in text or text.endswith(_FILE_SUFFIXES):
        raise RestoreKitError("no such file", path)
    bundled = bundled_models(search_dirs)
    if text in bundled:
        return bundled[text]
    raise RestoreKitError(
        f"'{text}' is neither a file nor a bundled model name; bundled models: "
        f"{', '.join(sorted(bundled)) or '(none)'} (an untrained model: build_model)"
    )


def save_model(
    path: PathArg, model: nn.Module, *, name: str, kwargs: Mapping[str, Any], **metadata: Any
) -> Path:
    """Write ``model``'s weights and how to rebuild it (``name`` + ``kwargs``) atomically.

    ``kwargs`` are completed with the preset defaults of ``name`` and checked against the
    model's keys and shapes, so the file always loads back. ``metadata`` (``recipe``,
    ``metrics``, ``source``, ...) must be JSON-serialisable.
    """
    path = Path(path)
    full_kwargs = get_entry(name).kwargs(**kwargs)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    _check_state_dict(
        _reference_model(name, full_kwargs),
        state,
        f"model '{name}' with kwargs {full_kwargs}",
        path,
    )
    header = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "kwargs": full_kwargs,
        "recipe": metadata.pop("recipe", None),
        "metrics": metadata.pop("metrics", {}),
        "restorekit_version": __version__,
        **metadata,
    }
    try:
        text = json.dumps(header)
    except (TypeError, ValueError) as err:
        raise RestoreKitError(f"checkpoint metadata is not JSON-serialisable: {err}") from err

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputWriteError(err.strerror or str(err), path.parent) from None
    data = save(state, metadata={METADATA_KEY: text})
    atomic_write(path, lambda handle: handle.write(data))
    return path


def read_metadata(
    path_or_name: PathArg, *, search_dirs: Iterable[PathArg] | None = None
) -> dict[str, Any]:
    """The JSON metadata of a restorekit ``.safetensors`` file or bundled model name."""
    return read_header(path_or_name, search_dirs=search_dirs)[0]


def read_header(
    path_or_name: PathArg, *, search_dirs: Iterable[PathArg] | None = None
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The metadata and the tensor shapes of a restorekit ``.safetensors``, from its header only."""
    return _read_header(resolve_model_file(path_or_name, search_dirs))


def load_model(
    name_or_path: PathArg,
    device: str | torch.device = "cpu",
    *,
    search_dirs: Iterable[PathArg] | None = None,
) -> nn.Module:
    """Load a bundled name, a restorekit ``.safetensors``, a ``restorekit train`` checkpoint
    (``.pt``) or an official HINet ``.pth``.

    The model is rebuilt from the registry, loaded strictly, moved to ``device`` and returned
    in eval mode; its metadata is attached as ``model.checkpoint_metadata``.
    """
    target = _parse_device(device)
    path = resolve_model_file(name_or_path, search_dirs)
    kind = _sniff(path)
    if kind == "safetensors":
        header = _read_header(path)[0]
        try:
            state = load_file(path, device="cpu")
        except (SafetensorError, OSError) as err:
            raise RestoreKitError(f"unreadable safetensors file ({err})", path) from err
        name, kwargs = header.get("name"), header.get("kwargs")
        if not isinstance(name, str) or not isinstance(kwargs, dict):
            raise RestoreKitError("checkpoint metadata lacks 'name' and 'kwargs'", path)
    elif kind == "torch":
        obj = read_torch_file(path)
        if _is_training_checkpoint(obj):
            name, kwargs, state, header = _from_training_checkpoint(obj, path)
        else:
            try:
                kwargs, state = convert_official_hinet(obj)
            except RestoreKitError as err:
                raise (err if err.path else RestoreKitError(str(err), path)) from None
            name = "hinet"
            header = {"format_version": FORMAT_VERSION, "name": name, "kwargs": kwargs}
            header.update(recipe=None, metrics={}, source=f"official HINet checkpoint {path.name}")
    else:
        raise RestoreKitError(
            "not a model file: expected a restorekit .safetensors or an official HINet .pth", path
        )
    try:
        model = build_model(name, **kwargs)
    except (RestoreKitError, ValueError, TypeError) as err:
        raise RestoreKitError(f"cannot build '{name}' from its metadata: {err}", path) from err
    _check_state_dict(model, state, f"model '{name}'", path)
    model.load_state_dict(state, strict=True)
    model.checkpoint_metadata = header
    max_tile = header.get("max_tile")
    model.spec = replace(
        model.spec,
        max_tile=max_tile if isinstance(max_tile, int) and max_tile > 0 else None,
        source=header.get("source"),
        licence=header.get("licence"),
    )
    return model.to(target).eval()


def _is_training_checkpoint(obj: Any) -> bool:
    """A ``restorekit train`` checkpoint (``<run>/checkpoints/step-N.pt``)."""
    return isinstance(obj, dict) and {"format", "step", "model", "config"} <= obj.keys()


def _from_training_checkpoint(
    obj: dict[str, Any], path: Path
) -> tuple[str, dict[str, Any], dict[str, Tensor], dict[str, Any]]:
    """Name, kwargs, weights (the EMA ones when the run kept an EMA, as its exports do) and
    metadata of a training checkpoint, so ``denoise``/``eval`` take a run's checkpoints too."""
    model_cfg = obj["config"].get("model") if isinstance(obj["config"], dict) else None
    if not isinstance(model_cfg, dict) or not isinstance(model_cfg.get("name"), str):
        raise RestoreKitError("training checkpoint without a model name in its config", path)
    name, kwargs = model_cfg["name"], dict(model_cfg.get("kwargs") or {})
    has_ema = isinstance(obj.get("ema"), dict)
    state = obj["ema"] if has_ema else obj["model"]
    header = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "kwargs": get_entry(name).kwargs(**kwargs),
        "recipe": obj["config"],
        "metrics": {},
        "training_step": int(obj["step"]),
        "ema": has_ema,
        "source": f"restorekit training checkpoint {path.name}",
    }
    return name, header["kwargs"], state, header


def _reference_model(name: str, kwargs: Mapping[str, Any]) -> nn.Module:
    """``name`` built without allocating weights (meta device) where the model allows it."""
    try:
        with torch.device("meta"):
            return build_model(name, **kwargs)
    except (NotImplementedError, RuntimeError):
        # Some constructors run data-dependent ops the meta device cannot; build for real.
        return build_model(name, **kwargs)


def _parse_device(device: str | torch.device) -> torch.device:
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise RestoreKitError(f"invalid device '{device}'") from err
    if target.type == "cuda" and not torch.cuda.is_available():
        raise RestoreKitError(f"device '{device}' requested but CUDA is not available")
    return target


def _sniff(path: Path) -> str:
    """'safetensors', 'torch' (zip or legacy pickle) or 'unknown', from the first bytes."""
    with path.open("rb") as f:
        head = f.read(9)
    # safetensors first: its 8-byte little-endian header length may itself start with 0x80.
    if len(head) == 9 and head[8:9] == b"{":
        header_len = int.from_bytes(head[:8], "little")
        if 0 < header_len <= path.stat().st_size - 8:
            return "safetensors"
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return "torch"
    return "unknown"


def _read_header(path: Path) -> tuple[dict[str, Any], dict[str, list[int]]]:
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
            names = f.keys()
            shapes = {k: f.get_slice(k).get_shape() for k in names}
    except (SafetensorError, OSError) as err:
        raise RestoreKitError("not a safetensors file", path) from err
    if raw is None:
        raise RestoreKitError("a safetensors file without restorekit metadata", path)
    try:
        header = json.loads(raw)
    except json.JSONDecodeError as err:
        raise RestoreKitError(f"corrupt restorekit metadata ({err})", path) from err
    if not isinstance(header, dict):
        raise RestoreKitError("corrupt restorekit metadata (not a JSON object)", path)
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RestoreKitError(
            f"checkpoint format_version {version!r} is not supported by restorekit "
            f"{__version__} (reads up to {FORMAT_VERSION})",
            path,
        )
    return header, shapes


def _check_state_dict(
    model: nn.Module, state: Mapping[str, Tensor], what: str, path: PathArg
) -> None:
    """Raise a one-line error naming a few missing, unexpected and mis-shaped keys."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    found = {"missing": missing, "unexpected": unexpected, "wrong-shape": shapes}
    problems = [
        f"{label} {len(keys)} key(s): {', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}"
        for label, keys in found.items()
        if keys
    ]
    if problems:
        raise RestoreKitError(f"weights do not fit {what}: {'; '.join(problems)}", path)
