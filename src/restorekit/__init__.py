"""restorekit: real-world image denoising and restoration (AINDNet, HINet and friends).

The public functions (``build_model``, ``load_model``, ``restore``, ``restore_files``, ``adapt``,
``calibrate``, ...) come from ``restorekit.api``; they are imported on first use so that
``import restorekit`` (and the CLI's ``--help``) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "__version__",
    "adapt",
    "adapt_to_camera",
    "build_model",
    "calibrate",
    "denoise_files",
    "list_models",
    "load_model",
    "read_metadata",
    "restore",
    "restore_files",
    "save_model",
]

if TYPE_CHECKING:
    from restorekit.api import (
        adapt,
        adapt_to_camera,
        build_model,
        calibrate,
        denoise_files,
        list_models,
        load_model,
        read_metadata,
        restore,
        restore_files,
        save_model,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        from restorekit import api

        return getattr(api, name)
    raise AttributeError(f"module 'restorekit' has no attribute {name!r}")
