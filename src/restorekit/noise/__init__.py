"""Synthetic noise on the training device: AWGN, Poisson-Gaussian, CBDNet camera, unprocessing.

Objects (house rule 4) take an explicit ``torch.Generator``, keep ``sample`` and ``apply``
apart and never change during a call; ``build_noise(name, **kwargs)`` builds them from a recipe.
The functions ``awgn``, ``poisson_gaussian``, ``cbdnet_gaussian``, ``cbdnet`` and ``unprocess``
are one-call shortcuts; with ``generator=None`` they use torch's default generator of the
input's device (reproducible under ``torch.manual_seed``).
"""

from restorekit.noise.base import NoiseModel, NoiseResult
from restorekit.noise.bayer import (
    BAYER_PATTERNS,
    demosaic_bilinear,
    demosaic_malvar,
    mosaic,
    pack_rggb,
)
from restorekit.noise.camera import (
    CBDNET_BAYER,
    CRF,
    JPEG,
    CBDNetCamera,
    CBDNetNoise,
    CBDNetNoiseLevel,
    Demosaic,
    InverseCRF,
    Mosaic,
    WithJPEG,
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
    "Demosaic",
    "InverseCRF",
    "Mosaic",
    "NoiseChain",
    "NoiseModel",
    "NoiseResult",
    "PoissonGaussian",
    "Signal",
    "SplitBy",
    "Stage",
    "Stored",
    "Unprocess",
    "UnprocessOutput",
    "WithJPEG",
    "awgn",
    "build_noise",
    "cbdnet",
    "cbdnet_gaussian",
    "demosaic_bilinear",
    "demosaic_malvar",
    "jpeg_roundtrip",
    "list_noise",
    "mosaic",
    "pack_rggb",
    "poisson_gaussian",
    "register_noise",
    "unprocess",
    "unprocess_raw",
]
