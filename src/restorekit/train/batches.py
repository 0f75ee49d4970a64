"""Training batches on the training device, a pure function of (seed, step, sample slot).

Data order and patches come from ``restorekit.data.make_loader``: a ``DistributedSampler``
permutation seeded by ``seed + epoch``, rank ``r`` taking every ``world``-th index, and each
sample's crop and flip drawn from ``(dataset seed, epoch, index)``. The global batch is split
evenly over the processes, so the union of the ranks' batches at step ``s`` is exactly the
batch one process would draw with the same global batch size (when the dataset length is a
multiple of the number of processes, as DistributedSampler otherwise pads).

Synthetic noise follows the same rule: instead of one generator stream per rank, the noise of
each sample is drawn from its own generator seeded by ``(seed, epoch, slot)``, where ``slot``
is the sample's position in the epoch's global order (``rank + world * local position``). The
noise a sample gets therefore does not depend on the number of processes, and resuming at a
step needs no generator state at all — only the step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from restorekit.data import SynthesizeBatch, make_loader
from restorekit.errors import RestoreKitError
from restorekit.train.distributed import DistEnv

TRAIN_NOISE = 1
VAL_NOISE = 2
MIX_NOISE = 3


def sample_seed(seed: int, *ids: int, stream: int) -> int:
    """A 63-bit seed for one sample of one random stream (train noise, validation noise)."""
    state = np.random.SeedSequence([seed, *ids], spawn_key=(stream,)).generate_state(2)
    return (int(state[0]) << 31) ^ int(state[1])


def synthesize(synth: SynthesizeBatch, clean: Tensor, seeds: list[int]) -> dict[str, Tensor]:
    """Noise each image of ``clean`` with its own generator (seeded by ``seeds``), on its device."""
    generator = torch.Generator(device=clean.device)
    parts = []
    for image, seed in zip(clean, seeds, strict=True):
        generator.manual_seed(seed)
        parts.append(synth(image[None], generator))
    return {key: torch.cat([p[key] for p in parts]) for key in parts[0]}


class TrainBatches(Iterator[dict[str, Tensor]]):
    """Endless training batches ``{"noisy", "clean"[, "noise_map"]}`` for this process, starting
    at global step ``start_step``; ``state()`` says where it stands (for the checkpoint)."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        seed: int,
        env: DistEnv,
        num_workers: int,
        synth: SynthesizeBatch | None,
        start_step: int,
        noise_stream: int = TRAIN_NOISE,
    ) -> None:
        if batch_size % env.world_size:
            raise RestoreKitError(
                f"data.batch_size {batch_size} is the global batch and must be divisible by the "
                f"{env.world_size} processes"
            )
        self.env, self.seed, self.synth, self.stream = env, seed, synth, noise_stream
        self.local = batch_size // env.world_size
        self.loader = make_loader(
            dataset,
            self.local,
            shuffle=True,
            seed=seed,
            num_workers=num_workers,
            distributed=env.distributed,
            pin_memory=env.device.type == "cuda",
        )
        self.per_epoch = len(self.loader)
        if self.per_epoch == 0:
            raise RestoreKitError(
                f"the training set has {len(dataset)} samples, fewer than one batch of {batch_size}"
            )
        self.epoch, self.batch_in_epoch = divmod(start_step, self.per_epoch)
        self.loader.sampler.set_epoch(self.epoch, start=self.batch_in_epoch * self.local)
        self._batches = iter(self.loader)

    def state(self) -> dict[str, int]:
        """The sampler position: epoch, batches done in it, batches per epoch."""
        return {
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "batches_per_epoch": self.per_epoch,
        }

    def __next__(self) -> dict[str, Tensor]:
        try:
            batch = next(self._batches)
        except StopIteration:
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            self.loader.sampler.set_epoch(self.epoch)
            self._batches = iter(self.loader)
            batch = next(self._batches)
        first = self.batch_in_epoch * self.local
        slots = [self.env.rank + self.env.world_size * (first + j) for j in range(self.local)]
        self.batch_in_epoch += 1
        return self._to_device(batch, slots)

    def _to_device(self, batch: dict[str, Any], slots: list[int]) -> dict[str, Tensor]:
        device = self.env.device
        clean = batch["clean"].to(device, non_blocking=True)
        if self.synth is not None:
            if "noisy" in batch:
                raise RestoreKitError(
                    "the training set yields noisy/clean pairs; remove data.noise or use a "
                    "clean-only dataset"
                )
            seeds = [sample_seed(self.seed, self.epoch, s, stream=self.stream) for s in slots]
            return synthesize(self.synth, clean, seeds)
        if "noisy" not in batch:
            raise RestoreKitError(
                "the training set yields clean images only; set data.noise to synthesise inputs"
            )
        return {"noisy": batch["noisy"].to(device, non_blocking=True), "clean": clean}


def mixed_steps(step: int, every: int) -> tuple[int, int]:
    """How many of the first ``step`` batches came from the main and from the mixed stream,
    when the mixed one gives every ``every``-th batch (steps ``every - 1``, ``2 every - 1``...)."""
    return step - step // every, step // every


class MixedBatches(Iterator[dict[str, Tensor]]):
    """Two batch streams by global step: step ``s`` takes the next batch of ``mixed`` when
    ``(s + 1) % every == 0`` and of ``main`` otherwise. Both streams must have been started at
    the counts :func:`mixed_steps` gives for ``start_step``, so resuming needs only the step."""

    def __init__(
        self, main: TrainBatches, mixed: TrainBatches, *, every: int, start_step: int
    ) -> None:
        self.main, self.mixed, self.every, self.step = main, mixed, every, start_step

    def state(self) -> dict[str, Any]:
        """The main stream's position, and the mixed stream's under ``mix``."""
        return {**self.main.state(), "mix": self.mixed.state()}

    def __next__(self) -> dict[str, Tensor]:
        source = self.mixed if (self.step + 1) % self.every == 0 else self.main
        self.step += 1
        return next(source)
