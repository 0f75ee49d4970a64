"""restorekit safetensors checkpoints: metadata, atomic save, bundled-name lookup, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from restorekit.errors import OutputWriteError, RestoreKitError
from restorekit.models import build_model
from restorekit.weights import (
    FORMAT_VERSION,
    MODEL_DIR_ENV,
    bundled_models,
    load_model,
    read_metadata,
    save_model,
)

TINY = {"wf": 4, "depth": 3}


@pytest.fixture
def tiny() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("hinet-0.5x", **TINY)


def test_metadata_holds_full_kwargs_and_extras(tiny: torch.nn.Module, tmp_path: Path) -> None:
    path = save_model(
        tmp_path / "m.safetensors",
        tiny,
        name="hinet-0.5x",
        kwargs=TINY,
        recipe={"loss": "l1"},
        metrics={"psnr": 30.5},
        source="unit test",
    )
    meta = read_metadata(path)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["name"] == "hinet-0.5x"
    assert meta["kwargs"] == {"wf": 4, "depth": 3, "hin_position_left": 0, "hin_position_right": 4}
    assert meta["recipe"] == {"loss": "l1"} and meta["metrics"] == {"psnr": 30.5}
    assert meta["source"] == "unit test"
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_save_refuses_mismatched_kwargs(tiny: torch.nn.Module, tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="wrong-shape"):
        save_model(tmp_path / "m.safetensors", tiny, name="hinet", kwargs={"wf": 8, "depth": 3})
    with pytest.raises(RestoreKitError, match="no option"):
        save_model(tmp_path / "m.safetensors", tiny, name="hinet", kwargs={"width": 4})
    with pytest.raises(RestoreKitError, match="JSON"):
        save_model(tmp_path / "m.safetensors", tiny, name="hinet", kwargs=TINY, recipe={1j})
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(
    tiny: torch.nn.Module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_model(tmp_path / "m.safetensors", tiny, name="hinet", kwargs=TINY)
    before = path.read_bytes()

    real_fdopen = os.fdopen

    def disk_full(fd: int, mode: str) -> object:
        handle = real_fdopen(fd, mode)
        handle.write = lambda data: (_ for _ in ()).throw(OSError(28, "No space left on device"))
        return handle

    monkeypatch.setattr("restorekit.io.paths.os.fdopen", disk_full)
    with pytest.raises(OutputWriteError, match="No space left on device"):
        save_model(path, tiny, name="hinet", kwargs=TINY)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_bundled_name_lookup(
    tiny: torch.nn.Module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_dir, arg_dir = tmp_path / "env", tmp_path / "arg"
    save_model(env_dir / "hinet-tiny.sidd.safetensors", tiny, name="hinet", kwargs=TINY)
    monkeypatch.setenv(MODEL_DIR_ENV, str(env_dir))
    assert "hinet-tiny.sidd" in bundled_models()
    model = load_model("hinet-tiny.sidd")
    assert torch.equal(model.last.weight, tiny.last.weight)
    assert read_metadata("hinet-tiny.sidd")["kwargs"] == TINY

    other = build_model("hinet", **TINY)
    save_model(arg_dir / "hinet-tiny.sidd.safetensors", other, name="hinet", kwargs=TINY)
    first = load_model("hinet-tiny.sidd", search_dirs=[arg_dir])
    assert torch.equal(first.last.weight, other.last.weight)

    monkeypatch.delenv(MODEL_DIR_ENV)
    with pytest.raises(RestoreKitError, match="neither a file nor a bundled model"):
        load_model("hinet-tiny.sidd")


def test_missing_and_wrong_files(tmp_path: Path) -> None:
    with pytest.raises(RestoreKitError, match="no such file"):
        load_model(tmp_path / "absent.safetensors")
    with pytest.raises(RestoreKitError, match="not a file"):
        load_model(tmp_path)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(RestoreKitError, match="not a model file"):
        load_model(tmp_path / "image.png")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(RestoreKitError, match="not a model file"):
        load_model(tmp_path / "empty.pth")
    (tmp_path / "cut.pth").write_bytes(b"PK\x03\x04" + bytes(10))
    with pytest.raises(RestoreKitError, match="not a readable PyTorch checkpoint"):
        load_model(tmp_path / "cut.pth")


def test_foreign_or_newer_safetensors(tmp_path: Path) -> None:
    weights = {"w": torch.zeros(2)}
    save_file(weights, tmp_path / "plain.safetensors")
    with pytest.raises(RestoreKitError, match="without restorekit metadata"):
        load_model(tmp_path / "plain.safetensors")
    future = json.dumps({"format_version": FORMAT_VERSION + 1, "name": "hinet", "kwargs": {}})
    save_file(weights, tmp_path / "future.safetensors", metadata={"restorekit": future})
    with pytest.raises(RestoreKitError, match="format_version"):
        read_metadata(tmp_path / "future.safetensors")
    unknown = json.dumps({"format_version": 1, "name": "no-such-net", "kwargs": {}})
    save_file(weights, tmp_path / "unknown.safetensors", metadata={"restorekit": unknown})
    with pytest.raises(RestoreKitError, match="unknown model 'no-such-net'"):
        load_model(tmp_path / "unknown.safetensors")


def test_architecture_mismatch_names_keys(tiny: torch.nn.Module, tmp_path: Path) -> None:
    state = {k: v.contiguous() for k, v in tiny.state_dict().items()}
    del state["sam12.conv1.bias"]
    header = json.dumps({"format_version": 1, "name": "hinet", "kwargs": TINY})
    save_file(state, tmp_path / "m.safetensors", metadata={"restorekit": header})
    with pytest.raises(RestoreKitError, match=r"missing 1 key\(s\): sam12.conv1.bias"):
        load_model(tmp_path / "m.safetensors")


def test_device_argument(tiny: torch.nn.Module, tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.safetensors", tiny, name="hinet", kwargs=TINY)
    assert next(load_model(path, device=torch.device("cpu")).parameters()).device.type == "cpu"
    with pytest.raises(RestoreKitError, match="invalid device"):
        load_model(path, device="toaster")


def test_header_length_starting_with_pickle_byte_still_loads(
    tiny: torch.nn.Module, tmp_path: Path
) -> None:
    """A safetensors header length whose low byte is 0x80 is not mistaken for a torch pickle."""
    path = tmp_path / "m.safetensors"
    for pad in range(300):
        save_model(path, tiny, name="hinet-0.5x", kwargs=TINY, source="x" * pad)
        if path.read_bytes()[:1] == b"\x80":
            break
    else:
        pytest.fail("no padding produced a header length with low byte 0x80")
    loaded = load_model(path)
    assert torch.equal(loaded.state_dict()["last.weight"], tiny.state_dict()["last.weight"])


@pytest.mark.parametrize("with_ema", [False, True])
def test_training_checkpoint_loads_with_ema_preferred(
    tiny: torch.nn.Module, tmp_path: Path, with_ema: bool
) -> None:
    """``restorekit train``'s step-N.pt files load wherever a model loads (denoise, eval)."""
    ema = {k: v + 1 if v.is_floating_point() else v for k, v in tiny.state_dict().items()}
    payload = {
        "format": 1,
        "step": 250,
        "model": tiny.state_dict(),
        "ema": ema if with_ema else None,
        "config": {"model": {"name": "hinet-0.5x", "kwargs": TINY}, "max_steps": 1000},
    }
    path = tmp_path / "step-00000250.pt"
    torch.save(payload, path)
    model = load_model(path)
    expected = ema if with_ema else tiny.state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    meta = model.checkpoint_metadata
    assert (meta["training_step"], meta["ema"], meta["kwargs"]["wf"]) == (250, with_ema, 4)
    payload["config"] = {"model": {}}
    torch.save(payload, path)
    with pytest.raises(RestoreKitError, match="without a model name"):
        load_model(path)


def test_saved_file_permissions_follow_the_umask(tiny: torch.nn.Module, tmp_path: Path) -> None:
    import os

    mask = os.umask(0o027)
    try:
        path = save_model(tmp_path / "m.safetensors", tiny, name="hinet-0.5x", kwargs=TINY)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_model_write_failures_are_one_line_errors(tmp_path: Path) -> None:
    model, kwargs = build_model("hinet", wf=4, depth=2), {"wf": 4, "depth": 2}
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputWriteError):
        save_model(blocker / "m.safetensors", model, name="hinet", kwargs=kwargs)
    folder = tmp_path / "m.safetensors"
    folder.mkdir()
    with pytest.raises(RestoreKitError, match="folder"):
        save_model(folder, model, name="hinet", kwargs=kwargs)
    path = save_model(
        tmp_path / "ok.safetensors", model, name="hinet", kwargs={"wf": 4, "depth": 2}
    )
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert not list(tmp_path.glob(".*.tmp"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
