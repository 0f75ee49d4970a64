"""Training: YAML recipes, losses, schedules, checkpoints, DDP, and the one trainer ``fit``.

``restorekit train -c configs/<recipe>.yaml key=value ...`` calls :func:`train`; Python users
call ``fit(load_config(path, overrides))``.
"""

from restorekit.train.config import TrainConfig, config_from_dict, load_config, to_dict
from restorekit.train.losses import LOSSES, build_criterion, build_loss, register_loss
from restorekit.train.schedule import lr_at
from restorekit.train.trainer import FitResult, GivenData, fit, train

__all__ = [
    "LOSSES",
    "FitResult",
    "GivenData",
    "TrainConfig",
    "build_criterion",
    "build_loss",
    "config_from_dict",
    "fit",
    "load_config",
    "lr_at",
    "register_loss",
    "to_dict",
    "train",
]
