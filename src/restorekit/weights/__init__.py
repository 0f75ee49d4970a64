"""Weights: restorekit's safetensors checkpoints and official-checkpoint conversion.

``save_model`` / ``load_model`` / ``read_metadata`` handle our files (and official HINet
``.pth`` files on load); ``model_summary`` describes one from its header (``restorekit models``);
``restorekit.weights.official`` holds the pure HINet converters.
"""

from restorekit.weights.catalog import list_model_summaries, model_summary
from restorekit.weights.checkpoint import (
    FORMAT_VERSION,
    MODEL_DIR_ENV,
    bundled_models,
    load_model,
    model_dirs,
    read_metadata,
    resolve_model_file,
    save_model,
)
from restorekit.weights.official import convert_official_hinet, read_torch_file

__all__ = [
    "FORMAT_VERSION",
    "MODEL_DIR_ENV",
    "bundled_models",
    "convert_official_hinet",
    "list_model_summaries",
    "load_model",
    "model_dirs",
    "model_summary",
    "read_metadata",
    "read_torch_file",
    "resolve_model_file",
    "save_model",
]
