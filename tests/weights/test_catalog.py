"""`model_summary` / `list_model_summaries`: read from headers, cards found, bad files refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from restorekit.errors import RestoreKitError
from restorekit.models import build_model
from restorekit.weights import save_model
from restorekit.weights.catalog import list_model_summaries, model_summary


def test_summary_counts_parameters_from_the_header(tiny_model_file: Callable[..., Path]) -> None:
    path = tiny_model_file("aindnet-xs", "tiny.safetensors")
    s = model_summary(path)
    expected = sum(p.numel() for p in build_model("aindnet-xs").parameters())
    assert (s["name"], s["network"], s["parameters"]) == ("tiny", "aindnet-xs", expected)
    assert s["size_bytes"] == path.stat().st_size
    assert (s["card"], s["training_steps"]) == (None, None)


def test_card_and_steps_from_the_metadata(tmp_path: Path) -> None:
    model = build_model("aindnet-xs")
    phases = {"sn": {"steps": 30}, "tf": {"steps": 12}, "hardware": "cpu"}
    save_model(
        tmp_path / "b.safetensors",
        model,
        name="aindnet-xs",
        kwargs={},
        training=phases,
        source="model card: a.md",
    )
    c_file = tmp_path / "c.safetensors"
    save_model(c_file, model, name="aindnet-xs", kwargs={}, training={"steps": 7})
    (tmp_path / "a.md").write_text("# card\n")
    (tmp_path / "c.md").write_text("# card\n")
    by_name = {s["name"]: s for s in list_model_summaries([tmp_path])}
    assert by_name["b"]["card"] == str(tmp_path / "a.md")
    assert by_name["b"]["training_steps"] == 42
    assert (by_name["c"]["card"], by_name["c"]["training_steps"]) == (str(tmp_path / "c.md"), 7)


def test_every_bundled_model_has_a_card() -> None:
    summaries = list_model_summaries()
    assert {"aindnet-real", "aindnet-sn", "gaussian-color", "gaussian-gray"} <= {
        s["name"] for s in summaries
    }
    assert all(s["card"] and s["training_steps"] for s in summaries)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RestoreKitError, match=r"bad\.safetensors"):
        model_summary(bad)
