"""Named metric variants: how an output is quantised and scored against its clean image.

Restoration papers differ less in their networks than in how they score them (8-bit rounding or
float, clamped or not, all channels or Y, a border or none, which SSIM). Every protocol names the
variant(s) it uses, and the report writes the variant next to each number (house rule 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from restorekit.errors import RestoreKitError
from restorekit.metrics import psnr, ssim

QUANTIZE = ("uint8", "clamp01", "none")
PEAKS = ("fixed", "basicsr")


@dataclass(frozen=True)
class Score:
    """Metric values for one output: ``ssim`` is None when the variant computes PSNR only."""

    psnr: float
    ssim: float | None = None
    note: str = ""


@dataclass(frozen=True)
class MetricSpec:
    """One metric variant.

    ``quantize``: "uint8" clamps the output to [0, 1], scales by 255 and rounds half-to-even
    (numpy/torch ``round``, as BasicSR's ``tensor2img``), the clean image likewise (exact for
    8-bit sources), then scores with data range 255; "clamp01" clamps to [0, 1] and scores the
    float values with data range 1 (MPRNet/Restormer SIDD protocol); "none" scores the raw float
    output. ``peak``: "fixed" uses the data range above; "basicsr" reproduces BasicSR's
    ``calculate_psnr`` rule ``max = 1 if prediction.max() <= 1 else 255`` (HINet's official
    SIDD validation), and notes every image scored with 255. ``crop_border`` pixels are dropped
    on every side; ``y_channel`` scores BT.601 luma of RGB images (ignored for gray).
    """

    name: str
    quantize: str = "uint8"
    peak: str = "fixed"
    compute_ssim: bool = True
    crop_border: int = 0
    y_channel: bool = False

    def __post_init__(self) -> None:
        if self.quantize not in QUANTIZE:
            raise RestoreKitError(f"metric quantize must be one of {QUANTIZE}, got {self.quantize}")
        if self.peak not in PEAKS:
            raise RestoreKitError(f"metric peak must be one of {PEAKS}, got {self.peak}")
        if self.peak == "basicsr" and self.quantize != "none":
            raise RestoreKitError("the BasicSR peak rule only applies to unquantised outputs")
        if self.crop_border < 0:
            raise RestoreKitError(f"crop border must be >= 0, got {self.crop_border}")

    @property
    def data_range(self) -> float:
        """The data range the arrays are scored in (255 for uint8, else 1)."""
        return 255.0 if self.quantize == "uint8" else 1.0

    def text(self) -> str:
        """One sentence for the report saying exactly how the numbers were computed."""
        what = "PSNR and SSIM" if self.compute_ssim else "PSNR only"
        if self.quantize == "uint8":
            how = (
                "output clamped to [0,1], x255, rounded half-to-even to uint8 (clean likewise); "
                "data range 255"
            )
        elif self.quantize == "clamp01":
            how = "output clamped to [0,1], not rounded (float); data range 1"
        elif self.peak == "basicsr":
            how = (
                "raw float output, not clamped nor rounded; peak 1 unless the prediction's max "
                "exceeds 1, then 255 (BasicSR calculate_psnr rule, reproduced as is)"
            )
        else:
            how = "raw float output, not clamped nor rounded; data range 1"
        channels = "Y (BT.601) of RGB" if self.y_channel else "all channels (RGB or gray)"
        ssim_kind = ""
        if self.compute_ssim:
            ssim_kind = (
                "; SSIM = restorekit.metrics.ssim (Gaussian 11x11 sigma 1.5, valid windows, "
                "channels averaged: Wang's ssim_index.m = BasicSR/KAIR calculate_ssim; not "
                "MathWorks' ssim used by MATLAB-only scripts such as evaluate_sidd.m)"
            )
        return (
            f"{what}; {how}; {channels}; border {self.crop_border} px{ssim_kind}; "
            "the mean over images of per-image values"
        )

    def describe(self) -> dict[str, Any]:
        """All fields plus the sentence, for report.json."""
        return {
            "name": self.name,
            "quantize": self.quantize,
            "peak": self.peak,
            "ssim": self.compute_ssim,
            "crop_border": self.crop_border,
            "y_channel": self.y_channel,
            "text": self.text(),
        }

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """``image`` (CHW float, any range) quantised as this variant scores it, in float64."""
        x = np.asarray(image, dtype=np.float64)
        if self.quantize == "uint8":
            return np.round(np.clip(x, 0.0, 1.0) * 255.0)
        if self.quantize == "clamp01":
            return np.clip(x, 0.0, 1.0)
        return x

    def score(self, output: np.ndarray, clean: np.ndarray) -> Score:
        """Score ``output`` against ``clean`` (both CHW float in [0,1] units)."""
        if output.shape != clean.shape:
            raise RestoreKitError(
                f"output shape {tuple(output.shape)} differs from clean {tuple(clean.shape)}"
            )
        pred = self.prepare(output)
        ref = self.prepare(clean) if self.quantize == "uint8" else np.asarray(clean, np.float64)
        y = self.y_channel and pred.shape[0] == 3
        data_range = self.data_range
        note = ""
        if self.peak == "basicsr" and pred.max() > 1.0:
            data_range, note = 255.0, "peak=255 (prediction max > 1, BasicSR rule)"
        options = {"crop_border": self.crop_border, "y_channel": y}
        try:
            value = psnr(pred, ref, data_range=data_range, **options)
            structural = None
            if self.compute_ssim:
                structural = ssim(pred, ref, data_range=self.data_range, **options)
        except ValueError as err:
            raise RestoreKitError(f"metric '{self.name}': {err}") from None
        return Score(float(value), None if structural is None else float(structural), note)


def uint8_metric(crop_border: int = 0, y_channel: bool = False) -> MetricSpec:
    """The 8-bit protocol of the Gaussian and real-pair benchmarks (KAIR, Restormer, GoPro)."""
    name = "uint8" + ("-y" if y_channel else "") + (f"-b{crop_border}" if crop_border else "")
    return MetricSpec(name, quantize="uint8", crop_border=crop_border, y_channel=y_channel)


SIDD_HINET_FLOAT = MetricSpec("hinet-float", quantize="none", peak="basicsr", compute_ssim=False)
"""HINet/NAFNet official SIDD validation: PSNR on the raw float output (use_image: false)."""

SIDD_CLAMP01 = MetricSpec("clamp01", quantize="clamp01")
"""MPRNet/Restormer SIDD validation: output clamped to [0,1], float PSNR and SSIM, range 1."""
