"""Models: the registry, AINDNet, HINet and shared layers.

Each model module registers its names when imported; they are imported here by name.
"""

from restorekit.models import aindnet, hinet  # noqa: F401  (registers the models)
from restorekit.models.output import RestorationOutput
from restorekit.models.registry import build_model, get_entry, list_models, register_model
from restorekit.models.transfer import freeze_for_transfer, transfer_parameters

__all__ = [
    "RestorationOutput",
    "build_model",
    "freeze_for_transfer",
    "get_entry",
    "list_models",
    "register_model",
    "transfer_parameters",
]
