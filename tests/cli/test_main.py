"""The CLI skeleton: help, version, sub-commands, and the user-error convention."""

from __future__ import annotations

import subprocess
import sys

import pytest

from restorekit import __version__
from restorekit.cli.main import COMMANDS, build_parser, flag_names, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"restorekit {__version__}"


def test_help_lists_every_subcommand() -> None:
    text = build_parser().format_help()
    for name in ("denoise", "train", "eval", "synth", "export"):
        assert name in COMMANDS
        assert name in text


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: restorekit" in capsys.readouterr().out


def test_console_entry_point_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "restorekit", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "denoise" in proc.stdout


def test_library_parameter_names_are_shown_as_options() -> None:
    args = build_parser().parse_args(["adapt", "d", "-o", "m.safetensors"])
    text = "patch_size 9 too big; lower max_steps or data.batch_size; see my_patch_size.png"
    assert flag_names(text, args) == (
        "--patch-size 9 too big; lower --max-steps or data.batch_size; see my_patch_size.png"
    )


def test_named_library_parameters_are_shown_as_their_options(tmp_path, capsys) -> None:
    args = build_parser().parse_args(["eval", "--protocol", "gaussian", "--out", "o"])
    text = "protocol gaussian needs sigmas; inputs: bad; limit must be >= 1; split_file"
    shown = flag_names(text, args, ("protocol", "sigmas", "inputs", "limit"))
    assert (
        shown
        == "--protocol gaussian needs --sigma; --input: bad; --limit must be >= 1; --split-file"
    )
    assert main(["eval", "--protocol", "pairs", "--out", str(tmp_path / "o")]) == 2
    assert "error: --protocol pairs needs --dataset" in capsys.readouterr().err
