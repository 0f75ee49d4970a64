"""`denoise --camera auto`: adapt once per camera and ISO, reuse the cache, else a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.adapt import camera_cache
from restorekit.adapt.camera_cache import cache_dir, cache_path, camera_model, restore_by_camera
from restorekit.adapt.profiles import NoiseProfiles
from restorekit.cli.main import main
from restorekit.infer import DEFAULT_MODEL
from restorekit.weights import read_metadata

from .conftest import smooth_image


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESTOREKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "cameras"


def _photo(path: Path, iso: int | None, size: int = 512) -> Path:
    exif = Image.Exif()
    if iso is not None:
        exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D800"
        exif.get_ifd(0x8769)[0x8827] = iso
        exif[0x8769] = 0
    pixels = np.round(smooth_image(np.random.default_rng(iso or 0), size) * 255)
    Image.fromarray(pixels.astype(np.uint8)).save(path, "JPEG", quality=95, exif=exif)
    return path


def test_cache_location_and_name(cache: Path, profiles: Path, tiny_base: Path) -> None:
    assert cache_dir() == cache
    profile = NoiseProfiles.load(profiles).lookup("", "D800", 3200)
    assert cache_path(profile, "aindnet-real").name == "nikon-d800-iso3200-aindnet-real.safetensors"
    tagged = cache_path(profile, str(tiny_base)).name
    assert tagged.startswith("nikon-d800-iso3200-base-") and len(tagged.split("-")[-1]) == 24


def test_small_photo_or_missing_exif_falls_back(tmp_path: Path, profiles: Path) -> None:
    table = NoiseProfiles.load(profiles)
    small = camera_model(_photo(tmp_path / "s.jpg", 3200, size=256), "aindnet-real", profiles=table)
    assert small.model == "aindnet-real" and "too small to adapt from" in small.note
    bare = camera_model(_photo(tmp_path / "b.jpg", None), "aindnet-real", profiles=table)
    assert bare.model == "aindnet-real" and "no EXIF make, model, ISO" in bare.note


def test_without_a_model_the_sn_base_is_adapted_and_the_default_is_the_fallback(
    tmp_path: Path, profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = _photo(tmp_path / "b.jpg", None, size=64)
    written, notes = restore_by_camera(bare, tmp_path / "out", profiles=profiles)
    assert len(written) == 1 and notes[0].endswith(f"using {DEFAULT_MODEL}")
    adapted = []

    def record(target, profile, source, photo, **options):
        adapted.append((Path(target).name, options["base"]))
        raise RuntimeError("stop here")

    monkeypatch.setattr(camera_cache, "adapt_to_profile", record)
    with pytest.raises(RuntimeError, match="stop here"):
        restore_by_camera(_photo(tmp_path / "e.jpg", 3200), tmp_path / "out", profiles=profiles)
    assert adapted == [("nikon-d800-iso3200-aindnet-sn.safetensors", "aindnet-sn")]


@pytest.mark.slow
def test_denoise_camera_auto_adapts_once_then_reuses(
    cache: Path, profiles: Path, tiny_base: Path, tmp_path: Path, capsys
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "dsc1.jpg", 3200)
    _photo(photos / "plain.jpg", None)
    args = ["denoise", str(photos), "-o", str(tmp_path / "out"), "-m", str(tiny_base), "-q"]
    args += ["--camera", "auto", "--profiles", str(profiles), "--adapt-minutes", "0.05"]
    assert main(args) == 0
    (adapted,) = cache.iterdir()
    assert adapted.name.startswith("nikon-d800-iso3200-base-")
    meta = read_metadata(adapted)["adapt"]
    assert meta["synthetic"]["clean"] == ["dsc1.jpg"] and meta["synthetic"]["downscale"] == 4
    err = capsys.readouterr().err
    assert "note: " in err and "plain.jpg: no EXIF" in err and "dsc1" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "dsc1_denoised.jpg",
        "plain_denoised.jpg",
    ]
    stamp = adapted.stat().st_mtime_ns
    assert main(args) == 0
    assert adapted.stat().st_mtime_ns == stamp and len(list(cache.iterdir())) == 1


def test_no_profile_file_is_a_note_not_an_error(tmp_path: Path, tiny_base: Path, capsys) -> None:
    photo = _photo(tmp_path / "dsc.jpg", 3200, size=64)
    args = ["denoise", str(photo), "-m", str(tiny_base), "-q", "--camera", "auto"]
    args += ["--profiles", str(tmp_path / "missing.json")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.json" in err and "using " in err
    assert (tmp_path / "dsc_denoised.jpg").is_file()


def test_camera_auto_refuses_ensembles_and_profiles_alone(tmp_path: Path, capsys) -> None:
    photo = _photo(tmp_path / "dsc.jpg", 3200, size=64)
    assert main(["denoise", str(photo), "--profiles", "p.json"]) == 2
    assert "--profiles needs --camera auto" in capsys.readouterr().err
    assert main(["denoise", str(photo), "--camera", "auto", "--ensemble", "a,b"]) == 2
    assert "not an ensemble" in capsys.readouterr().err
