"""Protocols: seeded Gaussian noise, pairing by name, splits, SIDD .mat blocks, rain and blur."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

from restorekit.errors import RestoreKitError
from restorekit.eval import (
    DeblurProtocol,
    DerainProtocol,
    GaussianProtocol,
    PairsProtocol,
    SiddValProtocol,
    gaussian_noise,
)


def _image(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _save(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def clean_dir(tmp_path: Path) -> Path:
    root = tmp_path / "Tiny"
    _save(root / "b.png", _image(1, (48, 48)))
    _save(root / "a.png", _image(2, (48, 40)))
    return root


def test_gaussian_noise_matches_restormer_convention() -> None:
    """np.random.seed(0); np.random.normal(0, s, img.shape) on an HWC image, transposed."""
    expected = np.random.RandomState(0).normal(0, 25 / 255, (5, 7, 3)).transpose(2, 0, 1)
    np.testing.assert_array_equal(gaussian_noise((3, 5, 7), 25 / 255, 0), expected)
    assert not np.array_equal(gaussian_noise((3, 5, 7), 25 / 255, 1), expected)


def test_gaussian_protocol_samples(clean_dir: Path) -> None:
    protocol = GaussianProtocol(clean_dir, 50, seed=0)
    samples = list(protocol.samples())
    assert [s.name for s in samples] == ["a.png", "b.png"]  # sorted by name
    assert len(protocol) == 2
    for sample in samples:
        assert sample.noisy.dtype == np.float32 and sample.noisy.shape == sample.clean.shape
        assert sample.sigma == pytest.approx(50 / 255)
        # Restormer: float32 image += float64 noise, no clipping.
        noise = gaussian_noise(sample.clean.shape, 50 / 255, 0)
        np.testing.assert_array_equal(sample.noisy, (sample.clean + noise).astype(np.float32))
        assert sample.noisy.min() < 0 or sample.noisy.max() > 1  # not clipped
    again = [s.noisy for s in GaussianProtocol(clean_dir, 50).samples()]
    for a, b in zip(again, samples, strict=True):
        np.testing.assert_array_equal(a, b.noisy)
    assert protocol.name == "gaussian-Tiny-s50"


def test_gaussian_noise_independent_of_limit(clean_dir: Path) -> None:
    first = next(GaussianProtocol(clean_dir, 15, limit=1).samples())
    full = next(GaussianProtocol(clean_dir, 15).samples())
    np.testing.assert_array_equal(first.noisy, full.noisy)
    assert len(GaussianProtocol(clean_dir, 15, limit=1)) == 1


def test_gaussian_rgb_and_description(tmp_path: Path) -> None:
    _save(tmp_path / "c" / "x.png", _image(3, (32, 32, 3)))
    protocol = GaussianProtocol(tmp_path / "c", 25, seed=7)
    sample = next(protocol.samples())
    assert sample.noisy.shape == (3, 32, 32)
    info = protocol.describe()
    assert info["degradation"]["seed"] == 7
    assert "NOT clipped" in info["degradation"]["clipping"]
    assert info["metrics"][0]["quantize"] == "uint8"


def test_gaussian_split_keeps_listed_images(clean_dir: Path, tmp_path: Path) -> None:
    split_file = tmp_path / "split.json"
    split_file.write_text('{"train": ["a.png"], "val": ["b"], "bad": ["c.png"]}')
    protocol = GaussianProtocol(clean_dir, 25, split_file=split_file, split="val")
    assert [s.name for s in protocol.samples()] == ["b.png"]
    full = {s.name: s.noisy for s in GaussianProtocol(clean_dir, 25).samples()}
    np.testing.assert_array_equal(next(protocol.samples()).noisy, full["b.png"])
    assert protocol.name == "gaussian-Tiny-val-s25"
    assert protocol.describe()["dataset"]["split"] == "val"
    with pytest.raises(RestoreKitError, match=r"'c\.png' listed in the split is missing"):
        GaussianProtocol(clean_dir, 25, split_file=split_file, split="bad")
    with pytest.raises(RestoreKitError, match="both split_file and split"):
        GaussianProtocol(clean_dir, 25, split_file=split_file)


@pytest.mark.parametrize("sigma", [0, -1, 300])
def test_gaussian_rejects_bad_sigma(clean_dir: Path, sigma: float) -> None:
    with pytest.raises(RestoreKitError, match="sigma"):
        GaussianProtocol(clean_dir, sigma)


def _pairs(root: Path, names: list[str], extra_noisy: str | None = None) -> Path:
    for i, name in enumerate(names):
        clean = _image(i, (32, 32, 3))
        _save(root / "gt" / name, clean)
        _save(root / "noisy" / name, 255 - clean)
    if extra_noisy:
        _save(root / "noisy" / extra_noisy, _image(9, (32, 32, 3)))
    return root


def test_pairs_pair_by_name(tmp_path: Path) -> None:
    root = _pairs(tmp_path / "P", ["z.png", "m.png"])
    protocol = PairsProtocol(root)
    samples = list(protocol.samples())
    assert [s.name for s in samples] == ["m.png", "z.png"]
    for s in samples:
        np.testing.assert_allclose(s.noisy, 1 - s.clean, atol=1e-6)
        assert s.sigma is None
    assert protocol.describe()["dataset"]["images"] == 2


def test_pairs_unpaired_file_is_an_error(tmp_path: Path) -> None:
    root = _pairs(tmp_path / "P", ["a.png"], extra_noisy="lonely.png")
    with pytest.raises(RestoreKitError, match=r"lonely\.png"):
        PairsProtocol(root)


def test_pairs_pair_by_name_up_to_the_extension_as_training_does(tmp_path: Path) -> None:
    root = _pairs(tmp_path / "P", ["a.png"])
    (root / "gt" / "a.png").rename(root / "gt" / "a.tif")
    (sample,) = PairsProtocol(root).samples()
    assert sample.name == "a.png" and sample.noisy.shape == sample.clean.shape


def test_pairs_split_file(tmp_path: Path) -> None:
    root = _pairs(tmp_path / "P", ["a.png", "b.png", "c.png"], extra_noisy="x.png")
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"about": "t", "train": ["a.png"], "test": ["c.png", "b.png"]}))
    protocol = PairsProtocol(root, split_file=split, split="test")
    assert [s.name for s in protocol.samples()] == ["b.png", "c.png"]
    assert protocol.name == "pairs-P-test" and protocol.label == "P (test)"
    with pytest.raises(RestoreKitError, match=r"no split 'val' .* has \['test', 'train'\]"):
        PairsProtocol(root, split_file=split, split="val")
    split.write_text(json.dumps({"test": ["missing.png"]}))
    with pytest.raises(RestoreKitError, match=r"missing\.png"):
        PairsProtocol(root, split_file=split, split="test")
    with pytest.raises(RestoreKitError, match="both"):
        PairsProtocol(root, split_file=split)


def test_pairs_shape_mismatch(tmp_path: Path) -> None:
    root = _pairs(tmp_path / "P", ["a.png"])
    _save(root / "gt" / "a.png", _image(0, (16, 16, 3)))
    with pytest.raises(RestoreKitError, match="shape"):
        list(PairsProtocol(root).samples())


def test_pairs_needs_both_folders(tmp_path: Path) -> None:
    (tmp_path / "P" / "noisy").mkdir(parents=True)
    with pytest.raises(RestoreKitError, match="noisy/ and gt/"):
        PairsProtocol(tmp_path / "P")


def _sidd_mats(tmp_path: Path, shape: tuple[int, ...] = (2, 2, 32, 32, 3)) -> tuple[Path, Path]:
    noisy, gt = _image(5, shape), _image(6, shape)
    scipy.io.savemat(tmp_path / "noisy.mat", {"ValidationNoisyBlocksSrgb": noisy})
    scipy.io.savemat(tmp_path / "gt.mat", {"ValidationGtBlocksSrgb": gt})
    return tmp_path / "noisy.mat", tmp_path / "gt.mat"


def test_sidd_val_blocks(tmp_path: Path) -> None:
    noisy_mat, gt_mat = _sidd_mats(tmp_path)
    protocol = SiddValProtocol(noisy_mat, gt_mat)
    samples = list(protocol.samples())
    assert [s.name for s in samples] == ["00_00", "00_01", "01_00", "01_01"]
    raw = scipy.io.loadmat(noisy_mat)["ValidationNoisyBlocksSrgb"]
    np.testing.assert_array_equal(samples[2].noisy, raw[1, 0].transpose(2, 0, 1) / np.float32(255))
    assert samples[0].noisy.dtype == np.float32
    assert [m.name for m in protocol.metrics] == ["clamp01", "hinet-float"]
    assert protocol.describe()["dataset"]["stored_shape"] == [2, 2, 32, 32, 3]
    assert len(SiddValProtocol(noisy_mat, gt_mat, limit=3)) == 3


def test_sidd_val_other_keys_and_errors(tmp_path: Path) -> None:
    scipy.io.savemat(tmp_path / "n.mat", {"im_noisy": _image(1, (32, 32, 3))})
    scipy.io.savemat(tmp_path / "g.mat", {"im_gt": _image(2, (32, 32, 3))})
    protocol = SiddValProtocol(
        tmp_path / "n.mat", tmp_path / "g.mat", noisy_key="im_noisy", gt_key="im_gt"
    )
    assert [s.name for s in protocol.samples()] == ["0000"]
    with pytest.raises(RestoreKitError, match="im_noisy"):
        SiddValProtocol(tmp_path / "n.mat", tmp_path / "g.mat")
    scipy.io.savemat(tmp_path / "g2.mat", {"im_gt": _image(2, (16, 16, 3))})
    with pytest.raises(RestoreKitError, match="differ"):
        SiddValProtocol(
            tmp_path / "n.mat", tmp_path / "g2.mat", noisy_key="im_noisy", gt_key="im_gt"
        )


def test_gaussian_uint8_variant_is_the_float_input_as_a_file_holds_it(clean_dir: Path) -> None:
    float_in = list(GaussianProtocol(clean_dir, 25).samples())
    protocol = GaussianProtocol(clean_dir, 25, input="uint8")
    stored = list(protocol.samples())
    assert protocol.name.endswith("-s25-uint8") and protocol.label.endswith("8-bit in")
    assert protocol.describe()["degradation"]["variant"] == "uint8"
    for f, u in zip(float_in, stored, strict=True):
        assert f.name == u.name and f.sigma == u.sigma
        expected = np.round(np.clip(f.noisy, 0, 1) * 255) / 255
        np.testing.assert_allclose(u.noisy, expected, atol=1e-7)
        assert u.noisy.min() >= 0 and u.noisy.max() <= 1
        assert f.noisy.min() < 0 or f.noisy.max() > 1  # sigma 25 leaves [0, 1] somewhere


def test_gaussian_rejects_unknown_input_variant(clean_dir: Path) -> None:
    with pytest.raises(RestoreKitError, match="input"):
        GaussianProtocol(clean_dir, 25, input="uint16")


def _rain_pairs(root: Path, names: list[str]) -> Path:
    for i, name in enumerate(names):
        clean = _image(20 + i, (24, 32, 3))
        rainy = clean.copy()
        rainy[:, ::6] = 255  # vertical "streaks"
        _save(root / "input" / name, rainy)
        _save(root / "target" / name, clean)
    return root


def test_derain_pairs_input_with_target_and_scores_y(tmp_path: Path) -> None:
    root = _rain_pairs(tmp_path / "Rain", ["002.png", "001.png"])
    protocol = DerainProtocol(root)
    assert protocol.name == "derain-Rain" and len(protocol) == 2
    samples = list(protocol.samples())
    assert [s.name for s in samples] == ["001.png", "002.png"]
    (metric,) = protocol.metrics
    assert metric.name == "uint8-y" and metric.y_channel and metric.quantize == "uint8"
    info = protocol.describe()
    assert info["kind"] == "derain" and "input/NAME with target/NAME" in info["dataset"]["pairing"]
    assert "rain" in info["degradation"]["type"]
    with pytest.raises(RestoreKitError, match="input/ and target/"):
        DerainProtocol(tmp_path / "nothing")


def test_derain_input_score_is_psnr_of_bt601_luma(tmp_path: Path) -> None:
    root = _rain_pairs(tmp_path / "Rain", ["a.png"])
    sample = next(iter(DerainProtocol(root).samples()))
    score = DerainProtocol(root).metrics[0].score(sample.noisy, sample.clean)
    weights = np.array([65.481, 128.553, 24.966]) / 255.0
    luma = [
        np.tensordot(weights, np.round(a * 255.0), axes=1) for a in (sample.noisy, sample.clean)
    ]
    expected = 10 * np.log10(255.0**2 / np.mean((luma[0] - luma[1]) ** 2))
    assert score.psnr == pytest.approx(expected, abs=1e-9)


def test_deblur_reads_input_target_and_the_gopro_layout(tmp_path: Path) -> None:
    flat = _rain_pairs(tmp_path / "GoPro_samples", ["x.png"])
    protocol = DeblurProtocol(flat)
    assert protocol.name == "deblur-GoPro_samples"
    assert protocol.metrics[0].name == "uint8" and not protocol.metrics[0].y_channel
    test = tmp_path / "GOPRO_Large" / "test"
    for seq in ("GOPR0384_11_00", "GOPR0385_11_01"):
        _save(test / seq / "blur" / "000001.png", _image(1, (16, 16, 3)))
        _save(test / seq / "sharp" / "000001.png", _image(2, (16, 16, 3)))
    gopro = DeblurProtocol(test, limit=1)
    assert gopro.name == "deblur-test" and gopro.names == ["GOPR0384_11_00/000001.png"]
    sample = next(iter(gopro.samples()))
    np.testing.assert_array_equal(
        np.round(sample.noisy * 255), _image(1, (16, 16, 3)).transpose(2, 0, 1)
    )
    assert "<sequence>/blur/NAME" in gopro.describe()["dataset"]["pairing"]
    with pytest.raises(RestoreKitError, match="input/ and target/"):
        DeblurProtocol(tmp_path / "nothing")
