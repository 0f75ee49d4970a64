"""`restorekit adapt`: adapts a tiny base on tiny pairs, the result denoises, errors are short."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli.main import build_parser, main
from restorekit.weights import read_metadata


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """Four 40x40 8-bit pairs with white noise of std 0.05."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:40] / 40
    for i in range(4):
        clean = 0.5 + 0.3 * np.stack([np.sin(2 * xx + 3 * yy + k + i) for k in range(3)], -1)
        noisy = np.clip(clean + 0.05 * rng.standard_normal(clean.shape), 0, 1)
        for role, image in (("gt", clean), ("noisy", noisy)):
            (tmp_path / "pairs" / role).mkdir(parents=True, exist_ok=True)
            data = np.round(image * 255).astype(np.uint8)
            Image.fromarray(data).save(tmp_path / "pairs" / role / f"{i}.png")
    return tmp_path / "pairs"


@pytest.fixture
def base(tiny_model_file) -> Path:
    return tiny_model_file("aindnet", "base.safetensors", width=4, estimator_width=4)


def test_parser_defaults():
    args = build_parser().parse_args(["adapt", "dir", "-o", "cam.safetensors"])
    assert (args.base, args.minutes, args.max_steps, args.trainable) == (
        "aindnet-real",
        10.0,
        None,
        "transfer",
    )


def test_adapt_then_denoise_with_the_result(pairs, base, tmp_path, capsys):
    out = tmp_path / "mycam.safetensors"
    argv = ["adapt", str(pairs), "-o", str(out), "--base", str(base), "--minutes", "0"]
    argv += ["--max-steps", "2", "--eval-every", "1", "--batch-size", "2", "--patch-size", "32"]
    assert main([*argv, "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "held-out PSNR" in text and f"wrote {out}" in text
    record = read_metadata(out)["adapt"]
    assert record["steps"] == 2 and record["pairs"] == ["0.png", "1.png", "3.png"]
    photo = pairs / "noisy" / "0.png"
    assert main(["denoise", str(photo), "-o", str(tmp_path / "clean.png"), "-m", str(out)]) == 0
    assert (tmp_path / "clean.png").is_file()


def test_user_errors_are_one_line(pairs, tmp_path, capsys, tiny_model_file):
    out = str(tmp_path / "x.safetensors")
    assert main(["adapt", str(tmp_path / "nowhere"), "-o", out, "--base", "x.safetensors"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("restorekit adapt: error: ") and len(err.splitlines()) == 1
    hinet = tiny_model_file("hinet", "h.safetensors", wf=4, depth=2)
    assert main(["adapt", str(pairs), "-o", out, "--base", str(hinet), "--max-steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--trainable all" in err and len(err.splitlines()) == 1
    assert main(["adapt", str(pairs), "-o", out, "--base", str(hinet), "--minutes", "0"]) == 2
    assert "--max-steps" in capsys.readouterr().err
    assert not Path(out).exists()
