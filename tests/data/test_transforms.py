"""Patch sampling, reflect padding, the 8 dihedral modes and channel conversion."""

from __future__ import annotations

import numpy as np
import pytest

from restorekit.data.transforms import (
    NUM_DIHEDRAL,
    crop_and_augment,
    dihedral,
    pad_to,
    sample_rng,
    to_channels,
)
from restorekit.errors import RestoreKitError


def _arange(c: int, h: int, w: int) -> np.ndarray:
    return np.arange(c * h * w, dtype=np.float32).reshape(c, h, w)


def test_sample_rng_is_a_pure_function_of_seed_epoch_index() -> None:
    draw = lambda s, e, i: sample_rng(s, e, i).integers(0, 2**62, size=4).tolist()  # noqa: E731
    assert draw(1, 2, 3) == draw(1, 2, 3)
    others = [draw(2, 2, 3), draw(1, 3, 3), draw(1, 2, 4), draw(1, 3, 2)]
    assert all(o != draw(1, 2, 3) for o in others)
    with pytest.raises(ValueError):
        sample_rng(0, -1, 0)


def test_pad_to_reflects_at_bottom_right_without_repeating_the_edge() -> None:
    x = _arange(1, 3, 2)
    out = pad_to(x, 5, 4)
    assert out.shape == (1, 5, 4)
    np.testing.assert_array_equal(out[:, :3, :2], x)
    np.testing.assert_array_equal(out[0, :3, 2], x[0, :, 0])  # reflect-101 (edge not repeated)
    np.testing.assert_array_equal(out[0, 3], out[0, 1])
    assert pad_to(x, 2, 2) is x
    np.testing.assert_array_equal(pad_to(_arange(1, 1, 3), 3, 3)[0, 2], [0, 1, 2])  # 1-px side


def test_pad_to_handles_pads_larger_than_the_image() -> None:
    out = pad_to(_arange(3, 2, 3), 9, 10)
    assert out.shape == (3, 9, 10)
    assert set(np.unique(out)) <= set(np.unique(_arange(3, 2, 3)))


def test_the_eight_dihedral_modes_are_distinct_and_correct() -> None:
    x = _arange(2, 3, 4)
    outs = [dihedral(x, m) for m in range(NUM_DIHEDRAL)]
    np.testing.assert_array_equal(outs[0], x)
    np.testing.assert_array_equal(outs[1], np.rot90(x, 1, axes=(1, 2)))
    np.testing.assert_array_equal(outs[4], x[:, :, ::-1])
    assert len({o.tobytes() + bytes(o.shape) for o in outs}) == 8
    for o in outs:
        assert o.flags.c_contiguous
        np.testing.assert_array_equal(np.sort(o, axis=None), np.sort(x, axis=None))
    # The set is closed under transposition (a mode of D4), so it is the whole group.
    assert any(o.shape == (2, 4, 3) and np.array_equal(o, x.transpose(0, 2, 1)) for o in outs)
    with pytest.raises(ValueError):
        dihedral(x, 8)


def test_crop_and_augment_applies_one_draw_to_every_array() -> None:
    clean = np.random.default_rng(0).random((3, 20, 17), dtype=np.float32)
    noisy = clean + np.float32(1)
    seen_modes = set()
    for index in range(64):
        out = crop_and_augment(
            {"noisy": noisy, "clean": clean}, sample_rng(0, 0, index), patch_size=8, augment=True
        )
        assert out["noisy"].shape == out["clean"].shape == (3, 8, 8)
        np.testing.assert_allclose(out["noisy"] - out["clean"], 1.0)
        rng = sample_rng(0, 0, index)
        top, left, mode = rng.integers(0, 13), rng.integers(0, 10), int(rng.integers(0, 8))
        seen_modes.add(mode)
        expected = dihedral(clean[:, top : top + 8, left : left + 8], mode)
        np.testing.assert_array_equal(out["clean"], expected)
    assert seen_modes == set(range(8))


def test_crop_and_augment_pads_small_images_and_keeps_whole_images() -> None:
    x = _arange(1, 3, 5)
    out = crop_and_augment({"clean": x}, sample_rng(0, 0, 0), patch_size=6, augment=False)
    np.testing.assert_array_equal(out["clean"], pad_to(x, 6, 6))
    whole = crop_and_augment({"clean": x}, sample_rng(0, 0, 0), patch_size=None, augment=False)
    np.testing.assert_array_equal(whole["clean"], x)
    with pytest.raises(ValueError, match=r"differ in size"):
        crop_and_augment({"a": x, "b": x[:, :2]}, sample_rng(0, 0, 0), patch_size=2, augment=False)


def test_to_channels() -> None:
    rgb = np.stack([np.full((2, 2), v, np.float32) for v in (1.0, 0.5, 0.0)])
    gray = to_channels(rgb, 1)
    assert gray.shape == (1, 2, 2) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, 0.299 + 0.587 * 0.5, rtol=1e-6)
    np.testing.assert_array_equal(to_channels(gray, 3), np.repeat(gray, 3, axis=0))
    assert to_channels(rgb, None) is rgb and to_channels(rgb, 3) is rgb
    with pytest.raises(RestoreKitError):
        to_channels(np.zeros((2, 2, 2), np.float32), 3)
