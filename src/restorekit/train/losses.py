"""Training losses, picked by name from one small registry (``LOSSES``) in the recipes.

Every registered loss is built as ``build_loss(name, **kwargs)`` and called as
``loss(output, batch)`` with the model's ``RestorationOutput`` and the batch (``clean`` and, for
synthetic noise, ``noise_map``). Image losses (l1, l2, charbonnier, psnr) supervise every stage
of a multi-stage model (HINet) with per-stage weights, default 1 each, as the official code sums
both stages. Losses are computed in float32 whatever precision the forward pass used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.models.output import RestorationOutput
from restorekit.registry import Registry, check_options, parameter_names

LossFn = Callable[[RestorationOutput, Mapping[str, Any]], Tensor]

LOSSES: Registry[Callable[..., LossFn]] = Registry("loss")


def register_loss(name: str) -> Callable[[Callable[..., LossFn]], Callable[..., LossFn]]:
    """Decorator registering a loss builder under ``name`` (once)."""
    return LOSSES.register(name)


def build_loss(name: str, **kwargs: Any) -> LossFn:
    """The loss registered as ``name`` with its options; unknown names/options are user errors."""
    builder = LOSSES.get(name)
    check_options(f"loss '{name}'", kwargs, parameter_names(builder))
    return builder(**kwargs)


# -- functional forms ---------------------------------------------------------------------------


def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error."""
    return F.l1_loss(pred, target)


