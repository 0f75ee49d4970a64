"""`restorekit info`: text and JSON output, EXIF orientation, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def test_text_output_for_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.fromarray(np.zeros((3, 4, 2), np.uint8)).save(tmp_path / "la.png")
    Image.fromarray(np.zeros((5, 6, 3), np.uint8)).quantize(4).save(tmp_path / "p.png")
    jpg = FIXTURES / "orientation6.jpg"
    assert main(["info", str(jpg), str(tmp_path / "la.png"), str(tmp_path / "p.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{jpg}: JPEG, 6x8, RGB, 8-bit, EXIF orientation 6 applied (rotated 90 degrees clockwise)",
        f"{tmp_path / 'la.png'}: PNG, 4x3, gray + alpha, 8-bit, no EXIF rotation",
        f"{tmp_path / 'p.png'}: PNG, 6x5, RGB (from palette), 8-bit, no EXIF rotation",
    ]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", str(FIXTURES / "rgba16.png")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "path": str(FIXTURES / "rgba16.png"),
        "format": "PNG",
        "width": 5,
        "height": 4,
        "channels": "RGB",
        "alpha": True,
        "bit_depth": 16,
        "source_mode": "RGBA;16",
        "exif_orientation": 1,
        "orientation_applied": "none",
        "icc_profile": False,
        "camera": None,
    }


def test_good_files_are_described_even_when_one_is_bad(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["info", str(FIXTURES / "empty.png"), str(FIXTURES / "one_pixel.png")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.startswith(f"{FIXTURES / 'one_pixel.png'}: PNG, 1x1")
    assert captured.err.startswith("restorekit info: error: ")


def test_system_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from restorekit.runtime import native_bf16

    assert main(["--threads", "1", "info", "--system"]) == 0
    info = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert list(info) == [
        "cpu",
        "cpu capability",
        "native bf16",
        "torch",
        "threads",
        "openmp wait policy",
        "device",
        "auto precision",
    ]
    assert info["native bf16"].startswith("yes (" if native_bf16() else "no")
    assert info["threads"].startswith("1 (--threads)")
    assert info["auto precision"].split()[0] in ("fp32", "bf16", "fp16")


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 2
    assert capsys.readouterr().err == "restorekit info: error: give FILE... or --system\n"


def _profiled_photo(tmp_path: Path) -> tuple[Path, Path]:
    """A JPEG from a "NIKON D800" at ISO 2400 and a tiny profile file in darktable's format."""
    profile = {"name": "", "a": [2e-5, 1e-5, 3e-5], "b": [1e-7, 1e-7, 2e-7]}
    data = {
        "version": 0,
        "noiseprofiles": [
            {
                "maker": "Nikon",
                "models": [
                    {
                        "comment": "",
                        "model": "D800",
                        "profiles": [
                            {**profile, "iso": 1600},
                            {**profile, "iso": 3200, "a": [4e-5, 3e-5, 5e-5]},
                        ],
                    }
                ],
            }
        ],
    }
    profiles = tmp_path / "noiseprofiles.json"
    profiles.write_text(json.dumps(data))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D800"
    exif.get_ifd(0x8769)[0x8827] = 2400
    exif[0x8769] = 0
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (6, 4)).save(photo, exif=exif)
    return photo, profiles


def test_camera_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo, profiles = _profiled_photo(tmp_path)
    assert main(["info", str(photo), "--profiles", str(profiles)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{photo}: JPEG, 6x4, RGB, 8-bit, no EXIF rotation, make NIKON CORPORATION, "
        "model NIKON D800, ISO 2400",
        "  darktable noise profile: Nikon D800, ISO 2400 (interpolated between ISO 1600 and "
        "3200): a = R 3e-05 G 2e-05 B 4e-05; b = R 1e-07 G 1e-07 B 2e-07",
    ]
    assert (
        main(["info", "--json", "--camera-profile", "--profiles", str(profiles), str(photo)]) == 0
    )
    info = json.loads(capsys.readouterr().out)
    assert info["camera"]["iso"] == 2400
    assert info["noise_profile"]["between"] == [1600, 3200]
    assert info["noise_profile"]["a"] == pytest.approx([3e-5, 2e-5, 4e-5])


def test_camera_profile_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo, profiles = _profiled_photo(tmp_path)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    assert main(["info", "--camera-profile", "--profiles", str(profiles), str(plain)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{plain}: PNG")
    assert captured.err == (
        f"restorekit info: error: {plain}: no EXIF make, model, ISO: "
        "cannot pick a camera noise profile\n"
    )
    assert main(["info", "--profiles", str(tmp_path / "none.json"), str(photo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restorekit info: error: ") and err.count("\n") == 1
