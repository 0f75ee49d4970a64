"""`restore`: one call running a model on a batch with tiling, TTA and precision options."""

from __future__ import annotations

import functools
from typing import Literal

import torch
from torch import Tensor

from restorekit.infer.loading import model_max_tile
from restorekit.infer.memory import (
    MemoryModel,
    auto_tile,
    cap_tile,
    estimate_memory,
    memory_budget,
)
from restorekit.infer.outputs import ModelFn, fields_of, image_of, model_device
from restorekit.infer.precision import autocast, choose_precision
from restorekit.infer.tiling import tiled_forward
from restorekit.infer.tta import tta_x8
from restorekit.models.output import RestorationOutput

Tile = int | tuple[int, int] | Literal["auto"] | None


def measure_memory(model: ModelFn, channels: int = 3, *, precision: str = "fp32") -> MemoryModel:
    """The memory model (bytes = fixed + per_pixel * pixels) of one forward at ``precision``.

    TTA runs its 8 passes one after another, so it needs about the memory of one pass.
    """
    device = model_device(model)
    with torch.inference_mode(), autocast(precision, device):
        return estimate_memory(
            model, channels, device=device, size_multiple=int(getattr(model, "size_multiple", 1))
        )


def resolve_tile(
    model: ModelFn,
    x: Tensor,
    tile: Tile,
    *,
    overlap: int = 32,
    precision: str = "fp32",
    max_memory: int | None = None,
    memory: MemoryModel | None = None,
) -> int | tuple[int, int] | None:
    """The tile :func:`restore_output` uses for ``x``: ``tile`` itself unless it is ``"auto"``,
    then the memory-based choice capped at the model's ``max_tile`` (None = whole image)."""
    if tile != "auto":
        return tile
    device = model_device(model)
    if memory is None:
        memory = measure_memory(model, x.shape[1], precision=precision)
    # float32 accumulators tiling keeps next to x: input, output, weights, a noise map
    same_memory = x.device.type == device.type
    chosen = auto_tile(
        memory,
        (x.shape[0], x.shape[1], x.shape[2], x.shape[3]),
        memory_budget(device, max_memory),
        overlap=overlap,
        size_multiple=int(getattr(model, "size_multiple", 1)),
        accumulator_channels=2 * x.shape[1] + 4 if same_memory else 0,
    )
    return cap_tile(chosen, (x.shape[2], x.shape[3]), model_max_tile(model))


def restore_output(
    model: ModelFn,
    x: Tensor,
    *,
    tile: Tile = None,
    overlap: int = 32,
    tta: bool = False,
    precision: str = "fp32",
    max_memory: int | None = None,
    memory: MemoryModel | None = None,
    run: ModelFn | None = None,
) -> RestorationOutput:
    """Like :func:`restore`, returning a RestorationOutput with ``image`` and ``noise_map``.

    ``run`` computes the model in its place (``restorekit.infer.backend.onnx_runner``); ``model``
    still decides the device, precision and tiles.

    ``x`` may stay on the CPU while the model is on a GPU: it is moved to the model's device
    whole when processed whole, else one tile at a time; the result is on ``x``'s device.
    ``tile="auto"`` uses ``memory`` (measured now when None) against the budget of
    ``restorekit.infer.memory.memory_budget(device, max_memory)``, and tiles no larger than the
    model's ``max_tile`` (``restorekit.infer.loading.model_max_tile``) when it has one.
    ``precision="auto"`` is decided here, by ``choose_precision`` on ``x``.
    """
    device = model_device(model)
    precision = choose_precision(model, x, precision)
    tile = resolve_tile(
        model,
        x,
        tile,
        overlap=overlap,
        precision=precision,
        max_memory=max_memory,
        memory=memory,
    )
    run = model if run is None else run
    fn: ModelFn = functools.partial(tta_x8, run) if tta else run
    with torch.inference_mode(), autocast(precision, device):
        if tile is None:
            out = fn(x.to(device))
        else:
            out = tiled_forward(fn, x, tile, overlap, device=device)
        fields = {name: value.to(x.device) for name, value in fields_of(out).items()}
    return RestorationOutput(
        image=fields["image"], stages=[fields["image"]], noise_map=fields.get("noise_map")
    )


def restore(
    model: ModelFn,
    x: Tensor,
    *,
    tile: Tile = None,
    overlap: int = 32,
    tta: bool = False,
    precision: str = "fp32",
) -> Tensor:
    """Restore ``x`` (N, C, H, W, float32 in [0, 1]) with ``model``; returns the float32 image.

    ``tile``: None for whole-image inference, a side or (height, width) for tiles overlapping by
    ``overlap`` pixels and blended smoothly, or ``"auto"`` to choose from available memory.
    ``tta``: average over the x8 dihedral transforms (run per tile). ``precision``: fp32, bf16
    (CPU and GPU), fp16 (GPU only) or auto (the fastest within 0.05 dB of fp32, see
    ``restorekit.infer.precision``). The output is not clipped to [0, 1].
    """
    out = restore_output(model, x, tile=tile, overlap=overlap, tta=tta, precision=precision)
    return image_of(out)
