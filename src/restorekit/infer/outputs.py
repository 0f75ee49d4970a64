"""Helpers shared by the inference wrappers: which output fields travel through them.

Tiling, TTA and ensembles all take a callable ``fn(x)`` returning either a plain image tensor or
a :class:`RestorationOutput`, and return the same kind. Only the fields an inference user needs
travel through them: the final ``image`` and, when the model estimates one, the full-resolution
``noise_map`` (AINDNet); stage images and the two training-scale noise maps are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import torch
import torch.nn.functional as F
from torch import Tensor

from restorekit.models.output import RestorationOutput

ModelOutput: TypeAlias = Tensor | RestorationOutput
ModelFn: TypeAlias = Callable[[Tensor], ModelOutput]


def image_of(out: ModelOutput) -> Tensor:
    """The final image of a model output (a tensor is its own image)."""
    return out.image if isinstance(out, RestorationOutput) else out


def fields_of(out: ModelOutput) -> dict[str, Tensor]:
    """``{"image": ..., "noise_map": ...}`` as float32; a noise map of another size is resized.

    AINDNet's blended noise map is full resolution already; the resize only keeps a future
    model with a coarser map working through tiling and TTA.
    """
    image = image_of(out).float()
    fields = {"image": image}
    noise_map = out.noise_map if isinstance(out, RestorationOutput) else None
    if noise_map is not None:
        noise_map = noise_map.float()
        if noise_map.shape[-2:] != image.shape[-2:]:
            noise_map = F.interpolate(
                noise_map, size=image.shape[-2:], mode="bilinear", align_corners=False
            )
        fields["noise_map"] = noise_map
    return fields


def rebuild(like: ModelOutput, fields: dict[str, Tensor]) -> ModelOutput:
    """An output of the same kind as ``like`` holding ``fields``."""
    image = fields["image"]
    if not isinstance(like, RestorationOutput):
        return image
    return RestorationOutput(image=image, stages=[image], noise_map=fields.get("noise_map"))


def model_device(model: object) -> torch.device:
    """The device of a module's first parameter or buffer (CPU for parameter-free callables)."""
    for getter in ("parameters", "buffers"):
        tensors = getattr(model, getter, None)
        if tensors is None:
            continue
        for tensor in tensors():
            return tensor.device
    return torch.device("cpu")
