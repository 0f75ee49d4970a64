"""Degrade a folder of clean images into files: what ``restorekit synth`` runs (a folder app,
beside the demo, above the noise engine it calls).

Pipelines: ``cbdnet`` (camera noise, CBDNet's chain), ``unprocess`` (Brooks et al.), ``awgn``,
``rain_streaks`` and ``motion_blur`` (the registered degradations at their defaults; the blur
"noise map" is its noise std), each optionally followed by JPEG.

For every input ``NAME.ext`` the output folder gets ``NAME.png`` (the noisy image, 8 or 16 bit
like the source), ``NAME_noise.png`` (the ground-truth noise map as a 16-bit PNG whose value /
65535 is the noise level in [0, 1] image units, clipped at 1) or ``NAME_noise.npy``
(float32 C x H x W, unclipped), and ``NAME.json`` (pipeline, its configuration, the seed and the
sampled parameters). Each image gets its own generator seeded from ``seed`` and its file name,
so an image's noise does not depend on which other files are in the folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from restorekit import __version__
from restorekit.errors import RestoreKitError
from restorekit.io import (
    atomic_write_bytes,
    atomic_write_text,
    list_images,
    read_image,
    write_image,
)
from restorekit.noise.base import NoiseModel
from restorekit.noise.registry import build_noise
from restorekit.noise.stored import Stored

PIPELINES = ("cbdnet", "unprocess", "awgn", "rain_streaks", "motion_blur")
CAMERA_PIPELINES = ("cbdnet", "unprocess")  # gray inputs are noised as RGB
MAP_FORMATS = ("png", "npy")


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`synthesize_folder` wrote: one noisy image per input, in input order."""

    noisy: list[Path]
    noise_maps: list[Path]
    sidecars: list[Path]


def image_seed(seed: int, name: str) -> int:
    """A 63-bit seed for image ``name`` derived from the run's ``seed``."""
    digest = hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def build_pipeline(
    pipeline: str,
    *,
    jpeg: int | Sequence[int] | None = None,
    sigma: float | Sequence[float] | None = None,
    crf_bank: str | PathLike[str] | None = None,
) -> NoiseModel:
    """The noise model ``restorekit synth --pipeline NAME`` uses, with its CLI options."""
    if pipeline not in PIPELINES:
        raise RestoreKitError(
            f"unknown pipeline '{pipeline}'; choose one of {', '.join(PIPELINES)}"
        )
    if sigma is not None and pipeline != "awgn":
        raise RestoreKitError("sigma applies to the awgn pipeline only")
    if crf_bank is not None and pipeline != "cbdnet":
        raise RestoreKitError("crf_bank applies to the cbdnet pipeline only")
    if pipeline == "cbdnet":
        return build_noise(
            "cbdnet", jpeg=jpeg, crf_bank=None if crf_bank is None else str(crf_bank)
        )
    if pipeline == "awgn":
        model = build_noise("awgn", sigma=(0.0, 50 / 255) if sigma is None else sigma)
    else:
        model = build_noise(pipeline)
    return model if jpeg is None else Stored(model, quantize=0.0, jpeg=1.0, jpeg_quality=jpeg)


def _pad_even(x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[2:]
    return F.pad(x, (0, w % 2, 0, h % 2), mode="replicate") if (h % 2 or w % 2) else x


def _map_bytes(noise_map: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, noise_map.astype(np.float32), allow_pickle=False)
    return buf.getvalue()


def synthesize_folder(
    source: str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    pipeline: str = "cbdnet",
    seed: int = 0,
    jpeg: int | Sequence[int] | None = None,
    sigma: float | Sequence[float] | None = None,
    crf_bank: str | PathLike[str] | None = None,
    map_format: str = "png",
    device: str = "cpu",
    progress: bool | None = None,
) -> SynthSummary:
    """Write a noisy image, its noise map and a JSON of parameters for each image of ``source``.

    ``source``: folder, file or glob; ``jpeg``: quality or ``(low, high)`` (any pipeline);
    ``sigma``: AWGN sigma or range in [0, 1] units (default 0..50/255); ``crf_bank``: folder of
    CBDNet's DoRF .mat files (default: the built-in curves). Gray images are noised as RGB by
    the camera pipelines; odd sizes are padded by replication for unprocessing and cropped back.
    """
    if map_format not in MAP_FORMATS:
        raise RestoreKitError(f"map format must be one of {', '.join(MAP_FORMATS)}")
    model = build_pipeline(pipeline, jpeg=jpeg, sigma=sigma, crf_bank=crf_bank)
    paths = list_images(source)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise RestoreKitError("the output exists and is not a folder", out)
    if any(p.parent.resolve() == out.resolve() for p in paths):
        raise RestoreKitError("the output folder must differ from the input folder", out)
    stems = [p.stem for p in paths]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise RestoreKitError(f"several inputs share the name(s) {', '.join(clashes)}", source)
    try:
        dev = torch.device(device)
        torch.empty(0, device=dev)
    except (RuntimeError, AssertionError) as err:
        raise RestoreKitError(f"device '{device}' is not usable: {err}") from None
    out.mkdir(parents=True, exist_ok=True)

    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    summary = SynthSummary([], [], [])
    for path in tqdm(
        paths, desc=f"synth {pipeline}", unit="img", disable=not show, file=sys.stderr
    ):
        image, meta = read_image(path)
        x = torch.from_numpy(image)[None].to(dev)
        if x.shape[1] == 1 and pipeline in CAMERA_PIPELINES:
            x = x.expand(1, 3, *x.shape[2:]).contiguous()
        h, w = x.shape[2:]
        generator = torch.Generator(dev).manual_seed(image_seed(seed, path.name))
        result = model(_pad_even(x) if pipeline == "unprocess" else x, generator)
        noisy = result.noisy[0, :, :h, :w].clamp(0.0, 1.0).cpu()
        noise_map = result.noise_map[0, :, :h, :w].float().cpu().numpy()

        noisy_path = out / f"{path.stem}.png"
        write_image(noisy_path, noisy, bit_depth=meta.bit_depth)
        if map_format == "png":
            map_path = out / f"{path.stem}_noise.png"
            write_image(map_path, noise_map, bit_depth=16)
        else:
            map_path = out / f"{path.stem}_noise.npy"
            atomic_write_bytes(map_path, _map_bytes(noise_map))
        record: dict[str, Any] = {
            "source": str(path),
            "noisy": noisy_path.name,
            "noise_map": map_path.name,
            "noise_map_units": (
                "16-bit PNG: value / 65535 = noise level in [0, 1] image units (clipped at 1)"
                if map_format == "png"
                else "float32 C x H x W noise level in [0, 1] image units"
            ),
            "noise_map_max": float(noise_map.max()),
            "pipeline": pipeline,
            "model": model.config(),
            "seed": seed,
            "image_seed": image_seed(seed, path.name),
            "device": str(dev),
            "params": model.describe(result.params, 0),
            "restorekit": __version__,
        }
        json_path = out / f"{path.stem}.json"
        atomic_write_text(json_path, json.dumps(record, indent=2) + "\n")
        summary.noisy.append(noisy_path)
        summary.noise_maps.append(map_path)
        summary.sidecars.append(json_path)
    return summary
