"""Learning-rate schedules: pure functions of the step, cosine/step/warm-up shapes."""

from __future__ import annotations

import itertools

import pytest
import torch

from restorekit.train.config import ScheduleConfig
from restorekit.train.schedule import lr_at


def test_cosine_matches_torch_cosine_annealing():
    cfg = ScheduleConfig("cosine", eta_min=1e-6)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=1e-6)
    for step in range(100):
        assert lr_at(step, 2e-4, cfg, 100) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        sched.step()
    assert lr_at(100, 2e-4, cfg, 100) == pytest.approx(1e-6)
    assert lr_at(500, 2e-4, cfg, 100) == pytest.approx(1e-6)  # stays at eta_min


def test_total_steps_decouples_from_max_steps():
    cfg = ScheduleConfig("cosine", total_steps=400_000, eta_min=1e-7)
    assert lr_at(200_000, 2e-4, cfg, 10) == pytest.approx((2e-4 + 1e-7) / 2)


def test_warmup_is_a_linear_ramp_on_top_of_the_decay():
    cfg = ScheduleConfig("cosine", warmup_steps=10, eta_min=0.0)
    lrs = [lr_at(s, 1.0, cfg, 1000) for s in range(12)]
    assert lrs[0] == pytest.approx(0.1 * lr_at(0, 1.0, ScheduleConfig("cosine"), 1000))
    assert lrs[9] == pytest.approx(lr_at(9, 1.0, ScheduleConfig("cosine"), 1000))
    assert all(a < b for a, b in itertools.pairwise(lrs[:10]))


def test_step_schedule_and_constant():
    cfg = ScheduleConfig("step", milestones=(10, 20), gamma=0.5)
    assert [lr_at(s, 1.0, cfg, 30) for s in (0, 9, 10, 19, 20, 29)] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert lr_at(123, 3e-4, ScheduleConfig("constant"), 10) == 3e-4


def test_pure_function_of_step():
    cfg = ScheduleConfig("cosine", warmup_steps=5, eta_min=1e-6)
    first = [lr_at(s, 2e-4, cfg, 50) for s in range(50)]
    again = [lr_at(s, 2e-4, cfg, 50) for s in reversed(range(50))][::-1]
    assert first == again
