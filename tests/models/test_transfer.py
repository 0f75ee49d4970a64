"""AINDNet+TF parameter groups: counts, freezing, and what one optimizer step may change."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.models import build_model, transfer_parameters
from restorekit.models.aindnet import AINDNet
from restorekit.models.transfer import freeze_for_transfer


def _numel(params: list[nn.Parameter]) -> int:
    return sum(p.numel() for p in params)


def test_full_model_counts() -> None:
    with torch.device("meta"):
        model = build_model("aindnet")
    trainable = freeze_for_transfer(model)
    assert _numel(trainable) == _numel(transfer_parameters(model)) == 5_188_270
    assert _numel([p for p in model.parameters() if p.requires_grad]) == 5_188_270
    assert _numel([p for p in model.parameters() if not p.requires_grad]) == 8_575_744


def test_groups_are_ain_estimator_and_tail() -> None:
    model = AINDNet(width=4, estimator_width=4)
    chosen = {id(p) for p in transfer_parameters(model)}
    names = {n for n, p in model.named_parameters() if id(p) in chosen}
    for name in names:
        assert ".ain1." in name or ".ain2." in name or name.startswith(("est.", "rec.tail."))
    assert "rec.tail.weight" in names and "est.conv7.bias" in names
    assert "rec.blocks3.4.ain2.conv_beta.weight" in names
    assert "rec.blocks3.4.conv2.weight" not in names
    assert "rec.up4.deconv.weight" not in names


def test_adam_step_changes_only_transfer_parameters() -> None:
    torch.manual_seed(0)
    model = AINDNet(width=4, estimator_width=4)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainable = freeze_for_transfer(model)
    optimizer = torch.optim.Adam(trainable, lr=1e-2)
    noisy, clean = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    out = model(noisy)
    loss = (out.image - clean).abs().mean() + out.noise_map_coarse.mean()
    loss.backward()
    optimizer.step()

    chosen = {id(p) for p in trainable}
    changed = set()
    for name, p in model.named_parameters():
        if id(p) in chosen:
            if not torch.equal(p, before[name]):
                changed.add(name)
        else:
            assert p.grad is None, name
            assert torch.equal(p, before[name]), f"frozen parameter {name} changed"
    assert "rec.tail.weight" in changed
    assert "rec.blocks1.0.ain1.conv_gamma.weight" in changed
    assert "rec.blocks3.4.ain2.conv1.weight" in changed


def test_wrapped_model_is_unwrapped() -> None:
    model = AINDNet(width=4, estimator_width=4)

    class Wrapper(nn.Module):
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    wrapped = transfer_parameters(Wrapper(model))
    assert [id(p) for p in wrapped] == [id(p) for p in transfer_parameters(model)]


def test_model_without_transfer_groups_is_a_user_error() -> None:
    with pytest.raises(RestoreKitError, match="no transfer-learning"):
        transfer_parameters(nn.Sequential(nn.Conv2d(3, 3, 3)))
    with pytest.raises(RestoreKitError):
        freeze_for_transfer(nn.Conv2d(3, 3, 3))


def test_hinet_has_no_transfer_groups() -> None:
    with torch.device("meta"):
        hinet = build_model("hinet")
    with pytest.raises(RestoreKitError, match="HINet"):
        transfer_parameters(hinet)
