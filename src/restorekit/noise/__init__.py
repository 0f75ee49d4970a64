"""Synthetic degradations on the training device: noise (AWGN, Poisson-Gaussian, CBDNet camera,
a camera profiled by darktable, unprocessing), rain streaks and camera-shake motion blur.

Objects (house rule 4) take an explicit ``torch.Generator``, keep ``sample`` and ``apply``
apart and never change during a call; ``build_noise(name, **kwargs)`` builds them from a recipe.
The functions ``awgn``, ``poisson_gaussian``, ``cbdnet_gaussian``, ``cbdnet`` and ``unprocess``
are one-call shortcuts; with ``generator=None`` they use torch's default generator of the
input's device (reproducible under ``torch.manual_seed``). Rain and blur share the noise
contract, so the layer keeps its name; DESIGN allows renaming it ``degrade/`` should more
non-noise degradations arrive.
"""

from restorekit.noise.base import NoiseModel, NoiseResult
from restorekit.noise.bayer import (
    BAYER_PATTERNS,
    demosaic_bilinear,
    demosaic_malvar,
    mosaic,
    pack_rggb,
)
from restorekit.noise.blur import MotionBlur, blur, rasterize, shake_trajectories
from restorekit.noise.camera import (
    CBDNET_BAYER,
    CRF,
    JPEG,
    CameraChain,
    CBDNetCamera,
    CBDNetNoise,
    CBDNetNoiseLevel,
    Demosaic,
    InverseCRF,
    Mosaic,
    cbdnet,
)
from restorekit.noise.chain import NoiseChain, Signal, SplitBy, Stage
from restorekit.noise.crf import CRFBank
from restorekit.noise.gaussian import (
    AWGN,
    CBDNetGaussian,
    PoissonGaussian,
    awgn,
    cbdnet_gaussian,
    poisson_gaussian,
)
from restorekit.noise.jpeg import jpeg_roundtrip
from restorekit.noise.profiled import ProfiledCamera, ProfiledNoiseLevel, RawPoissonGaussian
from restorekit.noise.rain import RainStreaks, line_kernels
from restorekit.noise.registry import build_noise, list_noise, register_noise
from restorekit.noise.stored import Stored
from restorekit.noise.unprocess import Unprocess, UnprocessOutput, unprocess, unprocess_raw

__all__ = [
    "AWGN",
    "BAYER_PATTERNS",
    "CBDNET_BAYER",
    "CRF",
    "JPEG",
    "CBDNetCamera",
    "CBDNetGaussian",
    "CBDNetNoise",
    "CBDNetNoiseLevel",
    "CRFBank",
    "CameraChain",
    "Demosaic",
    "InverseCRF",
    "Mosaic",
    "MotionBlur",
    "NoiseChain",
    "NoiseModel",
    "NoiseResult",
    "PoissonGaussian",
    "ProfiledCamera",
    "ProfiledNoiseLevel",
    "RainStreaks",
    "RawPoissonGaussian",
    "Signal",
    "SplitBy",
    "Stage",
    "Stored",
    "Unprocess",
    "UnprocessOutput",
    "awgn",
    "blur",
    "build_noise",
    "cbdnet",
    "cbdnet_gaussian",
    "demosaic_bilinear",
    "demosaic_malvar",
    "jpeg_roundtrip",
    "line_kernels",
    "list_noise",
    "mosaic",
    "pack_rggb",
    "poisson_gaussian",
    "rasterize",
    "register_noise",
    "shake_trajectories",
    "unprocess",
    "unprocess_raw",
]
