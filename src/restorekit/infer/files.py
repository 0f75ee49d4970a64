"""Restoring image files: what `restorekit restore` and `restorekit denoise` do, as one function.

Inputs are files, directories or glob patterns. Each output keeps its input's format, bit depth,
gray/colour and alpha (``restorekit.io.write_image`` with the input's metadata) and is written
atomically, so a failure never leaves a partial file. Output names:

- no ``output``: ``<stem><suffix><ext>`` next to each input, the suffix of the task
  (``_denoised``, ``_derained``, ``_deblurred``: ``restorekit.infer.tasks``);
- ``output`` an existing directory, a path without an extension, or one ending in ``/``:
  ``<stem><suffix><ext>`` in that directory (created if needed);
- ``output`` a path with an image extension: that file (one input only; its extension picks the
  format);
- any other extension (``out.xyz``) is refused rather than guessed to be a folder.

Noise maps (``noise_map``) follow the same rule with ``<stem>_noise_map.png``.

An output that would replace one of the inputs, two inputs mapped to one output, or an output
folder that cannot be created or written in (``restorekit.io.targets``) is an error raised
before anything is read or written. When a directory or glob is expanded, files whose stem
already ends in the task's suffix (our earlier outputs) are skipped, so a second run over a
folder does not restore its own results.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from restorekit.errors import RestoreKitError
from restorekit.infer.backend import BACKENDS, onnx_runner
from restorekit.infer.loading import ModelArg, load_models, model_channels
from restorekit.infer.memory import MemoryModel
from restorekit.infer.outputs import model_device
from restorekit.infer.precision import check_precision, choose_precision
from restorekit.infer.restore import Tile, measure_memory, restore_output
from restorekit.infer.tasks import TASKS, get_task
from restorekit.infer.tiling import check_tile_size
from restorekit.io import IMAGE_EXTENSIONS, is_image_path, list_images, read_image, write_image
from restorekit.io.targets import check_output_file

SUFFIX = TASKS["denoise"].suffix
NOISE_MAP_SUFFIX = "_noise_map"
#: A noise map is saved as ``sigma * NOISE_MAP_GAIN`` (white = sigma 0.1, i.e. 25.5 / 255).
NOISE_MAP_GAIN = 10.0

PathArg = str | PathLike[str]


@dataclass(frozen=True)
class Job:
    """One input file and where its results go."""

    source: Path
    target: Path
    noise_map: Path | None = None


def expand_inputs(inputs: PathArg | Sequence[PathArg], *, suffix: str = SUFFIX) -> list[Path]:
    """Files named by ``inputs`` (files, directories, glob patterns), in order, without repeats."""
    items = [inputs] if isinstance(inputs, str | PathLike) else list(inputs)
    if not items:
        raise RestoreKitError("no input images given")
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_file():
            found.append(path)
            continue
        matches = [p for p in list_images(item) if not p.stem.endswith(suffix)]
        if not matches:
            raise RestoreKitError(f"only earlier results (*{suffix}.*) found", path)
        found.extend(matches)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def plan_jobs(
    inputs: PathArg | Sequence[PathArg],
    output: PathArg | None = None,
    *,
    noise_map: PathArg | None = None,
    suffix: str = SUFFIX,
) -> list[Job]:
    """Where each input's result (and noise map) goes; raises before anything is written,
    also when an output folder cannot be created or written in."""
    sources = expand_inputs(inputs, suffix=suffix)
    single = len(sources) == 1

    def destinations(where: PathArg | None, tag: str, ext: str | None) -> list[Path]:
        def name(src: Path) -> str:
            return f"{src.stem}{tag}{ext or src.suffix}"

        if where is None:
            return [src.with_name(name(src)) for src in sources]
        folder_named = os.fspath(where).endswith(("/", os.sep))
        where = Path(where)
        if is_image_path(where) and not where.is_dir() and not folder_named:
            if not single:
                raise RestoreKitError(
                    f"{len(sources)} input images but one output file; give a directory", where
                )
            return [where]
        if where.suffix and not where.is_dir() and not folder_named:
            raise RestoreKitError(
                f"'{where.suffix}' is not an image extension "
                f"({', '.join(sorted(IMAGE_EXTENSIONS))}); to name a folder with a dot, "
                "end it with /",
                where,
            )
        return [where / name(src) for src in sources]

    targets = destinations(output, suffix, None)
    maps = destinations(noise_map, NOISE_MAP_SUFFIX, ".png") if noise_map is not None else None
    taken = {src.resolve(): "input" for src in sources}
    for kind, paths in (("output", targets), ("noise map", maps or [])):
        for path in paths:
            key = path.resolve()
            if taken.get(key) == "input":
                raise RestoreKitError(f"the {kind} would overwrite this input file", path)
            if key in taken:
                raise RestoreKitError(f"two results would be written to this {kind} file", path)
            taken[key] = kind
    checked: set[Path] = set()
    for path in [*targets, *(maps or [])]:
        if path.parent not in checked:  # one probe per folder
            check_output_file(path, "the output")
            checked.add(path.parent)
    return [
        Job(src, dst, None if maps is None else maps[i])
        for i, (src, dst) in enumerate(zip(sources, targets, strict=True))
    ]


def _match_channels(x: Tensor, channels: int) -> tuple[Tensor, str]:
    """Fit an image batch (1, C, H, W) to a model's channels; also how to undo it."""
    if x.shape[1] == channels:
        return x, "same"
    if x.shape[1] == 1 and channels == 3:
        return x.expand(-1, 3, -1, -1), "mean"
    if x.shape[1] == 3 and channels == 1:
        return x.transpose(0, 1), "stack"
    raise RestoreKitError(f"cannot run a {channels}-channel model on a {x.shape[1]}-channel image")


