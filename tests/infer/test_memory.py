"""Memory: available memory, the per-pixel probe, and the automatic tile rule."""

from __future__ import annotations

import torch

from restorekit.infer import memory
from restorekit.infer.memory import (
    MemoryModel,
    auto_tile,
    available_memory,
    cap_tile,
    estimate_memory,
    memory_budget,
)


def test_available_memory_is_positive_and_budget_capped_on_cpu() -> None:
    assert available_memory("cpu") > 0
    assert 0 < memory_budget("cpu") <= memory.CPU_BUDGET_CAP
    assert memory_budget("cpu", max_memory=123) == 123


def test_meminfo_and_cgroup_parsing(tmp_path) -> None:
    info = tmp_path / "meminfo"
    info.write_text("MemTotal: 100 kB\nMemAvailable:   2048 kB\n")
    assert memory._meminfo_available(info) == 2048 * 1024
    assert memory._meminfo_available(tmp_path / "missing") is None
    (tmp_path / "memory.max").write_text("1000000\n")
    (tmp_path / "memory.current").write_text("400000\n")
    assert memory._cgroup_available(tmp_path) == 600000
    (tmp_path / "memory.max").write_text("max\n")
    assert memory._cgroup_available(tmp_path) is None


def test_peak_counts_live_module_outputs() -> None:
    class Chain(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.nn.Identity()
            self.b = torch.nn.Conv2d(1, 2, 1)
            self.c = torch.nn.Conv2d(2, 1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c(self.b(x * 2))

    x = torch.zeros(1, 1, 10, 100)
    with torch.inference_mode():
        peak = memory.peak_memory(Chain(), x)
    # b (8000 bytes) and c (4000) alive together at most; doubled for unseen intermediates
    assert peak == memory.HOOK_FACTOR * (8000 + 4000)
    plain = memory.peak_memory(lambda t: t, x)
    assert plain == memory.DEFAULT_PER_PIXEL * 1000


def test_estimate_scales_with_pixels(stats_denoiser) -> None:
    with torch.inference_mode():
        est = estimate_memory(stats_denoiser, 3, probe=32)
    # the model keeps a few 3-channel float32 maps alive at once
    assert 3 * 4 * 2 <= est.per_pixel <= 3 * 4 * 12


def test_auto_tile_rule() -> None:
    mem = MemoryModel(fixed=0, per_pixel=1000.0)
    assert auto_tile(mem, (1, 3, 100, 100), budget=10**8) is None  # fits whole
    tile = auto_tile(mem, (1, 3, 4000, 3000), budget=10**9, overlap=32, size_multiple=16)
    assert tile is not None and tile[0] == tile[1] and tile[0] % 16 == 0
    assert tile[0] * tile[1] * 1000 + 4 * 7 * 12e6 <= 10**9
    assert auto_tile(mem, (1, 3, 4000, 3000), budget=10**6, overlap=32) == (128, 128)  # floor
    strip = auto_tile(mem, (1, 3, 200, 30000), budget=10**9, overlap=32)
    assert strip is not None and strip[0] == 200 and strip[1] < 30000


def test_cap_tile_limits_each_side_and_keeps_whole_when_covered() -> None:
    assert cap_tile(None, (512, 384), None) is None
    assert cap_tile(None, (512, 384), 128) == (128, 128)
    assert cap_tile((600, 40), (1000, 40), 128) == (128, 40)
    assert cap_tile(None, (100, 120), 128) is None  # the whole image is within the cap
    assert cap_tile((64, 64), (512, 512), 128) == (64, 64)  # memory asked for less
