"""The trainer checks its precision as inference does: one warning line for emulated bf16."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from restorekit.infer import precision
from restorekit.train.config import load_config
from restorekit.train.distributed import DistEnv
from restorekit.train.trainer import _setup

CI = Path(__file__).resolve().parents[2] / "configs" / "ci"


@pytest.mark.parametrize("has_bf16", [False, True])
def test_bf16_training_warns_only_without_native_bf16(
    has_bf16: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(precision, "native_bf16", lambda: has_bf16)
    precision.warn_emulated_bf16.cache_clear()
    cfg = load_config(CI / "hinet_sidd.yaml", ["precision=bf16"])
    threads = torch.get_num_threads()
    try:
        with caplog.at_level(logging.WARNING, logger="restorekit"):
            _setup(cfg, DistEnv(rank=0, local_rank=0, world_size=1, device=torch.device("cpu")))
    finally:
        torch.set_num_threads(threads)
        precision.warn_emulated_bf16.cache_clear()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ([] if has_bf16 else [precision.EMULATED_BF16])
