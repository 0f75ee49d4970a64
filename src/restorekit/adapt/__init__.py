"""Adapting restorekit to one camera: few-shot fine-tuning and noise calibration (issue #7).

``adapt(pairs_dir, "mycam.safetensors", base="aindnet-real", minutes=10)`` fine-tunes the base
model's transfer groups (AIN layers, noise estimator, last conv) on a camera's noisy/clean pairs
and writes a model file that loads wherever a model loads. ``calibrate(pairs_dir, "noise.yaml")``
fits Poisson-Gaussian and CBDNet-form noise models to the same pairs (the CBDNet camera chain
through a response curve, too) and writes the ``data.noise`` section that makes synthetic
pre-training (``configs/aindnet_sn.yaml``) match the camera, with the fit as JSON and a
variance-against-intensity plot.
"""

from restorekit.adapt.calibrate import (
    CalibrationResult,
    NoiseFit,
    calibrate,
    fit_noise,
    measure_noise,
    save_noise_plot,
)
from restorekit.adapt.camera_fit import CameraNoiseFit, fit_camera_noise
from restorekit.adapt.finetune import AdaptOptions, AdaptResult, adapt
from restorekit.adapt.noise_bins import NoiseBins
from restorekit.adapt.pairs import (
    Holdout,
    Pair,
    PairDataset,
    PairFiles,
    find_pairs,
    load_pair,
    load_pairs,
    split_holdout,
)

__all__ = [
    "AdaptOptions",
    "AdaptResult",
    "CalibrationResult",
    "CameraNoiseFit",
    "Holdout",
    "NoiseBins",
    "NoiseFit",
    "Pair",
    "PairDataset",
    "PairFiles",
    "adapt",
    "calibrate",
    "find_pairs",
    "fit_camera_noise",
    "fit_noise",
    "load_pair",
    "load_pairs",
    "measure_noise",
    "save_noise_plot",
    "split_holdout",
]
