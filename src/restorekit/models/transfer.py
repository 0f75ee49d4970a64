"""Parameter groups for AINDNet's synthetic-to-real transfer learning ("AINDNet+TF").

Starting from a model trained on synthetic noise, the paper (sec. 3.2, Fig. 4) updates only the
parts that adapt to the noise: every AIN module (its conv1, conv_gamma, conv_beta), the whole
noise-level estimator and the last 1x1 conv; the rest stays frozen. For the full RGB model that
is 5,188,270 trainable and 8,575,744 frozen parameters. For the ``norm`` ablation variants the
normalisation slots of the residual blocks take the AIN modules' place (``ain1``/``ain2``:
gated or plain IN; none for ``norm="none"``), and a model without estimator has none to train.
"""

from __future__ import annotations

from torch import nn

from restorekit.errors import RestoreKitError
from restorekit.models.aindnet import AINDNet, AINResBlock


def _unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel (``.module``) or ``torch.compile`` wrapper."""
    while True:
        inner = getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            inner = getattr(model, "module", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def transfer_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters AINDNet+TF updates: all AIN modules, the estimator and the last conv.

    Ordered as in ``model.parameters()``. Raises ``RestoreKitError`` for a model that has no
    transfer-learning groups (anything but AINDNet, e.g. HINet).
    """
    net = _unwrap(model)
    if not isinstance(net, AINDNet):
        raise RestoreKitError(
            f"{type(net).__name__} has no transfer-learning parameter groups "
            "(only AINDNet supports AINDNet+TF transfer)"
        )
    chosen: set[int] = set()
    blocks = [m for m in net.modules() if isinstance(m, AINResBlock)]
    adaptive = [norm for block in blocks for norm in (block.ain1, block.ain2)]
    estimator = [] if net.est is None else [net.est]
    for module in [*adaptive, *estimator, net.rec.tail]:
        chosen.update(id(p) for p in module.parameters())
    return [p for p in net.parameters() if id(p) in chosen]


def freeze_for_transfer(model: nn.Module) -> list[nn.Parameter]:
    """Set ``requires_grad`` for AINDNet+TF: True on ``transfer_parameters(model)``, False on
    every other parameter. Returns the trainable list, ready for the optimizer."""
    trainable = transfer_parameters(model)
    chosen = {id(p) for p in trainable}
    for p in model.parameters():
        p.requires_grad_(id(p) in chosen)
    return trainable
