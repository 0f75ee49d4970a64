"""ONNX export of any restorekit model, checked in onnxruntime against PyTorch.

The graph takes ``input`` (N, C, H, W) float32 in [0, 1] and returns ``image`` (and
``noise_map`` for models that estimate one, e.g. AINDNet). It is traced with PyTorch's
TorchScript-based exporter (``dynamo=False``: no extra package needed, and shape arithmetic on
``x.shape`` is recorded symbolically). With ``dynamic=True`` batch, height and width are dynamic
axes, tried in this order, each checked in onnxruntime at the traced size and other sizes:

1. any size: traced at a size needing padding on both axes, so the model's padding is recorded;
2. sizes that are multiples of the model's size multiple (traced at such a size, so no padding
   op is needed; the caller pads and crops), when the model's padding does not trace (today's
   HINet and AINDNet: Python-level loops/conditions and ``F.interpolate`` sizes become constants);
3. the fixed ``size``, with ``dynamic=False`` and a ``note`` saying why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO

import numpy as np
import torch
from torch import Tensor, nn

from restorekit.errors import RestoreKitError
from restorekit.infer.loading import ModelArg, load_models, model_channels, model_size_multiple
from restorekit.infer.outputs import fields_of, model_device
from restorekit.io import atomic_write

OPSET = 17
ATOL = 1e-4


@dataclass(frozen=True)
class OnnxExport:
    """What was written: file, whether H/W are dynamic, traced size, outputs, checked error."""

    path: Path
    dynamic: bool
    size: tuple[int, int]
    outputs: tuple[str, ...]
    max_error: float | None
    note: str = ""


class _Graph(nn.Module):
    """The exported computation: a tuple of output tensors instead of a RestorationOutput."""

    def __init__(self, model: nn.Module, outputs: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.outputs = outputs

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        fields = fields_of(self.model(x))
        return tuple(fields[name] for name in self.outputs)


def _session(path: Path):  # type: ignore[no-untyped-def]
    """An onnxruntime CPU session; a graph it rejects is a RuntimeError (a failed export)."""
    try:
        import onnxruntime
    except ImportError:
        raise RestoreKitError(
            "checking an ONNX export needs onnxruntime: pip install 'restorekit[onnx]'"
        ) from None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4  # errors come back as exceptions
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime's errors derive from Exception only
        raise RuntimeError(f"onnxruntime rejects the graph: {err}") from err


def _max_error(graph: _Graph, session, x: Tensor) -> float:  # type: ignore[no-untyped-def]
    """Largest absolute difference between PyTorch and onnxruntime over all outputs."""
    with torch.inference_mode():
        expected = [t.numpy() for t in graph(x)]
    try:
        got = session.run(None, {"input": x.numpy()})
    except Exception:  # onnxruntime's errors derive from Exception only: a failed graph
        return float("inf")
    if len(got) != len(expected):
        return float("inf")
    errors = [
        float(np.abs(a - b).max()) if a.shape == b.shape else float("inf")
        for a, b in zip(got, expected, strict=True)
    ]
    return max(errors)


def _write(graph: _Graph, path: Path, x: Tensor, dynamic: bool, opset: int) -> None:
    """Export atomically (``restorekit.io.atomic_write``)."""
    axes = {0: "batch", 2: "height", 3: "width"}
    names = ["input", *graph.outputs]

    def export(handle: IO[bytes]) -> None:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter, not user news
            torch.onnx.export(
                graph,
                (x,),
                handle,
                dynamo=False,
                input_names=["input"],
                output_names=list(graph.outputs),
                dynamic_axes={name: axes for name in names} if dynamic else None,
                opset_version=opset,
                do_constant_folding=True,
            )

    atomic_write(path, export)


def _one_line(err: BaseException, limit: int = 160) -> str:
    return " ".join(str(err).split())[:limit]


def export_onnx(
    model: nn.Module,
    path: str | PathLike[str],
    *,
    dynamic: bool = True,
    size: tuple[int, int] = (256, 256),
    opset: int = OPSET,
    check: bool = True,
    atol: float = ATOL,
) -> OnnxExport:
    """Export ``model`` to ONNX at ``path`` and (``check``) verify it in onnxruntime.

    ``size`` (height, width) is the input size of a fixed-size export. The check compares every
    output with PyTorch on random inputs; a static export differing by more than ``atol`` is
    removed again and raises.
    """
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise RestoreKitError("the ONNX output file name must end in .onnx", path)
    if not path.parent.is_dir():
        raise RestoreKitError("the output folder does not exist", path)
    original = model_device(model)
    model = model.eval().to("cpu")
    try:
        return _export(model, path, dynamic, size, opset, check, atol)
    finally:
        model.to(original)


def _export(
    model: nn.Module,
    path: Path,
    dynamic: bool,
    size: tuple[int, int],
    opset: int,
    check: bool,
    atol: float,
) -> OnnxExport:
    channels = model_channels(model)
    multiple = model_size_multiple(model)
    base = multiple * -(-16 // multiple)  # >= 16 and a multiple of the model's size multiple
    gen = torch.Generator().manual_seed(0)

    def sample(h: int, w: int) -> Tensor:
        return torch.rand(1, channels, h, w, generator=gen)

    with torch.inference_mode():
        outputs = tuple(fields_of(model(sample(base, base))))
    graph = _Graph(model, outputs)
    # (traced size, sizes checked, multiple the sizes must have): any size, then multiples only
    attempts = [((2 * base + 3, 3 * base + 5), [(3 * base + 7, 2 * base - 1), (base, 2 * base)], 1)]
    if multiple > 1:
        attempts.append(((2 * base, 3 * base), [(3 * base, base + multiple)], multiple))
    notes: list[str] = []
    for traced, others, needs in attempts if dynamic else []:
        try:
            _write(graph, path, sample(*traced), dynamic=True, opset=opset)
            error = None
            if check:
                session = _session(path)
                error = max(_max_error(graph, session, sample(*hw)) for hw in [traced, *others])
        except (RuntimeError, ValueError, TypeError) as err:
            notes.append(f"export failed: {_one_line(err)}")
            continue
        if error is None or error <= atol:
            note = (
                ""
                if needs == 1
                else (
                    f"height and width must be multiples of {needs} (pad, then crop): the model's "
                    "own padding to that multiple does not trace"
                )
            )
            return OnnxExport(path, True, traced, outputs, error, note)
        notes.append(f"{'any size' if needs == 1 else f'multiples of {needs}'}: error {error:.2g}")
    try:
        _write(graph, path, sample(*size), dynamic=False, opset=opset)
        error = _max_error(graph, _session(path), sample(*size)) if check else None
    except (RuntimeError, ValueError, TypeError) as err:
        path.unlink(missing_ok=True)
        raise RestoreKitError(f"ONNX export failed: {_one_line(err, 200)}") from err
    if error is not None and error > atol:
        path.unlink(missing_ok=True)
        raise RestoreKitError(f"the ONNX graph differs from PyTorch by {error:.2g} (> {atol})")
    if notes:
        notes.insert(0, f"dynamic height/width did not trace correctly, fixed {size[0]}x{size[1]}")
    return OnnxExport(path, False, size, outputs, error, "; ".join(notes))


def export_model_file(
    model: ModelArg | None,
    onnx: str | PathLike[str],
    *,
    dynamic: bool = True,
    size: tuple[int, int] = (256, 256),
    opset: int = OPSET,
    check: bool = True,
) -> OnnxExport:
    """Load ``model`` (a bundled name or model file; None = the default model) on the CPU and
    export it with :func:`export_onnx`: what ``restorekit export --onnx`` runs."""
    if min(size) < 1:
        raise RestoreKitError(f"the export size must be positive, got {size[0]}x{size[1]}")
    return export_onnx(
        load_models(model, "cpu"), onnx, dynamic=dynamic, size=size, opset=opset, check=check
    )