def l2_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error."""
    return F.mse_loss(pred, target)


def charbonnier_loss(pred: Tensor, target: Tensor, eps: float = 1e-3) -> Tensor:
    """mean(sqrt((pred - target)^2 + eps^2)): a smooth L1."""
    return torch.sqrt((pred - target).square() + eps * eps).mean()


def psnr_loss(pred: Tensor, target: Tensor) -> Tensor:
    """HINet's PSNRLoss at weight 1: mean over the batch of 10·log10(MSE_b + 1e-8), i.e. the
    negative PSNR (data range 1) per image, averaged."""
    mse = (pred - target).square().flatten(1).mean(dim=1)
    return (10.0 / math.log(10.0)) * torch.log(mse + 1e-8).mean()


def asymmetric_error(pred: Tensor, target: Tensor, alpha: float) -> Tensor:
    """Mean of |alpha - 1(pred - target < 0)| · (pred - target)^2 (AINDNet eq. 5, one scale).

    Under-estimating the noise level (pred < target) is weighted 1 - alpha, over-estimating it
    alpha: with alpha = 0.25 under-estimation costs three times as much.
    """
    diff = pred - target
    weight = torch.where(diff < 0, 1.0 - alpha, alpha)
    return (weight * diff.square()).mean()


def ms_asymmetric_loss(
    fine: Tensor,
    coarse: Tensor,
    target: Tensor,
    *,
    alpha: float = 0.25,
    w_fine: float = 0.2,
    w_coarse: float = 0.8,
) -> Tensor:
    """AINDNet's multi-scale asymmetric loss on the estimated noise maps.

    ``target`` is the ground-truth map at full resolution; the coarse ground truth is its
    average pool to the predicted coarse map's size (H/8 x W/8 for AINDNet's estimator).
    Each scale is a mean over pixels and channels (the paper leaves the reduction open).
    """
    if fine.shape[-2:] != target.shape[-2:]:
        raise RestoreKitError(
            f"the estimated noise map is {tuple(fine.shape[-2:])} but the ground-truth map is "
            f"{tuple(target.shape[-2:])}"
        )
    coarse_target = F.adaptive_avg_pool2d(target, coarse.shape[-2:])
    return w_fine * asymmetric_error(fine, target, alpha) + w_coarse * asymmetric_error(
        coarse, coarse_target, alpha
    )


def tv_loss(x: Tensor) -> Tensor:
    """Squared total variation, mean over pixels: mean(dx^2) + mean(dy^2) (CBDNet's form)."""
    return (x[..., :, 1:] - x[..., :, :-1]).square().mean() + (
        x[..., 1:, :] - x[..., :-1, :]
    ).square().mean()


# -- registered losses ----------------------------------------------------------------------------


class ImageLoss:
    """A pixel loss applied to each stage image (``output.stages``) against ``batch["clean"]``."""

    def __init__(
        self, fn: Callable[[Tensor, Tensor], Tensor], stages: Sequence[float] | None
    ) -> None:
        if stages is not None and (
            not stages or not all(isinstance(w, int | float) and w >= 0 for w in stages)
        ):
            raise RestoreKitError(f"stages must be a list of weights >= 0, got {stages!r}")
        self.fn = fn
        self.stages = None if stages is None else [float(w) for w in stages]

    def __call__(self, output: RestorationOutput, batch: Mapping[str, Any]) -> Tensor:
        images = output.stages or [output.image]
        weights = self.stages if self.stages is not None else [1.0] * len(images)
        if len(weights) != len(images):
            raise RestoreKitError(
                f"the loss has {len(weights)} stage weight(s) but the model returns "
                f"{len(images)} stage(s)"
            )
        target = batch["clean"].float()
        return sum(
            w * self.fn(image.float(), target) for w, image in zip(weights, images, strict=True)
        )


@register_loss("l1")
def _l1(stages: Sequence[float] | None = None) -> LossFn:
    return ImageLoss(l1_loss, stages)


@register_loss("l2")
def _l2(stages: Sequence[float] | None = None) -> LossFn:
    return ImageLoss(l2_loss, stages)


@register_loss("charbonnier")
def _charbonnier(eps: float = 1e-3, stages: Sequence[float] | None = None) -> LossFn:
    if not eps > 0:
        raise RestoreKitError(f"charbonnier eps must be > 0, got {eps!r}")
    return ImageLoss(lambda p, t: charbonnier_loss(p, t, eps), stages)


@register_loss("psnr")
def _psnr(stages: Sequence[float] | None = None) -> LossFn:
    return ImageLoss(psnr_loss, stages)


@register_loss("ms_asymmetric")
def _ms_asymmetric(alpha: float = 0.25, w_fine: float = 0.2, w_coarse: float = 0.8) -> LossFn:
    if not 0 <= alpha <= 1:
        raise RestoreKitError(f"ms_asymmetric alpha must be in [0, 1], got {alpha!r}")

    def loss(output: RestorationOutput, batch: Mapping[str, Any]) -> Tensor:
        if output.noise_map_fine is None or output.noise_map_coarse is None:
            raise RestoreKitError("ms_asymmetric needs a model that estimates noise maps (AINDNet)")
        if batch.get("noise_map") is None:
            raise RestoreKitError("ms_asymmetric needs ground-truth noise maps (synthetic noise)")
        return ms_asymmetric_loss(
            output.noise_map_fine.float(),
            output.noise_map_coarse.float(),
            batch["noise_map"].float(),
            alpha=alpha,
            w_fine=w_fine,
            w_coarse=w_coarse,
        )

    return loss


@register_loss("tv")
def _tv(on: Literal["noise_map", "image"] = "noise_map") -> LossFn:
    if on not in ("noise_map", "image"):
        raise RestoreKitError(f"tv 'on' must be noise_map or image, got {on!r}")

    def loss(output: RestorationOutput, batch: Mapping[str, Any]) -> Tensor:
        x = output.noise_map if on == "noise_map" else output.image
        if x is None:
            raise RestoreKitError("tv on noise_map needs a model that estimates noise maps")
        return tv_loss(x.float())

    return loss


class Criterion:
    """The weighted sum of a recipe's loss terms; also returns each term (unweighted) for logs."""

    def __init__(self, terms: Sequence[tuple[str, float, LossFn]]) -> None:
        self.terms = list(terms)

    def __call__(
        self, output: RestorationOutput, batch: Mapping[str, Any]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        values = {name: fn(output, batch) for name, _, fn in self.terms}
        total = sum(weight * values[name] for name, weight, _ in self.terms)
        return total, {name: v.detach() for name, v in values.items()}


def build_criterion(terms: Sequence[Any]) -> Criterion:
    """A ``Criterion`` from ``LossTermConfig``-like items (name, weight, kwargs).

    A name used twice is logged as ``name``, ``name_2``, ...
    """
    built: list[tuple[str, float, LossFn]] = []
    for term in terms:
        label, n = term.name, 1
        while any(label == b[0] for b in built):
            n += 1
            label = f"{term.name}_{n}"
        built.append((label, float(term.weight), build_loss(term.name, **term.kwargs)))
    return Criterion(built)
