"""Zero-pair adaptation: a tiny darktable-format profile file, clean images, a tiny base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorekit.adapt import adapt_to_camera, camera_profile, clean_images, synthetic_pairs
from restorekit.adapt.zero_pair import profile_noise, shrink
from restorekit.cli.main import main
from restorekit.errors import RestoreKitError
from restorekit.weights import read_metadata

from .conftest import smooth_image


@pytest.fixture
def clean_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    folder = tmp_path / "clean"
    folder.mkdir()
    for i in range(2):
        pixels = np.round(smooth_image(rng, 64) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"c{i}.png")
    return folder


def _photo(path: Path, iso: int | None, size: int = 128) -> Path:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D800"
    if iso is not None:
        exif.get_ifd(0x8769)[0x8827] = iso
        exif[0x8769] = 0
    pixels = np.round(smooth_image(np.random.default_rng(5), size) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=95, exif=exif)
    return path


def test_shrink_averages_blocks_and_cuts_noise() -> None:
    image = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    out = shrink(image, 2)
    assert out.shape == (2, 2, 3)
    assert out[0, 0, 0] == pytest.approx(np.mean([0, 1, 6, 7]))
    noise = np.random.default_rng(0).normal(0, 0.1, (1, 400, 400)).astype(np.float32)
    assert shrink(noise, 4).std() == pytest.approx(0.025, rel=0.05)
    with pytest.raises(RestoreKitError, match="cannot shrink 8x"):
        shrink(np.zeros((3, 4, 4), np.float32), 8)


def test_profile_by_name_or_exif(profiles: Path, tmp_path: Path) -> None:
    profile, source = camera_profile(camera="NIKON D800", iso=3250, profiles=profiles)
    assert (profile.camera, profile.between, source) == ("Nikon D800", (100, 6400), profiles)
    photo = _photo(tmp_path / "dsc.jpg", 6400)
    assert camera_profile(like=photo, profiles=profiles)[0].a == (4e-4,) * 3
    assert camera_profile(like=photo, iso=100, profiles=profiles)[0].a == (1e-5,) * 3
    with pytest.raises(RestoreKitError, match="no EXIF ISO"):
        camera_profile(like=_photo(tmp_path / "no_iso.jpg", None), profiles=profiles)
    with pytest.raises(RestoreKitError, match="give the ISO"):
        camera_profile(camera="NIKON D800", profiles=profiles)
    with pytest.raises(RestoreKitError, match=r"a camera .* or a photo"):
        camera_profile(profiles=profiles)


def test_pairs_are_seeded_and_noisier_at_high_iso(profiles: Path, clean_dir: Path) -> None:
    images = clean_images(clean_dir)
    assert [name for name, _ in images] == ["c0.png", "c1.png"]
    low = profile_noise(camera_profile(camera="D800", iso=100, profiles=profiles)[0], jpeg=None)
    high = profile_noise(camera_profile(camera="D800", iso=6400, profiles=profiles)[0], jpeg=None)
    pairs = synthetic_pairs(images, high, copies=2)
    assert [p.name for p in pairs] == ["c0.png#0", "c0.png#1", "c1.png#0", "c1.png#1"]
    again = synthetic_pairs(images, high, copies=2)
    assert all(np.array_equal(p.noisy, q.noisy) for p, q in zip(pairs, again, strict=True))
    assert not np.array_equal(pairs[0].noisy, pairs[1].noisy)
    assert pairs[0].clean is images[0][1]

    def error(noise) -> float:  # inside: the demosaic's mirrored borders err at any ISO
        (pair,) = synthetic_pairs(images[:1], noise, copies=1)
        return float(np.std((pair.noisy - pair.clean)[:, 4:-4, 4:-4]))

    assert error(high) > 2 * error(low)


def test_adapt_to_camera_records_the_camera(
    profiles: Path, clean_dir: Path, tiny_base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "d800.safetensors"
    result = adapt_to_camera(
        out,
        camera="NIKON D800",
        iso=3200,
        clean=clean_dir,
        profiles=profiles,
        base=str(tiny_base),
        minutes=None,
        max_steps=6,
        eval_every=3,
        batch_size=2,
        patch_size=32,
        progress=False,
    )
    assert result.holdout_by == "strip" and len(result.train_pairs) == 8
    meta = read_metadata(out)
    synthetic = meta["adapt"]["synthetic"]
    assert synthetic["camera"]["model"] == "D800" and synthetic["camera"]["iso"] == 3200
    assert synthetic["profiles_file"] == str(profiles) and synthetic["downscale"] == 1
    assert "8 synthetic pair(s) of Nikon D800 ISO 3200" in meta["source"]


def test_cli_like_photo_without_clean_images(
    profiles: Path, tiny_base: Path, tmp_path: Path, capsys
) -> None:
    photo = _photo(tmp_path / "DSC_0042.jpg", 6400)
    out = tmp_path / "mine.safetensors"
    args = ["adapt", "--like", str(photo), "--profiles", str(profiles), "-o", str(out)]
    args += ["--base", str(tiny_base), "--max-steps", "4", "--minutes", "0", "--eval-every", "2"]
    args += ["--batch-size", "2", "--patch-size", "16", "--copies", "1", "--no-progress"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "noise of Nikon D800, ISO 6400 (measured)" in printed
    assert "1 clean image(s) shrunk 4x" in printed
    assert read_metadata(out)["adapt"]["synthetic"]["clean"] == ["DSC_0042.jpg"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give PAIRS_DIR, or --camera with --iso, or --like PHOTO"),
        (["PAIRS", "--camera", "D800"], "give PAIRS_DIR, or --camera"),
        (["PAIRS", "--clean", "x"], "--clean needs --camera or --like"),
        (["--camera", "D800", "--like", "p.jpg"], "not both"),
        (["--camera", "D800", "--split-file", "s.json"], "select pairs of PAIRS_DIR"),
    ],
)
def test_cli_mode_errors_are_one_line(extra: list[str], message: str, capsys) -> None:
    assert main(["adapt", *extra, "-o", "x.safetensors"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
