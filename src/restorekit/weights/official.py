"""Official HINet checkpoints (BasicSR ``.pth`` files) -> restorekit kwargs and state_dict.

The official release saves ``torch.save({'params': state_dict})`` (EMA runs add
``'params_ema'``), with any DistributedDataParallel ``module.`` prefix usually stripped. Our
``HINet`` keeps the official attribute names, so the key table is the identity: conversion only
unwraps the dict, strips ``module.`` and reads the constructor arguments off the keys and shapes:

=====================  ===============================================================
kwarg                  read from
=====================  ===============================================================
``in_chn``, ``wf``     ``conv_01.weight`` shape ``(wf, in_chn, 3, 3)``
``depth``              number of ``down_path_1.{i}.conv_1.weight`` keys
``hin_position_*``     first/last level ``i`` with ``down_path_1.{i}.norm.weight``
``extra_blocks``       number of ``down_path_1.0.extra.{k}.conv_1.weight`` keys (0 officially)
``relu_slope``         not stored; the official 0.2
=====================  ===============================================================

Reading goes through ``torch.load(weights_only=True)`` only: a pickle that would run code or
build arbitrary objects is refused with a ``RestoreKitError`` before anything is executed.
"""

from __future__ import annotations

import io
import pickle
import re
import warnings
from collections.abc import Mapping
from os import PathLike
from typing import Any

import torch
from torch import Tensor

from restorekit.errors import RestoreKitError

PARAM_KEYS = ("params", "params_ema")
_RELU_SLOPE = 0.2


def read_torch_file(path: str | PathLike[str]) -> Any:
    """``torch.load(weights_only=True)`` on CPU, with user errors as ``RestoreKitError``.

    The file is handed to ``torch.load`` as an open handle, not a name: given a name ending in
    ``.safetensors``, torch passes it to safetensors whatever the content, so a ``.pth`` renamed
    so would fail there instead of loading (callers sniff the content first). A legacy
    (pre-zip) file is read into memory first: its pickle reads lengths from the file, and a
    lying length on a file handle allocates that many bytes before finding the data missing.
    """
    try:
        with open(path, "rb") as handle, warnings.catch_warnings():
            # torch warns about unusual pickle protocols; a refusal below says it in one line
            warnings.simplefilter("ignore")
            is_zip = handle.read(4) == b"PK\x03\x04"
            handle.seek(0)
            source = handle if is_zip else io.BytesIO(handle.read())
            return torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        what = f" ({found.group(1)})" if found else ""
        raise RestoreKitError(
            f"refusing to load: the file pickles code or objects other than tensors{what}; "
            "only plain state_dicts are read (torch.load weights_only=True)",
            path,
        ) from err
    except Exception as err:  # damaged files raise many types from torch's unpickler and zip
        first_line = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        what = f"{type(err).__name__}: {first_line}" if first_line else type(err).__name__
        raise RestoreKitError(f"not a readable PyTorch checkpoint ({what})", path) from err


def unwrap_state_dict(obj: Any, param_key: str | None = None) -> dict[str, Tensor]:
    """The state_dict inside ``{'params': sd}``, ``{'params_ema': sd}`` or a bare ``sd``.

    ``param_key`` picks the entry explicitly; otherwise ``'params'`` (BasicSR's default) is
    preferred over ``'params_ema'``. A leading ``module.`` is stripped from every key.
    """
    if isinstance(obj, Mapping):
        keys = (param_key,) if param_key is not None else PARAM_KEYS
        for key in keys:
            if key in obj:
                obj = obj[key]
                break
        else:
            if param_key is not None:
                raise RestoreKitError(f"checkpoint has no '{param_key}' entry")
    if not (
        isinstance(obj, Mapping)
        and obj
        and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
    ):
        raise RestoreKitError(
            "no state_dict found: expected {'params': state_dict}, {'params_ema': state_dict} "
            "or a bare state_dict of tensors"
        )
    return {key.removeprefix("module."): value for key, value in obj.items()}


def hinet_kwargs_from_state_dict(state: Mapping[str, Tensor]) -> dict[str, Any]:
    """HINet constructor kwargs that produce exactly the keys and shapes of ``state``."""
    first = state.get("conv_01.weight")
    if first is None or first.ndim != 4:
        raise RestoreKitError("not a HINet state_dict (no 4-D 'conv_01.weight')")
    depth = 0
    while f"down_path_1.{depth}.conv_1.weight" in state:
        depth += 1
    if depth == 0:
        raise RestoreKitError("not a HINet state_dict (no 'down_path_1.0.conv_1.weight')")
    hin = [i for i in range(depth) if f"down_path_1.{i}.norm.weight" in state]
    if hin and hin != list(range(hin[0], hin[-1] + 1)):
        raise RestoreKitError(f"HINet state_dict has HIN at non-contiguous levels {hin}")
    extra = 0
    while f"down_path_1.0.extra.{extra}.conv_1.weight" in state:
        extra += 1
    return {
        "in_chn": int(first.shape[1]),
        "wf": int(first.shape[0]),
        "depth": depth,
        "relu_slope": _RELU_SLOPE,
        "hin_position_left": hin[0] if hin else 0,
        "hin_position_right": hin[-1] if hin else -1,
        "extra_blocks": extra,
    }


def convert_official_hinet(
    obj: Any, param_key: str | None = None
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """(kwargs for the registry name ``hinet``, state_dict) from a loaded official checkpoint."""
    state = unwrap_state_dict(obj, param_key)
    return hinet_kwargs_from_state_dict(state), state
