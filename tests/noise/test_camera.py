"""CBDNet's camera pipeline: parameters, noise map, statistics, mixed Bayer batches, JPEG."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.noise import (
    CBDNET_BAYER,
    CBDNetCamera,
    CRFBank,
    build_noise,
    cbdnet,
    jpeg_roundtrip,
)


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _identity_bank() -> CRFBank:
    grid = torch.arange(1024, dtype=torch.float32) / 1023
    return CRFBank(grid[None], grid[None], ["linear"], source="test")


def test_output_shapes_params_and_defaults(astronaut: torch.Tensor) -> None:
    x = astronaut.expand(4, 3, 96, 80)
    out = cbdnet(x, generator=_g())
    assert out.noisy.shape == out.noise_map.shape == x.shape
    assert out.noisy.dtype == out.noise_map.dtype == torch.float32
    p = out.params
    assert set(p) == {"crf", "bayer", "sigma_s", "sigma_c"}
    assert p["sigma_s"].shape == p["sigma_c"].shape == (4, 3)
    assert float(p["sigma_s"].max()) <= 0.16 and float(p["sigma_c"].max()) <= 0.06
    assert p["crf"].dtype == p["bayer"].dtype == torch.int64
    assert float(out.noisy.min()) >= 0 and float(out.noisy.max()) <= 1


def test_noise_map_is_sigma_c_plus_irradiance_times_sigma_s(astronaut: torch.Tensor) -> None:
    x = astronaut.expand(2, 3, 96, 80)
    bank = CRFBank.builtin()
    out = cbdnet(x, crf_bank=bank, generator=_g(1))
    p = out.params
    irradiance = bank.icrf(x, p["crf"])
    expected = p["sigma_c"][:, :, None, None] + irradiance * p["sigma_s"][:, :, None, None]
    torch.testing.assert_close(out.noise_map, expected)


@pytest.mark.parametrize("level", [0.2, 0.5, 0.8])
def test_heteroscedastic_statistics_through_the_pipeline(level: float) -> None:
    # linear CRF and no mosaic: what remains is CBDNet's noise (plus 1/1023 LUT steps)
    x = torch.full((1, 3, 256, 256), level)
    sigma_s = torch.tensor([0.1, 0.05, 0.02])
    sigma_c = torch.tensor([0.01, 0.02, 0.03])
    out = cbdnet(x, sigma_s, sigma_c, bayer="none", crf_bank=_identity_bank(), generator=_g(2))
    expected = ((sigma_s * level) ** 2 + sigma_c**2).sqrt()
    measured = (out.noisy - x)[0].flatten(1).std(1)
    torch.testing.assert_close(measured, expected, rtol=0.02, atol=0)


def test_noise_free_pipeline_reproduces_the_input(astronaut: torch.Tensor) -> None:
    # sigma = 0, linear CRF: only the LUT (1/1023) and 16-bit steps and the demosaic remain
    flat = torch.full((1, 3, 16, 16), 0.5)
    for bayer in CBDNET_BAYER:
        out = cbdnet(flat, 0.0, 0.0, bayer=bayer, crf_bank=_identity_bank(), generator=_g())
        torch.testing.assert_close(out.noisy, flat, atol=1e-3, rtol=0)
    out = cbdnet(astronaut, 0.0, 0.0, bayer="rggb", crf=3, generator=_g())
    assert float((out.noisy - astronaut).abs().mean()) < 0.02  # demosaic error only


def test_mixed_bayer_batch_equals_images_run_alone(astronaut: torch.Tensor) -> None:
    x = torch.cat([astronaut, astronaut.flip(-1), astronaut.flip(-2), astronaut * 0.5, astronaut])
    bayer = torch.arange(5)
    crf = torch.tensor([0, 3, 7, 11, 20])
    batch = cbdnet(x, 0.0, 0.0, crf=crf, bayer=bayer, generator=_g())
    assert batch.params["bayer"].tolist() == [0, 1, 2, 3, 4]
    for i in range(5):
        alone = cbdnet(x[i : i + 1], 0.0, 0.0, crf=crf[i : i + 1], bayer=bayer[i : i + 1])
        assert torch.equal(batch.noisy[i], alone.noisy[0]), CBDNET_BAYER[i]


def test_seed_contract_and_sample_apply_split(astronaut: torch.Tensor) -> None:
    model = build_noise("cbdnet")
    x = astronaut.expand(3, 3, 96, 80)
    first, again, other = model(x, _g(5)), model(x, _g(5)), model(x, _g(6))
    assert torch.equal(first.noisy, again.noisy)
    assert not torch.equal(first.noisy, other.noisy)
    g = _g(5)
    params = model.sample(3, generator=g)
    assert torch.equal(model.apply(x, params, generator=g).noisy, first.noisy)


def test_fixed_arguments_and_model_config() -> None:
    x = torch.rand(2, 3, 8, 8)
    out = cbdnet(x, sigma_s=0.1, sigma_c=(0.01, 0.02), crf=[4, 5], bayer="bggr", generator=_g())
    assert torch.equal(out.params["sigma_s"], torch.full((2, 3), 0.1))
    assert set(out.params["crf"].tolist()) <= {4, 5}
    assert out.params["bayer"].tolist() == [2, 2]
    model = CBDNetCamera(jpeg=(70, 90), bayer=["rggb", "none"])
    again = build_noise("cbdnet", **model.config())
    assert again.config() == model.config()
    assert "Demosaic(bits=16)" in repr(model) and "JPEG" in repr(model)
    described = model.describe(model.sample(1, generator=_g()), 0)
    assert described["bayer"] in ("rggb", "none") and 70 <= described["jpeg_quality"] <= 90
    assert isinstance(described["crf_name"], str)


def test_user_errors() -> None:
    with pytest.raises(RestoreKitError, match="3 channel"):
        cbdnet(torch.rand(1, 1, 8, 8))
    with pytest.raises(RestoreKitError, match="Bayer"):
        cbdnet(torch.rand(1, 3, 8, 8), bayer="rgbg")
    with pytest.raises(RestoreKitError, match="crf"):
        cbdnet(torch.rand(1, 3, 8, 8), crf=torch.tensor([10_000]))
    with pytest.raises(RestoreKitError, match="jpeg"):
        build_noise("cbdnet", jpeg=[50, 120])


def test_jpeg_quality_is_honoured(astronaut: torch.Tensor) -> None:
    x = astronaut.expand(3, 3, 96, 80)
    plain = CBDNetCamera(bayer="rggb")
    compressed = CBDNetCamera(bayer="rggb", jpeg=(60, 100))
    params = compressed.sample(3, generator=_g(9))
    quality = params["jpeg_quality"]
    assert bool(((quality >= 60) & (quality <= 100)).all())
    out = compressed.apply(x, params, generator=_g(1))
    ref = plain.apply(x, {k: v for k, v in params.items() if k != "jpeg_quality"}, generator=_g(1))
    torch.testing.assert_close(out.noisy, jpeg_roundtrip(ref.noisy, quality), rtol=0, atol=0)
    torch.testing.assert_close(out.noise_map, ref.noise_map)
    fixed = cbdnet(x, bayer="rggb", jpeg=torch.tensor([10, 50, 95]), generator=_g())
    assert fixed.params["jpeg_quality"].tolist() == [10, 50, 95]


def test_dorf_bank_from_a_path(astronaut: torch.Tensor, dorf_dir: Path) -> None:
    out = cbdnet(astronaut, crf_bank=dorf_dir, generator=_g())
    assert 0 <= int(out.params["crf"]) < 201
    model = build_noise("cbdnet", crf_bank=str(dorf_dir))
    assert model.describe(out.params, 0)["crf_name"].startswith("dorf-")


def test_cbdnet_takes_per_channel_ranges():
    ranges = [[0.01, 0.02], [0.05, 0.06], [0.1, 0.11]]
    model = CBDNetCamera(sigma_s=ranges, sigma_c=0.01, bayer="rggb")
    assert model.config()["sigma_s"] == ranges
    assert model.config()["sigma_c"] == [0.01, 0.01]
    params = model.sample(64, generator=torch.Generator().manual_seed(0), device="cpu")
    sigma_s = params["sigma_s"]
    for c, (low, high) in enumerate(ranges):
        assert bool(((sigma_s[:, c] >= low) & (sigma_s[:, c] <= high)).all())
    assert bool((params["sigma_c"] == 0.01).all())
    with pytest.raises(RestoreKitError, match="per-channel ranges"):
        CBDNetCamera(sigma_s=[[0.0, 0.1], [0.0, 0.1]])
