"""Methods compared side by side: the noisy input, BM3D/CBM3D, restorekit models, any function.

A method maps one noisy image (CHW float32, [0,1] units, possibly outside [0,1]) to a restored
image of the same shape, plus a small dict of per-image facts worth reporting (e.g. the sigma
BM3D used). ``build_method("noisy" | "bm3d" | "bm3d:SIGMA" | model name or checkpoint path)``
turns a CLI word into a method.
"""

from __future__ import annotations

import importlib.metadata
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.infer.loading import model_max_tile
from restorekit.infer.precision import select_device
from restorekit.infer.restore import restore

MethodResult = tuple[np.ndarray, dict[str, Any]]
Tile = int | str | None


class Method(ABC):
    """A named restoration method; ``run`` must be deterministic for a given input."""

    name: str

    @abstractmethod
    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        """Restore ``noisy`` (CHW float32); ``sigma`` is the true noise std if the protocol knows
        it ([0,1] units), else None. Returns the CHW output and per-image facts."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What this method is and every setting that affects its output."""


class NoisyMethod(Method):
    """The noisy input itself, scored through the protocol's metric variant (for the 8-bit
    variants it is clamped to [0,1] and rounded like every other output)."""

    name = "noisy"

    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        return noisy, {}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "noisy input",
            "note": "the input given to every method, scored like an output",
        }


class FunctionMethod(Method):
    """Wraps ``fn(noisy CHW float32) -> CHW array``: stand-ins, classical filters, tests."""

    def __init__(
        self, name: str, fn: Callable[[np.ndarray], np.ndarray], description: str = ""
    ) -> None:
        self.name = name
        self.fn = fn
        self.description = description

    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        return np.asarray(self.fn(noisy), dtype=np.float32), {}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "function", "note": self.description}


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def estimate_noise_sigma(noisy: np.ndarray) -> float:
    """Noise std ([0,1] units) of a CHW image by scikit-image's ``estimate_sigma`` (wavelet
    median absolute deviation of the finest diagonal sub-band, Donoho), averaged over channels."""
    from skimage.restoration import estimate_sigma

    image = np.clip(np.asarray(noisy, dtype=np.float64), 0.0, 1.0)
    if image.shape[0] == 1:
        return float(estimate_sigma(image[0], channel_axis=None))
    return float(estimate_sigma(image.transpose(1, 2, 0), channel_axis=-1, average_sigmas=True))


class BM3DMethod(Method):
    """BM3D (gray, ``bm3d.bm3d``) or CBM3D (RGB, ``bm3d.bm3d_rgb``, opponent colour space), the
    reference classical denoiser, from the optional ``bm3d`` package (``pip install
    'restorekit[bm3d]'``).

    Licence: the ``bm3d`` package (Tampere University) is free for non-commercial use only; it is
    an optional extra used as a comparison baseline, never a dependency of restorekit itself.

    Sigma: ``sigma_255`` if given (8-bit units); else the protocol's true sigma (Gaussian
    protocols); else estimated per image from the noisy input by ``estimate_noise_sigma``. The
    sigma used and its source are reported for every image. The input is the noisy image as
    given (unclipped for Gaussian protocols); profile "np" (the package default).
    """

    def __init__(self, sigma_255: float | None = None) -> None:
        try:
            import bm3d
        except ImportError:
            raise RestoreKitError(
                "method 'bm3d' needs the optional bm3d package (non-commercial licence): "
                "pip install 'restorekit[bm3d]'"
            ) from None
        if sigma_255 is not None and not 0 < sigma_255 <= 255:
            raise RestoreKitError(f"bm3d sigma must be in (0, 255] (8-bit units), got {sigma_255}")
        self._bm3d = bm3d
        self.sigma_255 = sigma_255
        self.name = "bm3d" if sigma_255 is None else f"bm3d:{sigma_255:g}"

    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        if self.sigma_255 is not None:
            used, source = self.sigma_255 / 255.0, "given"
        elif sigma is not None:
            used, source = sigma, "protocol"
        else:
            used, source = estimate_noise_sigma(noisy), "estimated"
        image = np.asarray(noisy, dtype=np.float64)
        if image.shape[0] == 1:
            out = self._bm3d.bm3d(image[0], sigma_psd=used)[None]
        elif image.shape[0] == 3:
            out = self._bm3d.bm3d_rgb(image.transpose(1, 2, 0), used).transpose(2, 0, 1)
        else:
            raise RestoreKitError(f"bm3d needs 1 or 3 channels, got {image.shape[0]}")
        info = {"sigma_255": round(used * 255.0, 4), "sigma_source": source}
        return np.ascontiguousarray(out, dtype=np.float32), info

    def describe(self) -> dict[str, Any]:
        if self.sigma_255 is not None:
            sigma = f"given: {self.sigma_255:g}/255"
        else:
            sigma = (
                "the protocol's true sigma for Gaussian protocols; otherwise estimated per image "
                "(skimage.restoration.estimate_sigma, wavelet MAD, averaged over channels)"
            )
        return {
            "name": self.name,
            "kind": "bm3d",
            "implementation": f"bm3d {_package_version('bm3d')} "
            "(bm3d.bm3d gray, bm3d.bm3d_rgb colour, profile 'np')",
            "sigma": sigma,
            "licence": "bm3d package: non-commercial use only (optional extra)",
        }


