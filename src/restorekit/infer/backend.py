"""Where a model runs: PyTorch (the default) or ONNX Runtime on the CPU (issue #18).

:func:`onnx_runner` exports a model once with :func:`restorekit.infer.onnx.export_onnx`
(dynamic height and width) into the cache, ``restorekit.io.cache_root()/onnx``, under a name
that is a digest of the weights, the model spec and the exporter's versions, so a second run
starts at once. It returns a callable with the model's contract, (N, C, H, W) float32 in [0, 1]
-> :class:`~restorekit.models.RestorationOutput`, that reflect-pads the input to the model's size
multiple and crops the result, as the model does inside itself (its own padding does not
trace). Tiling, TTA and ``restore_files`` take it in place of the model. Its thread pool does not
spin when OpenMP is told not to (``OMP_WAIT_POLICY=PASSIVE``, what the CLI sets on a busy machine:
``restorekit.runtime.choose_wait_policy``). fp32 on the CPU only:
ONNX Runtime's CPU provider has no bfloat16 convolution. ``benchmarks/onnx_backend.py``
measures it against PyTorch side by side.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import torch
from torch import Tensor, nn

from restorekit import __version__
from restorekit.errors import RestoreKitError
from restorekit.infer.loading import model_size_multiple
from restorekit.infer.onnx import OPSET, export_onnx
from restorekit.io import atomic_write_bytes, cache_root
from restorekit.models import RestorationOutput
from restorekit.models.layers import pad_to_multiple
from restorekit.runtime import passive_wait

BACKENDS = ("torch", "onnx")


class OnnxRunner:
    """An ONNX Runtime session with the model's call contract (module docstring)."""

    def __init__(self, path: Path, outputs: tuple[str, ...], multiple: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        if passive_wait():  # ORT's own pool spins unless told not to
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.outputs, self.multiple, self.path = outputs, multiple, path

    def __call__(self, x: Tensor) -> RestorationOutput:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x.float(), self.multiple) if self.multiple > 1 else x.float()
        arrays = self.session.run(None, {self.input: padded.contiguous().numpy()})
        fields = {
            name: torch.from_numpy(array)[..., :height, :width].to(x.device)
            for name, array in zip(self.outputs, arrays, strict=True)
        }
        image = fields["image"]
        return RestorationOutput(image=image, stages=[image], noise_map=fields.get("noise_map"))


def model_digest(model: nn.Module) -> str:
    """A short digest of ``model``'s weights and spec and of the exporter (cache file names)."""
    h = hashlib.sha256()
    spec = getattr(model, "spec", None)
    about = {
        "name": getattr(spec, "name", type(model).__name__),
        "kwargs": getattr(spec, "kwargs", {}),
        "versions": [__version__, torch.__version__, OPSET],
    }
    h.update(json.dumps(about, sort_keys=True, default=str).encode())
    for key, value in sorted(model.state_dict().items()):
        h.update(key.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


def onnx_runner(model: nn.Module, threads: int | None = None) -> OnnxRunner:
    """``model`` as an ONNX Runtime session on the CPU, exported into the cache on first use."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise RestoreKitError(
            "the onnx back end needs onnxruntime: pip install 'restorekit[onnx]'"
        ) from None
    multiple = model_size_multiple(model)
    path = cache_root() / "onnx" / f"{model_digest(model)}.onnx"
    outputs_file = path.with_suffix(".json")
    if not (path.is_file() and outputs_file.is_file()):
        with tempfile.TemporaryDirectory(prefix="restorekit-onnx-") as folder:
            export = export_onnx(model, Path(folder) / "model.onnx")
            if not export.dynamic:
                raise RestoreKitError(
                    f"this model does not export with dynamic sizes ({export.note}); "
                    "use the torch back end"
                )
            atomic_write_bytes(path, export.path.read_bytes(), make_parents=True)
        atomic_write_bytes(outputs_file, json.dumps(list(export.outputs)).encode())
    outputs = tuple(json.loads(outputs_file.read_text()))
    return OnnxRunner(path, outputs, multiple, threads or torch.get_num_threads())
