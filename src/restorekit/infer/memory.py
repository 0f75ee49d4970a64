"""Memory: what is available, what a model needs per pixel, and the automatic tile size.

A model's inference memory is close to affine in the number of pixels, ``fixed + per_pixel * H
* W``. :func:`estimate_memory` measures it with two small probes (see :func:`peak_memory`: the
CUDA allocator's peak on GPUs; elsewhere the live bytes of module outputs, tracked by forward
hooks and scaled, which costs nothing on import and works under autocast). :func:`auto_tile`
then picks the whole image when it fits in the budget, else the largest tiles that do.

Default budget (:func:`memory_budget`): on CPU half the available RAM but at most 2 GiB, which
keeps a 12-megapixel photo well under 3 GB of process memory at a negligible speed cost; on a
GPU 80% of its free memory. ``max_memory`` overrides both. Training cannot tile, so its budget
(:func:`training_budget`) is 90% of the available memory, or ``max_memory``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from restorekit.infer.outputs import ModelFn

GIB = 1024**3
CPU_BUDGET_CAP = 2 * GIB
FALLBACK_AVAILABLE = 4 * GIB
MIN_TILE = 128
#: Share of the available memory a training step may use by default.
TRAIN_SHARE = 0.9
#: Module outputs are 55-85% of all live tensor bytes in HINet and AINDNet (fp32 and bf16,
#: measured against counting every tensor storage), so the hook count is doubled.
HOOK_FACTOR = 2.0
#: Bytes per pixel assumed for a plain callable (about HINet-1x in fp32, a large model).
DEFAULT_PER_PIXEL = 4096


def _meminfo_available(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Room left under a cgroup v2 memory limit (containers), or None when unlimited/unknown."""
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def available_memory(device: torch.device | str = "cpu") -> int:
    """Bytes of memory free for new tensors on ``device`` (best effort, never raises).

    CUDA: ``torch.cuda.mem_get_info``. CPU: the smaller of /proc/meminfo's MemAvailable and the
    room under a cgroup v2 limit, else ``sysconf`` available pages, else 4 GiB.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type == "mps":
        mps = getattr(torch, "mps", None)
        if mps is not None and hasattr(mps, "recommended_max_memory"):
            return int(mps.recommended_max_memory() - mps.current_allocated_memory())
        return FALLBACK_AVAILABLE
    found = [v for v in (_meminfo_available(), _cgroup_available()) if v is not None]
    if found:
        return min(found)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return FALLBACK_AVAILABLE


def memory_budget(device: torch.device | str = "cpu", max_memory: int | None = None) -> int:
    """Bytes inference may use on ``device``: ``max_memory`` if given, else the default rule."""
    if max_memory is not None:
        return int(max_memory)
    device = torch.device(device)
    free = available_memory(device)
    if device.type == "cpu":
        return min(free // 2, CPU_BUDGET_CAP)
    return int(free * 0.8)


def training_budget(device: torch.device | str = "cpu", max_memory: int | None = None) -> int:
    """Bytes one training step may use on ``device``: ``max_memory`` if given, else
    ``TRAIN_SHARE`` of the available memory (a step cannot be tiled to fit a smaller budget)."""
    if max_memory is not None:
        return int(max_memory)
    return int(available_memory(device) * TRAIN_SHARE)


def _tensors_in(obj: object) -> Iterator[Tensor]:
    """Every tensor inside a module output (tensors, sequences, dicts, dataclasses)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _tensors_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors_in(item)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _tensors_in(getattr(obj, f.name))


