"""DataLoaders whose batches are a pure function of (seed, epoch, position): resumable, worker-safe.

Seeding scheme
--------------
* **Order.** :class:`EpochSampler` (a ``DistributedSampler``; one replica when not distributed)
  permutes the indices with a generator seeded by ``seed + epoch`` and gives rank ``r`` every
  ``world_size``-th index from ``r``. Ranks therefore see disjoint indices (but for the few
  DistributedSampler repeats to even out the ranks), and the order depends on no RNG state
  carried over from earlier epochs.
* **Patches and augmentation.** The sampler yields keys ``(index, epoch)``; a restorekit
  dataset draws the crop position and dihedral mode of that sample from
  ``numpy.random.default_rng(SeedSequence([dataset.seed, epoch, index]))``
  (:func:`restorekit.data.transforms.sample_rng`). Rank and worker id do not enter: they
  change which process draws a sample, not what it draws, so the same run with 0 or 8 workers,
  or resumed half-way, yields bit-identical batches; distinct ranks get distinct patches
  because they get distinct indices.
* **Resume.** To continue at global batch ``s`` with ``B = len(loader)`` batches per epoch
  (measured at start 0), call ``loader.sampler.set_epoch(s // B, start=(s % B) * batch_size)``:
  the samples already consumed are skipped without being loaded, and the batches are those of
  a run that never stopped. Call ``set_epoch(e)`` before each later epoch ``e``.
* **Global RNGs.** Our datasets never touch them. The DataLoader gets its own
  ``torch.Generator`` (seeded ``seed + rank``), so iterating it never advances the trainer's
  global torch RNG, and :func:`seed_worker` seeds ``random`` and ``numpy``'s legacy global RNG
  in each worker from torch's per-worker seed for any third-party code that still uses them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from restorekit.data.base import ImageDataset, SampleKey
from restorekit.errors import RestoreKitError


class EpochSampler(DistributedSampler):
    """A ``DistributedSampler`` that yields ``(index, epoch)`` keys and can start mid-epoch.

    For datasets other than restorekit's (``keyed=False``) it yields plain indices.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        shuffle: bool,
        seed: int,
        num_replicas: int = 1,
        rank: int = 0,
        keyed: bool = True,
    ) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed)
        self.keyed = keyed
        self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Select ``epoch`` and skip its first ``start`` samples (of this rank)."""
        if not 0 <= start <= self.num_samples:
            raise ValueError(f"start must be in 0..{self.num_samples}, got {start}")
        super().set_epoch(epoch)
        self.start = start

    def __iter__(self) -> Iterator[SampleKey]:
        indices = itertools.islice(super().__iter__(), self.start, None)
        if not self.keyed:
            return indices
        return ((index, self.epoch) for index in indices)

    def __len__(self) -> int:
        return self.num_samples - self.start


def seed_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: seed ``random`` and ``numpy.random`` from torch's seed."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    seed: int,
    num_workers: int,
    distributed: bool = False,
    *,
    drop_last: bool | None = None,
    pin_memory: bool = False,
) -> DataLoader:
    """A DataLoader over ``dataset`` following the module's seeding scheme.

    ``distributed=True`` splits the data over the ranks of the initialised process group.
    ``drop_last`` defaults to ``shuffle`` (training drops the ragged last batch). Workers are
    persistent: sample keys carry the epoch, so workers need no per-epoch state.
    """
    if batch_size < 1:
        raise RestoreKitError(f"batch_size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise RestoreKitError(f"num_workers must be >= 0, got {num_workers}")
    replicas, rank = 1, 0
    if distributed:
        if not (dist.is_available() and dist.is_initialized()):
            raise RestoreKitError(
                "distributed loading needs an initialised process group (torchrun)"
            )
        replicas, rank = dist.get_world_size(), dist.get_rank()
    sampler = EpochSampler(
        dataset,
        shuffle=shuffle,
        seed=seed,
        num_replicas=replicas,
        rank=rank,
        keyed=isinstance(dataset, ImageDataset),
    )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=shuffle if drop_last is None else drop_last,
        pin_memory=pin_memory,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(seed + rank),
        persistent_workers=num_workers > 0,
    )
