"""The README's main job: noise a CC0 photo like a camera would, denoise it, compare with BM3D.

``run_demo`` takes scikit-image's ``astronaut`` (public domain, shipped inside the package, so no
download), adds CBDNet camera noise with fixed, seeded parameters, denoises it with the bundled
default model, scores noisy / BM3D / model with PSNR and SSIM on 8-bit outputs, and writes the
three images and a side-by-side figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from restorekit.errors import RestoreKitError
from restorekit.eval.figure import FigureRow, choose_crop, crop, save_crops_figure
from restorekit.eval.methods import BM3DMethod
from restorekit.infer import DEFAULT_MODEL, restore
from restorekit.io import write_image
from restorekit.metrics import psnr, ssim
from restorekit.noise import cbdnet
from restorekit.weights import bundled_models, load_model

# Moderate camera noise (the middle of AINDNet's Table 1 grid), fixed so every run scores the
# same input: per-channel shot/read levels, one CRF from the bank, an RGGB mosaic, no JPEG.
SIGMA_S = 0.08
SIGMA_C = 0.03
CRF_INDEX = 0
BAYER_INDEX = 3  # 'rggb' in CBDNet's order (gbrg, grbg, bggr, rggb, none)


@dataclass
class DemoResult:
    """Scores of each method as (PSNR dB, SSIM) on 8-bit outputs, and the files written."""

    scores: dict[str, tuple[float, float]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def clean_sample() -> np.ndarray:
    """scikit-image's astronaut photo (public domain) as float32 CHW in [0, 1]."""
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut().transpose(2, 0, 1), dtype=np.float32) / 255.0


def add_camera_noise(clean: np.ndarray, seed: int) -> np.ndarray:
    """CBDNet camera noise with the demo's fixed levels, reproducible from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(clean)[None]
    result = cbdnet(
        x,
        sigma_s=torch.full((3,), SIGMA_S),
        sigma_c=torch.full((3,), SIGMA_C),
        crf=torch.tensor([CRF_INDEX]),
        bayer=torch.tensor([BAYER_INDEX]),
        generator=generator,
    )
    return result.noisy[0].clamp(0, 1).numpy()


def _u8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0)


def score(image: np.ndarray, clean: np.ndarray) -> tuple[float, float]:
    """(PSNR, SSIM) of an image against the clean one, both rounded to 8 bits."""
    a, b = _u8(image), _u8(clean)
    return psnr(a, b, data_range=255.0), ssim(a, b, data_range=255.0)


def run_demo(
    out_dir: str | Path,
    *,
    model: str = DEFAULT_MODEL,
    seed: int = 0,
    bm3d: bool = True,
    tile: int | str | None = "auto",
) -> DemoResult:
    """Run the demo; writes ``noisy.png``, ``bm3d.png``, ``<model>.png``, ``side_by_side.png``."""
    result = DemoResult()
    if model not in bundled_models() and not Path(model).is_file():
        raise RestoreKitError(f"no such model file or bundled model: {model}")
    net = load_model(model)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clean = clean_sample()
    noisy = add_camera_noise(clean, seed)
    images: dict[str, np.ndarray] = {"noisy": noisy}
    if bm3d:
        images["bm3d"], _ = BM3DMethod().run(noisy, None)
    with torch.inference_mode():
        restored = restore(net, torch.from_numpy(noisy)[None], tile=tile)
    images[Path(model).stem] = restored[0].clamp(0, 1).numpy()
    for name, image in images.items():
        result.scores[name] = score(image, clean)
        path = out / f"{name}.png"
        write_image(path, image)
        result.files.append(path)
    box = choose_crop(clean, 160)
    panels = tuple(
        (f"{name}\n{p:.2f} dB / {s:.3f}", crop(images[name], box))
        for name, (p, s) in result.scores.items()
    )
    figure = out / "side_by_side.png"
    title = "camera noise on astronaut, PSNR / SSIM on 8-bit"
    save_crops_figure(
        figure, title, [FigureRow("astronaut", box, (*panels, ("clean", crop(clean, box))))]
    )
    result.files.append(figure)
    return result
