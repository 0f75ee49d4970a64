"""Validation during training: PSNR/SSIM on whole images, shared out over the processes.

This picks the best checkpoint; it is not a benchmark protocol (``restorekit eval`` is). Outputs
are clamped to [0, 1] and scored in float (no uint8 rounding), data range 1, optionally on the
BT.601 luma channel. A clean-only validation set is noised once per image with a generator
seeded by ``(seed, image index)``, so every validation scores the same inputs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from restorekit.data import SynthesizeBatch
from restorekit.errors import RestoreKitError
from restorekit.infer import restore
from restorekit.metrics import psnr_torch, ssim_torch, to_y_torch
from restorekit.metrics.ssim import WINDOW as SSIM_WINDOW
from restorekit.train.batches import VAL_NOISE, sample_seed
from restorekit.train.distributed import DistEnv, all_reduce_sum


def to_y(x: Tensor) -> Tensor:
    """BT.601 luma in [0, 1] of an RGB batch in [0, 1] (MATLAB ``rgb2ycbcr``'s Y / 255);
    a gray batch is already luma and is returned as it is."""
    return x if x.shape[1] == 1 else to_y_torch(x, data_range=1.0)


@torch.no_grad()
def validate(
    model: nn.Module,
    dataset: Dataset,
    *,
    env: DistEnv,
    seed: int,
    synth: SynthesizeBatch | None = None,
    y_channel: bool = False,
    tile: int | None = None,
    overlap: int = 32,
    max_images: int | None = None,
) -> dict[str, float]:
    """Mean PSNR and SSIM of ``model`` over ``dataset`` (each process scores every
    ``world``-th image; the sums are combined). ``model`` is left in training mode. SSIM is
    averaged over the images of at least 11 x 11 pixels (NaN if there are none: a few-shot
    hold-out strip can be smaller)."""
    count = len(dataset) if max_images is None else min(max_images, len(dataset))
    sums = torch.zeros(4, dtype=torch.float64, device=env.device)
    model.eval()
    try:
        for index in range(env.rank, count, env.world_size):
            sample = dataset[index]
            if "clean" not in sample:
                raise RestoreKitError("the validation set has no ground truth (no 'clean' images)")
            clean = sample["clean"][None].to(env.device)
            noisy = _input(sample, clean, index, seed, synth)
            pred = restore(model, noisy, tile=tile, overlap=overlap).clamp(0, 1)
            if y_channel:
                pred, clean = to_y(pred), to_y(clean)
            sums[0] += psnr_torch(pred, clean, data_range=1.0).double().sum()
            if min(pred.shape[-2:]) >= SSIM_WINDOW:  # SSIM needs one whole 11x11 window
                sums[1] += ssim_torch(pred, clean, data_range=1.0).double().sum()
                sums[3] += 1
            sums[2] += 1
    finally:
        model.train()
    all_reduce_sum(sums)
    if sums[2] == 0:
        raise RestoreKitError("the validation set is empty")
    ssim = float(sums[1] / sums[3]) if sums[3] > 0 else float("nan")
    return {"psnr": float(sums[0] / sums[2]), "ssim": ssim}


def _input(
    sample: dict, clean: Tensor, index: int, seed: int, synth: SynthesizeBatch | None
) -> Tensor:
    """The network input of one validation sample: its noisy image, or seeded synthetic noise."""
    if "noisy" in sample:
        return sample["noisy"][None].to(clean.device)
    if synth is None:
        raise RestoreKitError(
            "the validation set yields clean images only; set val.noise or data.noise"
        )
    generator = torch.Generator(device=clean.device)
    generator.manual_seed(sample_seed(seed, index, stream=VAL_NOISE))
    return synth(clean, generator)["noisy"]
