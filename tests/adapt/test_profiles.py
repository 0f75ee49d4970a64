"""darktable noise profiles: a tiny file in darktable's format written here (never the real one)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from restorekit.adapt import profiles as profiles_module
from restorekit.adapt.profiles import NoiseProfiles, find_profiles_file
from restorekit.errors import RestoreKitError


def _p(iso: int, a: float, b: float, **extra: Any) -> dict[str, Any]:
    return {"name": f"iso {iso}", "iso": iso, "a": [a, 2 * a, 3 * a], "b": [b, b, -b], **extra}


TINY = {
    "version": 0,
    "noiseprofiles": [
        {
            "maker": "Nikon",
            "models": [
                {
                    "comment": "",
                    "model": "D800",
                    "profiles": [
                        _p(3200, 4e-5, 3e-7),
                        _p(100, 1e-6, 1e-8),
                        _p(1600, 2e-5, 1e-7),
                        _p(1600, 4e-5, 3e-7),  # a second profile at one ISO: averaged
                        _p(6400, 9.0, 9.0, skip=True),
                    ],
                },
                {"comment": "", "model": "D810", "profiles": [_p(100, 1e-6, 1e-8)]},
            ],
        },
        {
            "maker": "Olympus",
            "models": [{"comment": "", "model": "E-M5 Mark II", "profiles": [_p(200, 1e-6, 0)]}],
        },
        {
            "maker": "Pentax",
            "models": [{"comment": "", "model": "K-70", "profiles": [_p(100, 1e-6, 0)]}],
        },
        {
            "maker": "Ricoh",
            "models": [{"comment": "", "model": "GR III", "profiles": [_p(100, 1e-6, 0)]}],
        },
        {
            "maker": "OM System",
            "models": [{"comment": "", "model": "OM-1", "profiles": [_p(200, 1e-6, 0)]}],
        },
        {
            "maker": "OnePlus",
            "models": [{"comment": "", "model": "ONEPLUS A6003", "profiles": [_p(100, 1e-6, 0)]}],
        },
        {
            "maker": "Sony",
            "models": [
                {"comment": "", "model": "ILCE-7M3", "profiles": [_p(100, 1e-6, 0, skip=True)]},
                {"comment": "", "model": "NEX-5", "profiles": [{"iso": 100, "a": [1], "b": []}]},
            ],
        },
    ],
}


@pytest.fixture
def db(tmp_path: Path) -> NoiseProfiles:
    path = tmp_path / "noiseprofiles.json"
    path.write_text(json.dumps(TINY))
    return NoiseProfiles.load(path)


@pytest.mark.parametrize(
    ("make", "model", "camera"),
    [
        ("NIKON CORPORATION", "NIKON D800", "Nikon D800"),
        ("Nikon", "D810", "Nikon D810"),
        ("", "nikon d800", "Nikon D800"),  # a camera given by name
        ("", "D810", "Nikon D810"),
        ("OLYMPUS IMAGING CORP.", "E-M5MarkII", "Olympus E-M5 Mark II"),
        ("RICOH IMAGING COMPANY, LTD.", "PENTAX K-70", "Pentax K-70"),
        ("RICOH IMAGING COMPANY, LTD.", "RICOH GR III", "Ricoh GR III"),
        ("OM Digital Solutions", "OM-1", "OM System OM-1"),
        ("OnePlus", "ONEPLUS A6003", "OnePlus ONEPLUS A6003"),
    ],
)
def test_maker_and_model_matching(db: NoiseProfiles, make: str, model: str, camera: str) -> None:
    found = db.find(make, model)
    assert f"{found.maker} {found.model}" == camera


def test_interpolation_skip_and_duplicates(db: NoiseProfiles) -> None:
    d800 = db.find("NIKON CORPORATION", "NIKON D800")
    assert d800.isos == (100, 1600, 3200)  # the skipped ISO 6400 is gone
    assert d800.a[1] == pytest.approx((3e-5, 6e-5, 9e-5))  # ISO 1600's two profiles averaged
    measured = d800.at_iso(3200)
    assert measured.between == (3200, 3200)
    assert measured.a == pytest.approx((4e-5, 8e-5, 12e-5))
    assert measured.b == pytest.approx((3e-7, 3e-7, -3e-7))
    mid = d800.at_iso(2400)  # halfway between 1600 and 3200
    assert mid.between == (1600, 3200)
    assert mid.a == pytest.approx((3.5e-5, 7e-5, 10.5e-5))
    assert mid.b == pytest.approx((2.5e-7, 2.5e-7, -2.5e-7))
    assert "interpolated between ISO 1600 and 3200" in mid.describe()
    assert d800.at_iso(100).a == pytest.approx((1e-6, 2e-6, 3e-6))


def test_iso_out_of_range_names_the_range(db: NoiseProfiles) -> None:
    with pytest.raises(
        RestoreKitError, match=r"ISO 6400 is outside .* Nikon D800 \(ISO 100-3200\)"
    ):
        db.lookup("NIKON CORPORATION", "NIKON D800", 6400)
    with pytest.raises(RestoreKitError, match="ISO 50 is outside"):
        db.lookup("NIKON CORPORATION", "NIKON D800", 50)


def test_unknown_camera_lists_close_names(db: NoiseProfiles) -> None:
    with pytest.raises(RestoreKitError) as err:
        db.find("NIKON CORPORATION", "NIKON D801")
    message = str(err.value)
    assert "no darktable noise profile for NIKON CORPORATION NIKON D801" in message
    assert "close: Nikon D800, Nikon D810" in message or "close: Nikon D810, Nikon D800" in message
    assert "\n" not in message
    with pytest.raises(RestoreKitError, match="no maker of that name in the file; makers: Nikon"):
        db.find("Apple", "iPhone 12")


def test_broken_entries_fail_when_looked_up(db: NoiseProfiles) -> None:
    with pytest.raises(RestoreKitError, match="Sony ILCE-7M3: every profile is marked 'skip'"):
        db.find("SONY", "ILCE-7M3")
    with pytest.raises(RestoreKitError, match="Sony NEX-5 ISO 100: 'a' and 'b' must be 3 finite"):
        db.find("SONY", "NEX-5")


def test_not_a_profile_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(RestoreKitError, match=r"bad\.json: not a darktable noiseprofiles\.json"):
        NoiseProfiles.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(RestoreKitError, match="no 'noiseprofiles' list"):
        NoiseProfiles.load(bad)
    with pytest.raises(RestoreKitError, match=r"missing\.json"):
        NoiseProfiles.load(tmp_path / "missing.json")


def test_search_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles_module, "DARKTABLE_DIRS", ())
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "none"))
    with pytest.raises(
        RestoreKitError, match=r"no darktable noiseprofiles\.json found .*--profiles"
    ):
        find_profiles_file()
    installed = tmp_path / "share" / "darktable" / "noiseprofiles.json"
    installed.parent.mkdir(parents=True)
    installed.write_text(json.dumps(TINY))
    monkeypatch.setenv(
        "XDG_DATA_DIRS", os.pathsep.join([str(tmp_path / "none"), str(tmp_path / "share")])
    )
    assert find_profiles_file() == installed
    assert NoiseProfiles.load().path == installed
    assert find_profiles_file(tmp_path / "given.json") == tmp_path / "given.json"


def test_for_photo_reads_exif(db: NoiseProfiles, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D800"
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (4, 4)).save(photo, exif=exif)
    with pytest.raises(RestoreKitError, match=r"photo\.jpg: no EXIF ISO"):
        db.for_photo(photo)
    exif.get_ifd(0x8769)[0x8827] = 2400
    exif[0x8769] = 0
    Image.new("RGB", (4, 4)).save(photo, exif=exif)
    profile = db.for_photo(photo)
    assert (profile.camera, profile.iso, profile.between) == ("Nikon D800", 2400, (1600, 3200))