class _ModuleOutputBytes:
    """Forward hooks counting the storages of module outputs still alive, and their peak."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.live = 0
        self.peak = 0
        self._seen: set[int] = set()
        self._handles: list[Any] = []

    def _release(self, key: int, nbytes: int) -> None:
        self._seen.discard(key)
        self.live -= nbytes

    def _hook(self, module: nn.Module, args: object, out: object) -> None:
        for tensor in _tensors_in(out):
            storage = tensor.untyped_storage()
            key = id(storage)
            if key in self._seen:
                continue
            nbytes = storage.nbytes()
            self._seen.add(key)
            self.live += nbytes
            self.peak = max(self.peak, self.live)
            weakref.finalize(storage, self._release, key, nbytes)

    def __enter__(self) -> _ModuleOutputBytes:
        self._handles = [m.register_forward_hook(self._hook) for m in self.model.modules()]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()


def peak_memory(model: ModelFn, x: Tensor) -> int:
    """Peak bytes of one ``model(x)`` beyond what existed before (input excluded).

    CUDA: the allocator's exact peak. Elsewhere: the live bytes of module outputs, tracked with
    forward hooks, times ``HOOK_FACTOR`` for what hooks cannot see (intermediate tensors inside
    a module's forward); a callable that is not an ``nn.Module`` gets ``DEFAULT_PER_PIXEL``.
    """
    if x.is_cuda:
        torch.cuda.synchronize(x.device)
        base = torch.cuda.memory_allocated(x.device)
        torch.cuda.reset_peak_memory_stats(x.device)
        out = model(x)
        del out
        return int(torch.cuda.max_memory_allocated(x.device) - base)
    if not isinstance(model, nn.Module):
        return int(DEFAULT_PER_PIXEL * x.shape[0] * x.shape[-2] * x.shape[-1])
    with _ModuleOutputBytes(model) as counter:
        out = model(x)
        del out
    return int(counter.peak * HOOK_FACTOR)


@dataclass(frozen=True)
class MemoryModel:
    """Inference memory of a model as ``fixed + per_pixel * pixels`` bytes."""

    fixed: int
    per_pixel: float

    def bytes_for(self, pixels: int) -> int:
        return int(self.fixed + self.per_pixel * pixels)

    def pixels_for(self, budget: int) -> int:
        return max(int((budget - self.fixed) / self.per_pixel), 0)


def estimate_memory(
    model: ModelFn,
    channels: int = 3,
    *,
    device: torch.device | str = "cpu",
    size_multiple: int = 1,
    probe: int = 64,
) -> MemoryModel:
    """Measure ``model`` on two square probes (``probe`` and twice that, rounded up to the size
    multiple) and fit ``fixed + per_pixel * pixels``. Run it under the precision it will use
    (and with autograd on to measure what a training forward keeps). The probes come from a
    private generator, so measuring leaves the global RNG (and a seeded run) untouched."""
    m = max(size_multiple, 1)
    small = math.ceil(probe / m) * m
    large = math.ceil(2 * probe / m) * m
    sizes = [small, large]
    generator = torch.Generator().manual_seed(0)

    def probe_input(side: int) -> Tensor:
        x = torch.rand(1, channels, side, side, generator=generator) * 0.5 + 0.25
        return x.to(device)

    peaks = [peak_memory(model, probe_input(s)) for s in sizes]
    per_pixel = max((peaks[1] - peaks[0]) / (sizes[1] ** 2 - sizes[0] ** 2), 1.0)
    fixed = max(int(peaks[0] - per_pixel * sizes[0] ** 2), 0)
    return MemoryModel(fixed=fixed, per_pixel=per_pixel)


def auto_tile(
    memory: MemoryModel,
    shape: tuple[int, int, int, int],
    budget: int,
    *,
    overlap: int = 32,
    size_multiple: int = 1,
    accumulator_channels: int | None = None,
) -> tuple[int, int] | None:
    """The tile (height, width) for an image of ``shape`` (N, C, H, W), or None for whole-image.

    Whole-image when ``memory`` for N*H*W pixels fits ``budget``. Otherwise the tile area is what
    fits in the budget minus the float32 accumulators tiling keeps (input, output, weights; by
    default ``2 * C + 1`` channels, more when a noise map is blended), as a square rounded down
    to the size multiple, widened to a full-height or full-width strip when the square would
    already span the short side, and never smaller than ``max(MIN_TILE, 4 * overlap)``.
    """
    n, c, h, w = shape
    if memory.bytes_for(n * h * w) <= budget:
        return None
    channels = 2 * c + 1 if accumulator_channels is None else accumulator_channels
    room = budget - 4 * channels * n * h * w
    pixels = memory.pixels_for(room) // n
    m = max(size_multiple, 1)
    smallest = math.ceil(max(MIN_TILE, 4 * overlap) / m) * m
    side = max(math.isqrt(pixels) // m * m, smallest)
    if side >= min(h, w):
        if h <= w:
            return h, max(pixels // h // m * m, smallest)
        return max(pixels // w // m * m, smallest), w
    return side, side


def cap_tile(
    tile: tuple[int, int] | None, size: tuple[int, int], max_side: int | None
) -> tuple[int, int] | None:
    """``tile`` (None = whole image of ``size``) with each side at most ``max_side``; None again
    when the capped tile still covers the whole image."""
    if max_side is None:
        return tile
    height, width = tile if tile is not None else size
    capped = (min(height, max_side), min(width, max_side))
    return None if capped[0] >= size[0] and capped[1] >= size[1] else capped