def _undo_channels(y: Tensor, how: str) -> Tensor:
    if how == "mean":
        return y.mean(1, keepdim=True)
    if how == "stack":
        return y.transpose(0, 1)
    return y


def _noise_map_image(noise_map: Tensor, how: str) -> np.ndarray:
    """A viewable (C, H, W) image of a noise map: sigma * NOISE_MAP_GAIN, clipped to [0, 1]."""
    noise_map = _undo_channels(noise_map, how)[0]
    return (noise_map * NOISE_MAP_GAIN).clamp(0, 1).cpu().numpy()


def estimates_noise(net: torch.nn.Module, channels: int, multiple: int, device: Any) -> bool:
    """Whether ``net`` returns a noise map, from one forward pass on a tiny input."""
    side = max(multiple, 16)
    with torch.inference_mode():
        out = net(torch.full((1, channels, side, side), 0.5, device=device))
    return getattr(out, "noise_map", None) is not None


def _write(path: Path, image: Any, **kwargs: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        message = f"cannot create the folder ({err.strerror or err})"
        raise RestoreKitError(message, path.parent) from None
    try:
        write_image(path, image, **kwargs)
    except RestoreKitError:
        raise
    except OSError as err:
        raise RestoreKitError(f"cannot write: {err.strerror or err}", path) from err


def _read(path: Path) -> tuple[np.ndarray, Any]:
    try:
        return read_image(path)
    except RestoreKitError:
        raise
    except (OSError, ValueError) as err:
        raise RestoreKitError(f"cannot read image: {err}", path) from err


def restore_files(
    inputs: PathArg | Sequence[PathArg],
    output: PathArg | None = None,
    *,
    task: str = "denoise",
    model: ModelArg | Sequence[ModelArg] | None = None,
    tile: Tile = "auto",
    overlap: int = 32,
    tta: bool = False,
    precision: str = "fp32",
    device: str | torch.device = "auto",
    noise_map: PathArg | None = None,
    max_memory: int | None = None,
    progress: bool | None = None,
    backend: str = "torch",
) -> list[Path]:
    """Restore image files; returns the paths written (see the module docstring for names).

    ``task``: ``denoise``, ``derain`` or ``deblur`` (``restorekit.infer.tasks``): the default
    model and the output suffix. ``model``: a bundled name, a model file, a module, or a
    sequence of those (an ensemble); None is the task's default model. ``tile``: ``"auto"``
    (whole image when it fits the memory budget, see ``restorekit.infer.memory``), None (whole
    image), a side or (height, width).
    An explicit tile side below ``restorekit.infer.tiling.smallest_tile`` of the model is refused.
    ``noise_map``: a file (one input) or directory for the model's estimated noise-level map,
    saved as a PNG of ``sigma * 10`` (white = sigma 0.1). ``progress``: a tqdm bar on stderr
    (None: when there are several files and stderr is a terminal). ``precision="auto"`` is
    decided once, on the first image (``restorekit.infer.precision.choose_precision``).
    ``backend``: ``torch``, or ``onnx`` (ONNX Runtime on the CPU, fp32;
    ``restorekit.infer.backend``).
    """
    chosen = get_task(task)
    jobs = plan_jobs(inputs, output, noise_map=noise_map, suffix=chosen.suffix)
    net = load_models(chosen.model if model is None else model, device)
    target = model_device(net)
    check_precision(precision, target)
    run = None
    if backend == "onnx":
        precision = _onnx_precision(precision, target)
        run = onnx_runner(net)
    elif backend != "torch":
        raise RestoreKitError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    multiple = int(getattr(net, "size_multiple", 1))
    if tile != "auto" and tile is not None:
        check_tile_size(tile, multiple)
    channels = model_channels(net)
    if noise_map is not None and not estimates_noise(net, channels, multiple, target):
        raise RestoreKitError("this model estimates no noise map (AINDNet does)", noise_map)
    memory: MemoryModel | None = None
    show = len(jobs) > 1 and sys.stderr.isatty() if progress is None else progress
    written: list[Path] = []
    for job in tqdm(jobs, disable=not show, unit="image", file=sys.stderr):
        image, meta = _read(job.source)
        height, width = image.shape[-2:]
        if min(height, width) < multiple:
            raise RestoreKitError(
                f"image is {width}x{height} pixels; this model needs at least "
                f"{multiple}x{multiple}",
                job.source,
            )
        x, how = _match_channels(torch.from_numpy(np.ascontiguousarray(image))[None], channels)
        precision = choose_precision(net, x, precision)
        if tile == "auto" and memory is None:
            memory = measure_memory(net, channels, precision=precision)
        out = restore_output(
            net,
            x,
            tile=tile,
            overlap=overlap,
            tta=tta,
            precision=precision,
            max_memory=max_memory,
            memory=memory,
            run=run,
        )
        result = _undo_channels(out.image, how)[0].clamp(0, 1).cpu().numpy()
        _write(job.target, result, meta=meta)
        written.append(job.target)
        if job.noise_map is not None:
            depth = 16 if job.noise_map.suffix.lower() in (".png", ".tif", ".tiff") else 8
            if out.noise_map is None:  # checked before the loop; a model may still vary
                raise RestoreKitError("the model returned no noise map", job.noise_map)
            _write(job.noise_map, _noise_map_image(out.noise_map, how), bit_depth=depth)
            written.append(job.noise_map)
    return written


def _onnx_precision(precision: str, device: torch.device) -> str:
    """fp32, the one precision of the onnx back end (``auto`` becomes it; others are refused)."""
    if device.type != "cpu":
        raise RestoreKitError(
            f"the onnx back end runs on the CPU, not {device}", params=("device",)
        )
    if precision not in ("auto", "fp32"):
        raise RestoreKitError(
            f"the onnx back end runs in fp32, not {precision}", params=("precision",)
        )
    return "fp32"


#: ``restore_files`` for the denoising task (its default), under the name the API has had.
denoise_files = restore_files
