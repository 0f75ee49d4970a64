"""`restorekit models`: the bundled list, one model's details, JSON, bad names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from restorekit.cli.main import main


def test_lists_every_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["name", "network"]
    names = [line.split()[0] for line in lines[1:]]
    assert {"aindnet-real", "gaussian-color", "gaussian-gray"} <= set(names)


def test_details_of_a_file_and_a_name(
    tiny_model_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_model_file("aindnet-xs-gray", "g.safetensors")
    assert main(["models", str(path), "gaussian-gray"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("g:\n")
    assert "network: aindnet-xs-gray" in out
    assert "gaussian-gray.md" in out


def test_json_output(
    tiny_model_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_model_file("aindnet-xs", "t.safetensors")
    assert main(["models", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["name"], info["network"], info["file"]) == ("t", "aindnet-xs", str(path))


def test_unknown_name_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "no-such-model"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("restorekit models: error:")
    assert "no-such-model" in err[0]
