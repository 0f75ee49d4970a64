"""EMA of the weights."""

from __future__ import annotations

import torch
from torch import nn

from restorekit.train.ema import EMA


def test_ema_update_and_state_roundtrip():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    ema = EMA(model, decay=0.9)
    with torch.no_grad():
        model.weight.fill_(2.0)
    ema.update(model)
    assert torch.allclose(ema.module.weight, torch.full((2, 2), 1.1))
    assert not any(p.requires_grad for p in ema.module.parameters())
    other = EMA(nn.Linear(2, 2), decay=0.9)
    other.load_state_dict(ema.state_dict())
    assert torch.equal(other.module.weight, ema.module.weight)
