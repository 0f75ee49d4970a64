"""Image quality metrics: PSNR (float64) and SSIM (Gaussian 11x11, sigma 1.5), numpy and torch.

numpy functions take (C, H, W) or (H, W) arrays and return a float; the ``*_torch`` versions take
(N, C, H, W) batches and return one value per image, with the same definitions.
"""

from restorekit.metrics.color import to_y, to_y_torch
from restorekit.metrics.psnr import psnr, psnr_torch
from restorekit.metrics.ssim import gaussian_window, ssim, ssim_torch

__all__ = [
    "gaussian_window",
    "psnr",
    "psnr_torch",
    "ssim",
    "ssim_torch",
    "to_y",
    "to_y_torch",
]
