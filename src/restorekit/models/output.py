"""The uniform output of every restorekit model."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class RestorationOutput:
    """What a model returns.

    ``image`` is the final restored image (N, C, H, W). ``stages`` lists every supervised stage
    image, last one equal to ``image`` (HINet: [stage1, stage2]; single-stage models: [image]).
    ``noise_map`` is the noise-level map a model estimated and used (AINDNet: the blended
    full-resolution map), ``noise_map_fine`` and ``noise_map_coarse`` its two scales for the
    multi-scale loss; all three are None for models that estimate no noise.
    """

    image: Tensor
    stages: list[Tensor] = field(default_factory=list)
    noise_map: Tensor | None = None
    noise_map_fine: Tensor | None = None
    noise_map_coarse: Tensor | None = None
