"""Adapting restorekit to one camera: few-shot fine-tuning and noise calibration (issue #7).

``adapt(pairs_dir, "mycam.safetensors", base="aindnet-sn", minutes=5)`` fine-tunes the base
model's transfer groups (AIN layers, noise estimator, last conv) on a camera's noisy/clean pairs
and writes a model file that loads wherever a model loads. ``calibrate(pairs_dir, "noise.yaml")``
fits Poisson-Gaussian and CBDNet-form noise models to the same pairs (the CBDNet camera chain
through a response curve, too) and writes the ``data.noise`` section that makes synthetic
pre-training (``configs/aindnet_sn.yaml``) match the camera, with the fit as JSON and a
variance-against-intensity plot. ``NoiseProfiles.load().lookup(make, model, iso)`` reads a
camera's raw noise from darktable's noise profiles, and ``adapt_to_camera("mycam.safetensors",
camera="NIKON D800", iso=3200, clean="photos/")`` adapts with zero pairs (issue #21).
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
from restorekit.adapt.profiles import (
    CameraProfiles,
    NoiseProfile,
    NoiseProfiles,
    find_profiles_file,
    profile_search_paths,
)
from restorekit.adapt.zero_pair import (
    adapt_to_camera,
    camera_profile,
    clean_images,
    profile_noise,
    synthetic_pairs,
)

__all__ = [
    "AdaptOptions",
    "AdaptResult",
    "CalibrationResult",
    "CameraNoiseFit",
    "CameraProfiles",
    "Holdout",
    "NoiseBins",
    "NoiseFit",
    "NoiseProfile",
    "NoiseProfiles",
    "Pair",
    "PairDataset",
    "PairFiles",
    "adapt",
    "adapt_to_camera",
    "calibrate",
    "camera_profile",
    "clean_images",
    "find_pairs",
    "find_profiles_file",
    "fit_camera_noise",
    "fit_noise",
    "load_pair",
    "load_pairs",
    "measure_noise",
    "profile_noise",
    "profile_search_paths",
    "save_noise_plot",
    "split_holdout",
    "synthetic_pairs",
]
