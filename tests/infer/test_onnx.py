"""ONNX export of a tiny model of every registered family, run in onnxruntime vs PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.infer.onnx import export_onnx
from restorekit.models import build_model

ort = pytest.importorskip("onnxruntime")

TINY = {"hinet": {"wf": 4, "depth": 3}, "aindnet": {"width": 4, "estimator_width": 4}}


def _run(path: Path, x: torch.Tensor) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.numpy()})


@pytest.mark.parametrize("family", sorted(TINY))
def test_dynamic_export_matches_pytorch(tmp_path: Path, family: str) -> None:
    torch.manual_seed(0)
    model = build_model(family, **TINY[family]).eval()
    result = export_onnx(model, tmp_path / "m.onnx")
    assert result.dynamic and result.max_error is not None and result.max_error <= 1e-4
    x = torch.rand(2, 3, 48, 64)  # another batch and size than traced (a multiple of 16)
    with torch.no_grad():
        out = model(x)
    got = _run(result.path, x)
    expected = [out.image] + ([out.noise_map] if out.noise_map is not None else [])
    assert list(result.outputs) == ["image", "noise_map"][: len(expected)]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=1e-4)


def test_static_export_and_bad_name(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model("hinet", **TINY["hinet"]).eval()
    result = export_onnx(model, tmp_path / "s.onnx", dynamic=False, size=(20, 28))
    assert not result.dynamic and result.size == (20, 28)
    x = torch.rand(1, 3, 20, 28)
    with torch.no_grad():
        np.testing.assert_allclose(_run(result.path, x)[0], model(x).image.numpy(), atol=1e-4)
    with pytest.raises(RestoreKitError):
        export_onnx(model, tmp_path / "s.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.onnx"]
