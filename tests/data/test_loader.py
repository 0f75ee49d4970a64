"""The seeding scheme: order from (seed, epoch), patches from (seed, epoch, index); resumable."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from restorekit.data import CleanFolder, EpochSampler, make_loader, seed_worker
from restorekit.errors import RestoreKitError


@pytest.fixture
def folder(tmp_path: Path, img) -> CleanFolder:
    for i in range(6):
        img.write_png(tmp_path / f"{i}.png", img.random_pixels(i, 12 + i, 14))
    return CleanFolder(tmp_path, patch_size=8, augment=True, seed=5, length=10)


def _batches(loader, epoch: int, start: int = 0) -> list[tuple[list[str], torch.Tensor]]:
    loader.sampler.set_epoch(epoch, start=start)
    return [(b["name"], b["clean"]) for b in loader]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        x[0] == y[0] and torch.equal(x[1], y[1]) for x, y in zip(a, b, strict=True)
    )


def test_sampler_yields_keys_and_orders_by_seed_and_epoch() -> None:
    data = list(range(10))
    sampler = EpochSampler(data, shuffle=True, seed=3)
    sampler.set_epoch(4)
    keys = list(sampler)
    assert sorted(i for i, _ in keys) == data and {e for _, e in keys} == {4}
    again = EpochSampler(data, shuffle=True, seed=3)
    again.set_epoch(4)
    assert list(again) == keys
    again.set_epoch(5)
    assert list(again) != keys
    again.set_epoch(4, start=7)
    assert list(again) == keys[7:] and len(again) == 3
    plain = EpochSampler(data, shuffle=False, seed=0, keyed=False)
    assert list(plain) == data
    with pytest.raises(ValueError):
        plain.set_epoch(0, start=11)


def test_ranks_get_disjoint_indices() -> None:
    data = list(range(10))
    ranks = [EpochSampler(data, shuffle=True, seed=1, num_replicas=2, rank=r) for r in (0, 1)]
    got = [{i for i, _ in s} for s in ranks]
    assert got[0].isdisjoint(got[1]) and got[0] | got[1] == set(data)


def test_loader_is_reproducible_and_resumable(folder: CleanFolder) -> None:
    loader = make_loader(folder, batch_size=3, shuffle=True, seed=7, num_workers=0)
    assert len(loader) == 3  # 10 samples, ragged last batch dropped when shuffling
    epoch1 = _batches(loader, 1)
    assert [b[1].shape for b in epoch1] == [(3, 3, 8, 8)] * 3
    assert _same(epoch1, _batches(make_loader(folder, 3, True, 7, 0), 1))
    assert not _same(epoch1, _batches(loader, 2))
    assert not _same(epoch1, _batches(make_loader(folder, 3, True, 8, 0), 1))
    # Resume after the first batch: the remaining batches are bit-identical.
    assert _same(_batches(loader, 1, start=3), epoch1[1:])


def test_resume_across_epochs_matches_an_uninterrupted_stream(folder: CleanFolder) -> None:
    def take(start: int, count: int) -> list:
        loader = make_loader(folder, 3, True, 11, num_workers=0)  # fresh, as after a restart
        per_epoch = len(loader)
        epoch, batch = divmod(start, per_epoch)
        loader.sampler.set_epoch(epoch, start=batch * 3)
        out = []
        while len(out) < count:
            out += [(b["name"], b["clean"]) for b in loader]
            epoch += 1
            loader.sampler.set_epoch(epoch)
        return out[:count]

    full = take(0, 8)  # spans epochs 0, 1 and 2 (3 batches each)
    assert _same(take(4, 4), full[4:])
    assert _same(take(3, 1), full[3:4])
    assert not _same(full[0:3], full[3:6])


def test_workers_do_not_change_the_batches(folder: CleanFolder) -> None:
    serial = _batches(make_loader(folder, 2, True, 0, num_workers=0), 3)
    parallel = _batches(make_loader(folder, 2, True, 0, num_workers=2), 3)
    assert _same(serial, parallel)


def test_loader_leaves_the_global_torch_rng_alone(folder: CleanFolder) -> None:
    torch.manual_seed(0)
    state = torch.get_rng_state()
    _batches(make_loader(folder, 2, True, 0, num_workers=0), 0)
    assert torch.equal(torch.get_rng_state(), state)


def test_foreign_datasets_get_plain_indices() -> None:
    data = TensorDataset(torch.arange(5.0))
    loader = make_loader(data, batch_size=5, shuffle=False, seed=0, num_workers=0)
    (batch,) = list(loader)
    torch.testing.assert_close(batch[0], torch.arange(5.0))


def test_make_loader_errors(folder: CleanFolder) -> None:
    with pytest.raises(RestoreKitError, match=r"process group"):
        make_loader(folder, 2, True, 0, 0, distributed=True)
    with pytest.raises(RestoreKitError, match=r"batch_size"):
        make_loader(folder, 0, True, 0, 0)


def test_seed_worker_seeds_python_and_numpy() -> None:
    torch.manual_seed(1234)
    seed_worker(0)
    a = (random.random(), np.random.random())
    torch.manual_seed(1234)
    seed_worker(0)
    assert (random.random(), np.random.random()) == a
