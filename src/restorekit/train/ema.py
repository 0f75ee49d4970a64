"""Exponential moving average of a model's weights (validation and exports use the average)."""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


class EMA:
    """``average = decay * average + (1 - decay) * weights`` after every optimiser step.

    ``module`` is a frozen copy of the model holding the average; floating-point buffers (none in
    AINDNet or HINet) are averaged too, other buffers copied.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights."""
        averaged, current = self._tensors(self.module), self._tensors(model)
        floats = [(a, c) for a, c in zip(averaged, current, strict=True) if a.is_floating_point()]
        torch._foreach_lerp_([a for a, _ in floats], [c for _, c in floats], 1.0 - self.decay)
        for a, c in zip(averaged, current, strict=True):
            if not a.is_floating_point():
                a.copy_(c)

    def state_dict(self) -> dict[str, Tensor]:
        """The averaged weights (a model ``state_dict``)."""
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        """Restore the averaged weights."""
        self.module.load_state_dict(state)

    @staticmethod
    def _tensors(model: nn.Module) -> list[Tensor]:
        return [*model.parameters(), *model.buffers()]
