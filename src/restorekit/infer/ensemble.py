"""Ensembles: several models averaged, usable wherever a single model is."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from restorekit.errors import RestoreKitError
from restorekit.infer.outputs import fields_of
from restorekit.models.output import RestorationOutput


class Ensemble(nn.Module):
    """Average the final images (and the noise maps of members that estimate one) of ``models``.

    Members run one after another on the same input, so peak memory is that of the largest
    member. The result is a RestorationOutput like any model's; ``size_multiple`` is the least
    common multiple of the members' (an attribute members may carry; 1 when absent).
    """

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        if not models:
            raise RestoreKitError("an ensemble needs at least one model")
        self.members = nn.ModuleList(models)
        self.size_multiple = math.lcm(*(int(getattr(m, "size_multiple", 1)) for m in models))

    def forward(self, x: Tensor) -> RestorationOutput:
        sums: dict[str, Tensor] = {}
        counts: dict[str, int] = {}
        for member in self.members:
            for name, value in fields_of(member(x)).items():
                sums[name] = value if name not in sums else sums[name] + value
                counts[name] = counts.get(name, 0) + 1
        mean = {name: value / counts[name] for name, value in sums.items()}
        return RestorationOutput(
            image=mean["image"], stages=[mean["image"]], noise_map=mean.get("noise_map")
        )
