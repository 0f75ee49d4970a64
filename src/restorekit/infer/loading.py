"""Loading the model(s) inference runs, and what inference needs to know about them."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.infer.ensemble import Ensemble
from restorekit.infer.precision import select_device
from restorekit.infer.tasks import TASKS
from restorekit.models.layers.norm import local_stats_size
from restorekit.models.registry import get_entry, list_models
from restorekit.models.spec import input_channels, spec_of
from restorekit.weights import bundled_models, load_model

#: The model `restorekit denoise` uses without --model.
DEFAULT_MODEL = TASKS["denoise"].model

ModelArg = str | PathLike[str] | nn.Module  # a bundled name, a model file, or a module


def _load_one(spec: ModelArg, device: torch.device) -> nn.Module:
    if isinstance(spec, nn.Module):
        return spec.to(device).eval()
    defaults = {task.model for task in TASKS.values()}
    if str(spec) in defaults and str(spec) not in bundled_models():
        raise RestoreKitError(
            f"the default model '{spec}' is not bundled with this version yet; pass "
            "--model NAME_OR_PATH (a restorekit .safetensors file or an official HINet .pth)"
        )
    try:
        return load_model(spec, device=device)
    except RestoreKitError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        raise RestoreKitError(f"cannot load model: {err}", spec) from err


def model_size_multiple(model: nn.Module) -> int:
    """The side multiple ``model`` pads inputs to, >= 1.

    The largest of: the ``size_multiple`` and ``native_size_multiple`` attributes and the
    model's spec (``restorekit.models.spec``), else the entries registered with its class.
    """
    if isinstance(model, Ensemble):
        return model.size_multiple
    found = [int(getattr(model, attr, 1)) for attr in ("size_multiple", "native_size_multiple")]
    spec = spec_of(model)
    if spec is not None:
        found.append(spec.size_multiple)
    else:
        entries = [get_entry(n) for n in list_models()]
        found += [e.size_multiple for e in entries if e.builder is type(model)]
    return max(found)


def model_channels(model: nn.Module) -> int:
    """Channels the model takes: its spec's, else its ``in_channels``/``in_chn``, else 3."""
    if isinstance(model, Ensemble):
        return model_channels(model.members[0])
    spec = spec_of(model)
    return spec.in_channels if spec is not None else input_channels(vars(model))


def model_max_tile(model: object) -> int | None:
    """The largest tile side ``model`` should see, or None for any size.

    The spec's, from a checkpoint's ``max_tile`` metadata: instance-normalised models trained on
    small patches (AINDNet: 96 px here) normalise with the statistics of the whole input, so they
    do best when run in tiles near their training patch size; ``tile="auto"`` honours it, unless
    the model's norms use local statistics (``set_local_stats``). An ensemble takes its
    members' smallest.
    """
    if isinstance(model, Ensemble):
        sides = [model_max_tile(m) for m in model.members]
        known = [s for s in sides if s is not None]
        return min(known) if known else None
    if isinstance(model, nn.Module) and local_stats_size(model) is not None:
        return None  # local statistics (TLC): tiles are a memory tool only
    spec = spec_of(model)
    return spec.max_tile if spec is not None else None


def prepare_model(model: nn.Module) -> nn.Module:
    """Ready a model for inference, in place: eval mode, channels-last weights, ``size_multiple``.

    Channels-last (NHWC) weights make convolutions pick NHWC kernels, 2-3x faster on CPU for
    AINDNet and HINet (oneDNN) and the layout tensor cores prefer on GPUs; results are the same
    up to float rounding.
    """
    model.size_multiple = model_size_multiple(model)
    return model.eval().to(memory_format=torch.channels_last)


def load_models(
    model: ModelArg | Sequence[ModelArg] | None, device: str | torch.device = "auto"
) -> nn.Module:
    """One model, or an :class:`Ensemble` for a sequence; None is the default bundled model.

    A name or path is loaded with ``restorekit.weights.load_model`` onto ``device`` (``"auto"``
    picks CUDA, then MPS, then CPU), then passed through :func:`prepare_model`.
    """
    target = select_device(device)
    if model is None:
        model = DEFAULT_MODEL
    specs = [model] if isinstance(model, str | PathLike | nn.Module) else list(model)
    models = [prepare_model(_load_one(spec, target)) for spec in specs]
    if len(models) == 1:
        return models[0]
    channels = {model_channels(m) for m in models}
    if len(channels) > 1:
        raise RestoreKitError("ensemble members take different numbers of channels (gray/RGB)")
    return Ensemble(models)