def model_in_channels(model: nn.Module, metadata: dict[str, Any] | None = None) -> int:
    """Input channels a model expects: ``in_chn``/``in_channels`` from its metadata kwargs or its
    attributes, else 3 (restorekit models are RGB unless built for gray)."""
    kwargs = (metadata or {}).get("kwargs") or {}
    for source in (kwargs, vars(model)):
        for key in ("in_chn", "in_channels"):
            value = source.get(key)
            if isinstance(value, int):
                return value
    return 3


class ModelMethod(Method):
    """A restorekit model run through ``restorekit.infer.restore`` (whole image, or tiled, with
    optional x8 TTA and reduced precision; all settings are reported with the scores).

    Gray images given to an RGB model are repeated to 3 channels and the output averaged back to
    one channel (reported); RGB images given to a gray model are an error.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        name: str,
        source: str = "",
        metadata: dict[str, Any] | None = None,
        tile: Tile = None,
        overlap: int = 32,
        tta: bool = False,
        precision: str = "fp32",
    ) -> None:
        self.model = model.eval()
        self.name = name
        self.source = source
        self.metadata = dict(metadata or {})
        self.tile, self.overlap, self.tta, self.precision = tile, overlap, tta, precision
        self.in_channels = model_in_channels(model, self.metadata)
        parameter = next(model.parameters(), None)
        self.device = parameter.device if parameter is not None else torch.device("cpu")

    @classmethod
    def load(
        cls,
        spec: str,
        *,
        device: str = "auto",
        tile: Tile = None,
        overlap: int = 32,
        tta: bool = False,
        precision: str = "fp32",
    ) -> ModelMethod:
        """A bundled model name or a checkpoint path (``restorekit.load_model``)."""
        from restorekit.weights import load_model

        model = load_model(spec, device=select_device(device))
        name = Path(spec).stem if Path(spec).is_file() else spec
        return cls(
            model,
            name=name,
            source=spec,
            metadata=getattr(model, "checkpoint_metadata", None),
            tile=tile,
            overlap=overlap,
            tta=tta,
            precision=precision,
        )

    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        channels = noisy.shape[0]
        # Stays on the CPU: restore() moves the whole image, or one tile at a time, to the model.
        x = torch.from_numpy(np.ascontiguousarray(noisy, dtype=np.float32))[None]
        info: dict[str, Any] = {}
        if channels != self.in_channels:
            if channels == 1 and self.in_channels == 3:
                x = x.expand(-1, 3, -1, -1).contiguous()
                info["gray_input"] = "repeated to RGB, output averaged"
            else:
                raise RestoreKitError(
                    f"model '{self.name}' expects {self.in_channels}-channel input, "
                    f"the image has {channels}"
                )
        options = {"overlap": self.overlap, "tta": self.tta, "precision": self.precision}
        out = restore(self.model, x, tile=self.tile, **options)
        result = out.float().cpu().numpy()[0]
        if result.shape[0] != channels:
            result = result.mean(axis=0, keepdims=True)
        return np.ascontiguousarray(result, dtype=np.float32), info

    def describe(self) -> dict[str, Any]:
        meta = self.metadata
        return {
            "name": self.name,
            "kind": "model",
            "source": self.source,
            "registry_name": meta.get("name"),
            "kwargs": meta.get("kwargs"),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device),
            "tile": self.tile,
            "max_tile": model_max_tile(self.model),
            "overlap": self.overlap if self.tile else None,
            "tta": "x8 (flips and rotations, averaged)" if self.tta else "none",
            "precision": self.precision,
            "input_channels": self.in_channels,
        }


def build_method(
    spec: str,
    *,
    device: str = "auto",
    tile: Tile = None,
    overlap: int = 32,
    tta: bool = False,
    precision: str = "fp32",
) -> Method:
    """``noisy``, ``bm3d``, ``bm3d:SIGMA`` (8-bit units), or a model name / checkpoint path; the
    inference options apply to models only."""
    spec = spec.strip()
    if not spec:
        raise RestoreKitError("empty method name in --methods")
    if spec == "noisy":
        return NoisyMethod()
    if spec == "bm3d":
        return BM3DMethod()
    if spec.startswith("bm3d:"):
        try:
            sigma = float(spec.split(":", 1)[1])
        except ValueError:
            raise RestoreKitError(f"bm3d sigma must be a number: '{spec}'") from None
        return BM3DMethod(sigma)
    return ModelMethod.load(
        spec, device=device, tile=tile, overlap=overlap, tta=tta, precision=precision
    )
