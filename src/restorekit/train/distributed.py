"""Distributed data parallel from the ``torchrun`` environment, kept thin.

``torchrun --nproc_per_node N -m restorekit train ...`` sets RANK, LOCAL_RANK and WORLD_SIZE;
``setup`` joins the process group (gloo on CPU, nccl on GPU) and picks this process's device.
Only the main process (rank 0) writes logs, checkpoints and weights.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from restorekit.errors import RestoreKitError


@dataclass(frozen=True)
class DistEnv:
    """This process's place in the job: rank, local rank, world size and device
    (``owns_group``: ``setup`` started the process group, so ``cleanup`` ends it)."""

    rank: int
    local_rank: int
    world_size: int
    device: torch.device
    owns_group: bool = False

    @property
    def is_main(self) -> bool:
        """True on the process that writes (rank 0)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto") -> DistEnv:
    """Read the torchrun environment, join the process group if there are several processes,
    and choose the device (``auto``: the local GPU if CUDA is available, else the CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise RestoreKitError("device 'cuda' was asked for but CUDA is not available")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        chosen = torch.device("cuda", local_rank)
    else:
        chosen = torch.device("cpu")
    owns_group = world > 1 and not dist.is_initialized()
    if owns_group:
        # Validation runs on every rank, so a long timeout only guards against real hangs.
        dist.init_process_group(
            backend="nccl" if use_cuda else "gloo", timeout=datetime.timedelta(minutes=60)
        )
    return DistEnv(rank, local_rank, world, chosen, owns_group)


def is_main() -> bool:
    """True when this process is rank 0 (or there is no process group)."""
    return not dist.is_initialized() or dist.get_rank() == 0


def wrap(model: nn.Module, env: DistEnv) -> nn.Module:
    """``model`` inside DistributedDataParallel when there are several processes."""
    if not env.distributed:
        return model
    ids = [env.device.index] if env.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel wrapper."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def all_reduce_sum(tensor: Tensor) -> Tensor:
    """Sum ``tensor`` over all processes in place (a no-op for one process)."""
    if dist.is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier() -> None:
    """Wait for every process (a no-op for one process)."""
    if dist.is_initialized():
        dist.barrier()


def cleanup(env: DistEnv) -> None:
    """Leave the process group if ``setup`` joined it."""
    if env.owns_group and dist.is_initialized():
        dist.destroy_process_group()
