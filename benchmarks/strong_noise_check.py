"""Did a real-pair stage forget strong noise? Synthetic Poisson-Gaussian noise on held-out images.

    python benchmarks/strong_noise_check.py runs/hinet_sn/final.safetensors \\
        runs/hinet_rt/final.safetensors hinet-real aindnet-real        # about 3 minutes

PolyU's real pairs, which the real-pair (RT) stage trains on and its held-out scenes validate, are
all well exposed with moderate noise; a long RT stage can specialise to them and wreck photos that
are darker and noisier, and the PolyU validation cannot see it. This check can, without a test set:
the first ``--images`` of the validation list of ``configs/splits/cbsd432_rain100l_free.json``
(CBSD432 images the derain/deblur recipes, the Gaussian fine-tunes and ``sn_recipe.py`` hold out;
the SN recipes of the bundled real-noise models saw these scenes, with other noise), a 256 px
crop each, at three settings (bright and moderate;
dark, 0.3x, at two stronger levels) of variance ``a * x + b``, clipped and rounded to 8 bits like a
stored photo (``--jpeg Q``: saved as JPEG at quality Q instead, as cameras and phones store photos),
seed 0. Prints mean PSNR (dB, 8-bit outputs) per model and setting; compare an RT model with the SN
model it started from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from restorekit.data import read_split
from restorekit.infer import restore
from restorekit.io import read_image
from restorekit.metrics import psnr_torch
from restorekit.noise.jpeg import jpeg_roundtrip
from restorekit.weights import load_model

REPO = Path(__file__).resolve().parent.parent
SETTINGS = ((1.0, 0.01, 0.0005), (0.3, 0.02, 0.002), (0.3, 0.04, 0.004))  # (scale, a, b)


def psnr_8bit(x: torch.Tensor, clean: torch.Tensor) -> float:
    """PSNR of ``x`` rounded to 8 bits, as a stored output, against the float ``clean``."""
    return float(psnr_torch((x.clamp(0, 1) * 255).round() / 255, clean)[0])


def strong_noise_scores(
    models: dict[str, torch.nn.Module], data_root: Path, images: int = 8, jpeg: int | None = None
) -> list[tuple[tuple[float, float, float], dict[str, float]]]:
    """Mean 8-bit PSNR per setting ``(scale, a, b)`` of the noisy input and of each model
    (``jpeg``: the noisy images stored as JPEG at that quality instead of 8-bit PNG)."""
    names = read_split(REPO / "configs/splits/cbsd432_rain100l_free.json", "val")[:images]
    table = []
    for scale, a, b in SETTINGS:
        generator = torch.Generator().manual_seed(0)
        scores: dict[str, list[float]] = {m: [] for m in ["noisy", *models]}
        for name in names:
            image, _ = read_image(data_root / "CBSD432" / name)
            clean = torch.from_numpy(image)[None, :3, :256, :256] * scale
            noise = torch.randn(clean.shape, generator=generator) * (a * clean + b).sqrt()
            noisy = ((clean + noise).clamp(0, 1) * 255).round() / 255
            if jpeg is not None:
                noisy = jpeg_roundtrip(noisy, jpeg)
            scores["noisy"].append(psnr_8bit(noisy, clean))
            for label, model in models.items():
                with torch.inference_mode():
                    scores[label].append(psnr_8bit(restore(model, noisy, tile="auto"), clean))
        table.append(((scale, a, b), {k: float(np.mean(v)) for k, v in scores.items()}))
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="bundled names or model files")
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--jpeg", type=int, help="store the noisy images as JPEG at this quality")
    args = parser.parse_args()
    torch.set_num_threads(1)
    models = {m: load_model(m).eval() for m in args.models}
    print("| scale | a | b | noisy | " + " | ".join(models) + " |")
    print("|---|---|---|---|" + "---|" * len(models))
    for (scale, a, b), means in strong_noise_scores(models, args.data_root, args.images, args.jpeg):
        row = " | ".join(f"{v:.2f}" for v in means.values())
        print(f"| {scale:g} | {a:g} | {b:g} | {row} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
