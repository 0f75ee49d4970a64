"""restorekit: real-world image denoising and restoration (AINDNet, HINet and friends).

``restorekit.build_model`` and ``restorekit.load_model`` come from ``restorekit.api``; they are
imported on first use so that ``import restorekit`` (and the CLI's ``--help``) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "build_model", "load_model"]

if TYPE_CHECKING:
    from restorekit.api import build_model, load_model


def __getattr__(name: str) -> Any:
    if name in ("build_model", "load_model"):
        from restorekit import api

        return getattr(api, name)
    raise AttributeError(f"module 'restorekit' has no attribute {name!r}")
