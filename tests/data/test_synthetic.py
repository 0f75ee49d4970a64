"""SynthesizeBatch: clean batch + noise model + explicit generator -> noisy/clean/noise_map."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
import torch

from restorekit.data import CleanFolder, SynthesizeBatch, make_loader
from restorekit.errors import RestoreKitError


class _Result(NamedTuple):
    noisy: torch.Tensor
    noise_map: torch.Tensor
    params: dict


def _stand_in(x: torch.Tensor, generator: torch.Generator) -> _Result:
    """AWGN with a per-image sigma: the contract of restorekit.noise models, in a few lines."""
    sigma = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device) * 0.2
    noise = torch.randn(x.shape, generator=generator, device=x.device) * sigma
    return _Result(x + noise, sigma.expand_as(x), {"sigma": sigma.flatten()})


def test_synthesize_batch_with_a_stand_in_model() -> None:
    synth = SynthesizeBatch(_stand_in)
    clean = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    out = synth({"clean": clean, "name": ["a", "b"]}, torch.Generator().manual_seed(1))
    assert set(out) == {"noisy", "clean", "noise_map"}
    assert out["clean"] is clean and out["noisy"].shape == out["noise_map"].shape == clean.shape
    again = synth(clean, torch.Generator().manual_seed(1))
    assert torch.equal(again["noisy"], out["noisy"])
    other = synth(clean, torch.Generator().manual_seed(2))
    assert not torch.equal(other["noisy"], out["noisy"])


def test_synthesize_batch_checks_its_inputs() -> None:
    synth = SynthesizeBatch(_stand_in)
    with pytest.raises(TypeError, match=r"Generator"):
        synth(torch.rand(1, 3, 4, 4), None)
    with pytest.raises(RestoreKitError, match=r"NCHW"):
        synth(torch.rand(3, 4, 4), torch.Generator())
    with pytest.raises(TypeError):
        SynthesizeBatch("awgn")


def test_clean_folder_to_synthetic_pairs(tmp_path: Path, img) -> None:
    for i in range(4):
        img.write_png(tmp_path / f"{i}.png", img.random_pixels(i, 10, 10))
    loader = make_loader(CleanFolder(tmp_path, patch_size=8), 2, True, 0, 0)
    loader.sampler.set_epoch(0)
    batch = next(iter(loader))
    assert set(batch) == {"clean", "name"}
    out = SynthesizeBatch(_stand_in)(batch, torch.Generator().manual_seed(0))
    assert out["noisy"].shape == (2, 3, 8, 8)


def test_synthesize_batch_with_the_real_noise_models() -> None:
    noise = pytest.importorskip("restorekit.noise")
    if not hasattr(noise, "build_noise"):
        pytest.skip("restorekit.noise.build_noise not written yet")
    clean = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    synth = SynthesizeBatch.from_name("awgn", sigma=(0.0, 60 / 255))
    out = synth({"clean": clean}, torch.Generator().manual_seed(0))
    assert out["noisy"].shape == out["noise_map"].shape == clean.shape
    again = synth({"clean": clean}, torch.Generator().manual_seed(0))
    assert torch.equal(again["noisy"], out["noisy"])
