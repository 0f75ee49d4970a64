"""Inference: whole-image or tiled, x8 TTA, ensembles, precision, and file-level denoising.

Functions, not model methods: each takes a model (any callable returning a tensor or a
RestorationOutput) and a tensor, so they compose: ``restore`` = precision + optional TTA per
tile + optional tiling. ``restore_files`` is what `restorekit restore` and `denoise` run;
``export_onnx`` what `restorekit export --onnx` runs.
"""

from restorekit.infer.ensemble import Ensemble
from restorekit.infer.files import denoise_files, restore_files
from restorekit.infer.loading import DEFAULT_MODEL, load_models, prepare_model
from restorekit.infer.memory import auto_tile, available_memory, estimate_memory, memory_budget
from restorekit.infer.onnx import export_onnx
from restorekit.infer.precision import PRECISIONS, autocast, select_device
from restorekit.infer.restore import measure_memory, restore, restore_output
from restorekit.infer.tiling import tiled_forward
from restorekit.infer.tta import tta_x8

__all__ = [
    "DEFAULT_MODEL",
    "PRECISIONS",
    "Ensemble",
    "auto_tile",
    "autocast",
    "available_memory",
    "denoise_files",
    "estimate_memory",
    "export_onnx",
    "load_models",
    "measure_memory",
    "memory_budget",
    "prepare_model",
    "restore",
    "restore_files",
    "restore_output",
    "select_device",
    "tiled_forward",
    "tta_x8",
]
