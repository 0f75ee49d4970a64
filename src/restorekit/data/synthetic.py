"""Noisy/clean pairs synthesised per batch on the training device (AINDNet's SN stage, AWGN).

Clean-only datasets yield ``{"clean", "name"}``; the trainer moves the batch to its device and
calls :class:`SynthesizeBatch` with its own ``torch.Generator``, so noise costs the GPU a few
kernels instead of keeping DataLoader workers busy, and the generator's state is part of the
checkpoint (bit-exact resume).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from restorekit.errors import RestoreKitError

NoiseModel = Callable[[torch.Tensor, torch.Generator], Any]


class SynthesizeBatch:
    """Turn a clean batch into ``{"noisy", "clean", "noise_map"}`` with a noise model.

    ``noise_model`` is any callable ``noise(x, generator) -> NoiseResult(noisy, noise_map,
    params)`` such as :func:`restorekit.noise.build_noise`'s models; ``noise_map`` is the
    ground-truth noise level AINDNet's estimator loss compares against.
    """

    def __init__(self, noise_model: NoiseModel) -> None:
        if not callable(noise_model):
            raise TypeError(f"noise_model must be callable, got {type(noise_model).__name__}")
        self.noise_model = noise_model

    @classmethod
    def from_name(cls, name: str, **kwargs: Any) -> SynthesizeBatch:
        """Build the noise model ``name`` from :mod:`restorekit.noise` (recipes use this)."""
        from restorekit.noise import build_noise  # the noise stack is only needed here

        return cls(build_noise(name, **kwargs))

    def __call__(
        self, batch: Mapping[str, Any] | torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Noise ``batch["clean"]`` (or a bare NCHW tensor) with ``generator``; nothing else."""
        clean = batch if isinstance(batch, torch.Tensor) else batch["clean"]
        if not isinstance(generator, torch.Generator):
            raise TypeError("SynthesizeBatch needs an explicit torch.Generator")
        if clean.ndim != 4 or not clean.is_floating_point():
            raise RestoreKitError(
                f"expected a float NCHW clean batch, got {clean.dtype} {tuple(clean.shape)}"
            )
        result = self.noise_model(clean, generator)
        if result.noisy.shape != clean.shape:
            raise ValueError(
                f"noise model returned {tuple(result.noisy.shape)} for {tuple(clean.shape)}"
            )
        return {"noisy": result.noisy, "clean": clean, "noise_map": result.noise_map}
