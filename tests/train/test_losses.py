"""Losses: values, HINet's PSNR loss, AINDNet's asymmetric direction and coarse pooling."""

from __future__ import annotations

import math

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.models import RestorationOutput, build_model
from restorekit.train.config import LossTermConfig
from restorekit.train.losses import (
    LOSSES,
    asymmetric_error,
    build_criterion,
    build_loss,
    ms_asymmetric_loss,
    psnr_loss,
    register_loss,
    tv_loss,
)


def _out(image, **kw):
    return RestorationOutput(image=image, stages=kw.pop("stages", [image]), **kw)


def test_registry_names_and_errors():
    assert {"l1", "l2", "charbonnier", "psnr", "ms_asymmetric", "tv"} <= set(LOSSES)
    with pytest.raises(RestoreKitError, match="unknown loss 'l3'"):
        build_loss("l3")
    with pytest.raises(RestoreKitError, match="no option"):
        build_loss("l1", alpha=1)
    with pytest.raises(ValueError, match="already registered"):
        register_loss("l1")(lambda: None)


def test_pixel_losses_values():
    pred, target = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)
    batch = {"clean": target}
    assert build_loss("l1")(_out(pred), batch).item() == pytest.approx(0.5)
    assert build_loss("l2")(_out(pred), batch).item() == pytest.approx(0.25)
    expected = math.sqrt(0.25 + 1e-6)
    assert build_loss("charbonnier")(_out(pred), batch).item() == pytest.approx(expected)


def test_psnr_loss_is_minus_psnr_per_image_averaged():
    torch.manual_seed(0)
    target = torch.rand(3, 3, 8, 8)
    pred = target + 0.1 * torch.randn_like(target) * torch.tensor([1.0, 0.5, 0.2]).view(3, 1, 1, 1)
    mse = ((pred - target) ** 2).flatten(1).mean(1)
    expected = (10 * torch.log10(mse + 1e-8)).mean()
    assert psnr_loss(pred, target).item() == pytest.approx(expected.item(), rel=1e-6)
    # the HINet recipes weight it 0.5 per stage: the total is the stages' mean -PSNR
    crit = build_criterion([LossTermConfig("psnr", 0.5)])
    total, _ = crit(_out(pred, stages=[pred, pred]), {"clean": target})
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)


def test_stage_weights_sum_over_stages():
    target = torch.zeros(1, 3, 4, 4)
    s1, s2 = torch.full_like(target, 1.0), torch.full_like(target, 2.0)
    out = _out(s2, stages=[s1, s2])
    assert build_loss("l1")(out, {"clean": target}).item() == pytest.approx(3.0)
    assert build_loss("l1", stages=[0.5, 1.0])(out, {"clean": target}).item() == pytest.approx(2.5)
    with pytest.raises(RestoreKitError, match="stage"):
        build_loss("l1", stages=[1.0])(out, {"clean": target})


def test_asymmetric_penalises_under_estimation_three_times():
    target = torch.full((1, 3, 8, 8), 0.1)
    under = asymmetric_error(target - 0.05, target, alpha=0.25)
    over = asymmetric_error(target + 0.05, target, alpha=0.25)
    assert under.item() == pytest.approx(0.75 * 0.05**2)
    assert over.item() == pytest.approx(0.25 * 0.05**2)
    assert under.item() == pytest.approx(3 * over.item())


def test_ms_asymmetric_pools_gt_to_the_coarse_shape():
    target = torch.zeros(1, 1, 16, 24)
    target[..., :8, :8] = 0.4  # one 8x8 block -> one coarse cell of mean 0.4
    fine = target.expand(1, 3, 16, 24).clone()
    coarse = torch.zeros(1, 3, 2, 3)
    coarse[..., 0, 0] = 0.4
    assert ms_asymmetric_loss(fine, coarse, target).item() == pytest.approx(0.0, abs=1e-12)
    coarse[..., 0, 0] = 0.3  # under-estimated by 0.1 in 1 of 6 cells
    expected = 0.8 * 0.75 * 0.01 / 6
    assert ms_asymmetric_loss(fine, coarse, target).item() == pytest.approx(expected, rel=1e-5)


def test_ms_asymmetric_on_aindnet_output_and_gradient_direction():
    torch.manual_seed(0)
    model = build_model("aindnet", width=4, estimator_width=4)
    x = torch.rand(2, 3, 32, 32)
    out = model(x)
    assert out.noise_map_coarse.shape[-2:] == (4, 4)
    gt = torch.full((2, 3, 32, 32), 0.2)
    loss = build_loss("ms_asymmetric")(out, {"noise_map": gt})
    assert loss.ndim == 0 and loss.item() > 0
    # an under-estimate pushes the prediction up, with the larger (1 - alpha) weight
    pred = torch.tensor([0.1, 0.3], requires_grad=True)
    asymmetric_error(pred, torch.tensor([0.2, 0.2]), alpha=0.25).backward()
    assert pred.grad[0] < 0 < pred.grad[1]
    assert -pred.grad[0] == pytest.approx(3 * pred.grad[1])


def test_ms_asymmetric_needs_maps():
    out = _out(torch.zeros(1, 3, 8, 8))
    with pytest.raises(RestoreKitError, match="estimates noise maps"):
        build_loss("ms_asymmetric")(out, {"noise_map": torch.zeros(1, 3, 8, 8)})


def test_tv():
    assert tv_loss(torch.ones(1, 1, 5, 5)).item() == 0
    ramp = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 5, 5)
    assert tv_loss(ramp).item() == pytest.approx(1.0)
    out = _out(torch.zeros(1, 3, 5, 5), noise_map=ramp)
    assert build_loss("tv")(out, {}).item() == pytest.approx(1.0)


def test_criterion_weights_and_labels():
    target = torch.zeros(1, 3, 4, 4)
    out = _out(torch.full_like(target, 0.5))
    crit = build_criterion(
        [LossTermConfig("l1", 1.0), LossTermConfig("l2", 2.0), LossTermConfig("l1", 0.5)]
    )
    total, terms = crit(out, {"clean": target})
    assert list(terms) == ["l1", "l2", "l1_2"]
    assert total.item() == pytest.approx(0.5 + 2 * 0.25 + 0.25)
