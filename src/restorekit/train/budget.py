"""Before the first training step: does the patch fit the images, and the step fit in memory?

A patch larger than an image is reflect-padded, so ``patch_size`` 1000 on 128 px pairs trains
on mirrored padding, and batch x patch activations that do not fit get the process killed
without a word. Training (``restorekit.train.fit``) and adaptation (``restorekit.adapt``) refuse
both with one line before they start.

Memory of one step (:func:`step_memory`): the activations a forward keeps for backward,
measured as inference measures them (``restorekit.infer.memory.estimate_memory``, two small
probes fitted as fixed + per-pixel bytes, here with autograd on) and scaled to batch x patch
pixels; plus the gradients and the two Adam moments of the trained parameters, and an EMA copy
of the weights when one is kept. On the CPU the probe counts module outputs twice over, which
nearly covers backward: the peak RSS of a real step (forward, backward, Adam) was 0.56-1.12
times the probe's figure for AINDNet (full and width 16) and HINet (0.5x, and wf 16 depth 4),
batch 1-4 of 128-384 px, so it is scaled by ``CPU_STEP_FACTOR``. On a GPU the probe is the
allocator's exact forward peak, and backward is assumed to add as much again
(``GPU_STEP_FACTOR``, not measured here). The budget is
``restorekit.infer.memory.training_budget``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from PIL import Image
from torch import nn
from torch.utils.data import Dataset

from restorekit.data.base import FileDataset
from restorekit.errors import RestoreKitError
from restorekit.infer.loading import model_size_multiple
from restorekit.infer.memory import GIB, estimate_memory
from restorekit.infer.precision import autocast

#: A step's peak over the probe's figure: measured up to 1.12 on the CPU, plus a margin.
CPU_STEP_FACTOR = 1.25
#: The same on a CUDA GPU, where the probe sees the forward only (assumed, not measured).
GPU_STEP_FACTOR = 2.0
#: Tensors the optimiser keeps per trained parameter besides the weight: gradient, 2 moments.
OPTIMIZER_COPIES = 3

ImageSize = tuple[str, int, int]  # name, height, width


def file_image_sizes(dataset: Dataset) -> list[ImageSize]:
    """(name, height, width) of each item of a file dataset, from the file headers (no
    decoding); empty for other datasets. Unreadable files are left to the reader's error."""
    if not isinstance(dataset, FileDataset):
        return []
    sizes = []
    for item in dataset.items:
        try:
            with Image.open(next(iter(item.files.values()))) as image:
                width, height = image.size
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
        sizes.append((item.name, height, width))
    return sizes


def check_patch_size(patch_size: int | None, sizes: Iterable[ImageSize], key: str) -> None:
    """Refuse a patch side larger than the smallest image's short side (``key`` names the
    option in the message)."""
    smallest = min(sizes, key=lambda size: min(size[1], size[2]), default=None)
    if patch_size is None or smallest is None:
        return
    name, height, width = smallest
    if patch_size > min(height, width):
        raise RestoreKitError(
            f"{key} {patch_size} is larger than the smallest training image ('{name}', "
            f"{width}x{height} px): patches would be mostly mirrored padding; use at most "
            f"{min(height, width)}"
        )


def step_memory(
    model: nn.Module,
    channels: int,
    batch_size: int,
    patch_size: int,
    trained: Sequence[nn.Parameter],
    *,
    precision: str = "fp32",
    ema: bool = False,
) -> int:
    """Estimated peak bytes of one training step of ``batch_size`` patches of ``patch_size``."""
    device = next(model.parameters()).device
    multiple = model_size_multiple(model)
    with torch.enable_grad(), autocast(precision, device):
        memory = estimate_memory(model, channels, device=device, size_multiple=multiple)
    side = math.ceil(patch_size / multiple) * multiple
    factor = GPU_STEP_FACTOR if device.type == "cuda" else CPU_STEP_FACTOR
    activations = factor * (memory.fixed + memory.per_pixel * batch_size * side * side)
    weights = OPTIMIZER_COPIES * sum(p.numel() * p.element_size() for p in trained)
    if ema:
        weights += sum(p.numel() * p.element_size() for p in model.parameters())
    return int(activations + weights)


def _size(nbytes: float) -> str:
    return f"{nbytes / GIB:.1f} GB" if nbytes >= GIB / 10 else f"{nbytes / 2**20:.0f} MB"


def check_step_memory(need: int, budget: int, setting: str, budget_note: str) -> None:
    """Refuse a step needing more than ``budget`` bytes; ``setting`` says which options made it
    (e.g. ``"batch_size 8 x patch_size 1000"``), ``budget_note`` where the budget comes from."""
    if need > budget:
        raise RestoreKitError(
            f"one training step of {setting} px needs about {_size(need)}, more than the "
            f"{_size(budget)} budget ({budget_note}); lower the batch or patch size"
        )
