"""HINet: Half Instance Normalization Network for image restoration.

Chen, Lu, Zhang, Chu, Chen, "HINet: Half Instance Normalization Network for Image Restoration",
CVPR Workshops (NTIRE) 2021, arXiv:2105.06086.

Two U-Nets in sequence. Stage 1 restores the image and a supervised attention module (SAM)
passes its features on; stage 2 restarts from the input, fuses stage-1 encoder and decoder
features at each scale (cross-stage feature fusion, CSFF) and produces the final image. Encoder
blocks at levels ``hin_position_left..hin_position_right`` instance-normalise the first half of
their channels (HIN). Attribute names follow the official BasicSR release, so its
``{'params': state_dict}`` files load strictly (see ``restorekit.weights.official``).

Differences from the official module, none of which changes keys or outputs at the defaults:

- Any input size: the input is reflect-padded to a multiple of ``native_size_multiple``
  (``2 ** (depth - 1)``) and the outputs are cropped back (the official code requires it).
- ``extra_blocks`` (the NTIRE 2021 "deeper" option): that many plain residual blocks after every
  encoder and decoder block of both stages (keys ``*.extra.{k}.*``); the default 0 adds none.
- ``in_chn`` also sets the channels of SAM's image convolutions (hard-coded to 3 officially), so
  grey models work; with ``in_chn=3`` the two coincide.

Ablation variants are constructor options (defaults = the released network); each drops or swaps
only the modules it names:

- ``norm``, the normalisation of the encoder blocks at the HIN levels: ``"hin"`` (released: IN
  with affine on the first half of the channels), ``"in"`` (IN with affine on all channels),
  ``"bn"`` (``BatchNorm2d`` with running statistics on the first half), ``"none"``.
- ``stages=1``: one U-Net (``conv_01``, ``down_path_1``, ``up_path_1``, ``skip_conv_1``) whose
  image comes from ``last``; no SAM, no CSFF, one image in ``stages``. ``csff`` and ``sam``
  apply to two stages only.
- ``csff=False``: stage 2 without cross-stage feature fusion (no ``csff_enc``/``csff_dec``).
- ``sam=False``: no supervised attention; stage 1's image comes from a 3x3 conv ``last_1`` on
  its last features (still supervised), and those features go to stage 2 ungated.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from restorekit.models.layers import pad_to_size, round_up
from restorekit.models.layers.norm import InstanceNorm2d
from restorekit.models.output import RestorationOutput
from restorekit.models.registry import register_model

NORMS = ("hin", "in", "bn", "none")


def _conv3x3(in_ch: int, out_ch: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=bias)


def _block_norm(norm: str, channels: int, level: int) -> nn.Module | None:
    """The normalisation of an encoder block (``norm`` as in the module docstring), or None.

    Instance norms can use local statistics (TLC, ``restorekit.models.layers.norm``), scaled to
    their level; they keep no running statistics, so eval mode uses instance statistics too.
    """
    if norm == "none":
        return None
    if norm == "bn":
        return nn.BatchNorm2d(channels // 2)
    layer = InstanceNorm2d(channels if norm == "in" else channels // 2, affine=True)
    layer.stats_scale = 0.5**level
    return layer


class UNetConvBlock(nn.Module):
    """Residual block: two 3x3 convs (optionally HIN after the first) plus a 1x1 identity conv.

    ``norm`` is applied to the first ``norm.num_features`` channels after ``conv_1``: half of
    them for HIN and half batch norm, all of them for ``"in"``.

    ``forward`` returns the block's features before down-sampling (the skip feature); the caller
    applies ``downsample`` (a 4x4 stride-2 conv without bias) when the block has one.
    """

    def __init__(
        self,
        in_size: int,
        out_size: int,
        downsample: bool,
        relu_slope: float,
        use_csff: bool = False,
        norm: str = "none",
        extra_blocks: int = 0,
        level: int = 0,
    ) -> None:
        super().__init__()
        self.identity = nn.Conv2d(in_size, out_size, 1)
        self.conv_1 = _conv3x3(in_size, out_size)
        self.relu_1 = nn.LeakyReLU(relu_slope)
        self.conv_2 = _conv3x3(out_size, out_size)
        self.relu_2 = nn.LeakyReLU(relu_slope)
        self.csff_enc = _conv3x3(out_size, out_size) if downsample and use_csff else None
        self.csff_dec = _conv3x3(out_size, out_size) if downsample and use_csff else None
        self.norm = _block_norm(norm, out_size, level)
        self.extra = nn.ModuleList(
            UNetConvBlock(out_size, out_size, False, relu_slope) for _ in range(extra_blocks)
        )
        self.downsample = None
        if downsample:
            self.downsample = nn.Conv2d(out_size, out_size, 4, stride=2, padding=1, bias=False)

    def forward(self, x: Tensor, enc: Tensor | None = None, dec: Tensor | None = None) -> Tensor:
        """Features of ``x``; in stage 2, stage-1 features ``enc`` and ``dec`` are fused in."""
        out = self.conv_1(x)
        if self.norm is not None:
            half = self.norm.num_features
            if half == out.shape[1]:
                out = self.norm(out)
            else:
                out = torch.cat([self.norm(out[:, :half]), out[:, half:]], dim=1)
        out = self.relu_1(out)
        out = self.relu_2(self.conv_2(out))
        out = out + self.identity(x)
        if enc is not None and dec is not None and self.csff_enc is not None:
            out = out + self.csff_enc(enc) + self.csff_dec(dec)
        for block in self.extra:
            out = block(out)
        return out


class UNetUpBlock(nn.Module):
    """Decoder block: 2x2 transposed-conv up-sampling, concatenation with the skip, conv block."""

    def __init__(self, in_size: int, out_size: int, relu_slope: float, extra_blocks: int = 0):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_size, out_size, 2, stride=2)
        self.conv_block = UNetConvBlock(
            in_size, out_size, False, relu_slope, extra_blocks=extra_blocks
        )

    def forward(self, x: Tensor, bridge: Tensor) -> Tensor:
        """Up-sample ``x`` and merge it with the (already convolved) encoder skip ``bridge``."""
        return self.conv_block(torch.cat([self.up(x), bridge], dim=1))


class SAM(nn.Module):
    """Supervised attention module: the stage-1 image and attention-gated features for stage 2."""

    def __init__(self, n_feat: int, in_chn: int = 3) -> None:
        super().__init__()
        self.conv1 = _conv3x3(n_feat, n_feat)
        self.conv2 = _conv3x3(n_feat, in_chn)
        self.conv3 = _conv3x3(in_chn, n_feat)

    def forward(self, x: Tensor, x_img: Tensor) -> tuple[Tensor, Tensor]:
        """Return (gated features, stage-1 image) for features ``x`` and input image ``x_img``."""
        image = self.conv2(x) + x_img
        attention = torch.sigmoid(self.conv3(image))
        return self.conv1(x) * attention + x, image


class HINet(nn.Module):
    """Two-stage HINet; ``forward`` returns both stage images, the last being the result.

    ``wf`` is the base width (32 = "0.5x", 64 = "1x", 128 = "2x"), ``depth`` the number of
    encoder levels (level ``i`` has ``2**i * wf`` channels), HIN is used at encoder levels
    ``hin_position_left..hin_position_right`` (SIDD/Rain13k releases: 0..4, GoPro/REDS: 3..4),
    and ``extra_blocks`` adds residual blocks per level for the NTIRE "deeper" variant.
    ``norm``, ``stages``, ``csff`` and ``sam`` select the ablation variants (module docstring).
    """

    def __init__(
        self,
        in_chn: int = 3,
        wf: int = 64,
        depth: int = 5,
        relu_slope: float = 0.2,
        hin_position_left: int = 0,
        hin_position_right: int = 4,
        extra_blocks: int = 0,
        norm: str = "hin",
        stages: int = 2,
        csff: bool = True,
        sam: bool = True,
    ) -> None:
        super().__init__()
        if in_chn < 1 or wf < 2 or depth < 1 or extra_blocks < 0 or stages not in (1, 2):
            raise ValueError(
                f"HINet needs in_chn >= 1, wf >= 2, depth >= 1, extra_blocks >= 0, stages 1 or "
                f"2; got in_chn={in_chn}, wf={wf}, depth={depth}, extra_blocks={extra_blocks}, "
                f"stages={stages}"
            )
        if norm not in NORMS:
            raise ValueError(f"HINet norm must be one of {', '.join(NORMS)}, got {norm!r}")
        self.in_chn = in_chn
        self.depth = depth
        self.native_size_multiple = 2 ** (depth - 1)
        hin_levels = [i for i in range(depth) if hin_position_left <= i <= hin_position_right]
        self._deepest_hin = None if norm == "none" else max(hin_levels, default=None)
        two = stages == 2
        # Stage-2 modules are created between their stage-1 twins: the released key order.
        self.down_path_1 = nn.ModuleList()
        self.down_path_2 = nn.ModuleList() if two else None
        self.conv_01 = _conv3x3(in_chn, wf)
        self.conv_02 = _conv3x3(in_chn, wf) if two else None
        prev = wf
        for i in range(depth):
            width = 2**i * wf
            down = i + 1 < depth
            level_norm = norm if i in hin_levels else "none"
            self.down_path_1.append(
                UNetConvBlock(prev, width, down, relu_slope, False, level_norm, extra_blocks, i)
            )
            if self.down_path_2 is not None:
                self.down_path_2.append(
                    UNetConvBlock(
                        prev, width, down, relu_slope, down and csff, level_norm, extra_blocks, i
                    )
                )
            prev = width

        self.up_path_1 = nn.ModuleList()
        self.up_path_2 = nn.ModuleList() if two else None
        self.skip_conv_1 = nn.ModuleList()
        self.skip_conv_2 = nn.ModuleList() if two else None
        for i in reversed(range(depth - 1)):
            width = 2**i * wf
            self.up_path_1.append(UNetUpBlock(prev, width, relu_slope, extra_blocks))
            if self.up_path_2 is not None:
                self.up_path_2.append(UNetUpBlock(prev, width, relu_slope, extra_blocks))
            self.skip_conv_1.append(_conv3x3(width, width))
            if self.skip_conv_2 is not None:
                self.skip_conv_2.append(_conv3x3(width, width))
            prev = width
        self.sam12 = SAM(prev, in_chn) if two and sam else None
        self.last_1 = _conv3x3(prev, in_chn) if two and not sam else None
        self.cat12 = nn.Conv2d(prev * 2, prev, 1) if two else None
        self.last = _conv3x3(prev, in_chn)

    def forward(self, x: Tensor) -> RestorationOutput:
        """Restore (N, C, H, W) of any H, W: pad, run the stages, crop back."""
        h, w = x.shape[-2:]
        m = self.native_size_multiple
        padded_h, padded_w = round_up(h, m), round_up(w, m)
        if self._deepest_hin is not None:
            # Instance norm needs more than one value per channel at the deepest HIN level.
            scale = 2**self._deepest_hin
            while (padded_h // scale) * (padded_w // scale) < 2:
                padded_w += m
        outputs = self.forward_stages(pad_to_size(x, padded_h, padded_w))
        stages = [out[..., :h, :w] for out in outputs]
        return RestorationOutput(image=stages[-1], stages=stages)

    def forward_stages(self, image: Tensor) -> list[Tensor]:
        """The official computation on an image whose H, W are multiples of the native size:
        the stage images, the last one being the result."""
        x1 = self.conv_01(image)
        encs: list[Tensor] = []
        for block in self.down_path_1:
            x1 = block(x1)
            if block.downsample is not None:
                encs.append(x1)
                x1 = block.downsample(x1)
        decs: list[Tensor] = []
        for i, (up, skip_conv) in enumerate(zip(self.up_path_1, self.skip_conv_1, strict=True)):
            x1 = up(x1, skip_conv(encs[-i - 1]))
            decs.append(x1)
        if self.down_path_2 is None:
            return [self.last(x1) + image]
        if self.sam12 is not None:
            features, out_1 = self.sam12(x1, image)
        else:
            features, out_1 = x1, self.last_1(x1) + image

        x2 = self.cat12(torch.cat([self.conv_02(image), features], dim=1))
        skips: list[Tensor] = []
        for i, block in enumerate(self.down_path_2):
            if block.downsample is not None:
                x2 = block(x2, encs[i], decs[-i - 1])
                skips.append(x2)
                x2 = block.downsample(x2)
            else:
                x2 = block(x2)
        for i, (up, skip_conv) in enumerate(zip(self.up_path_2, self.skip_conv_2, strict=True)):
            x2 = up(x2, skip_conv(skips[-i - 1]))
        return [out_1, self.last(x2) + image]


# Registry names. "hinet-{0.5x,1x,2x}" use HIN at levels 0-4 like the SIDD and Rain13k releases
# (HINet-SIDD-0.5x.pth -> hinet-0.5x; HINet-SIDD-1x.pth, HINet-Rain13k.pth -> hinet-1x);
# "-deblur" marks HIN at levels 3-4 like the deblurring releases (HINet-GoPro.pth,
# HINet-REDS.pth -> hinet-1x-deblur). "2x" (wf 128) is the NTIRE 2021 "wider" model; its
# "deeper" option is the ``extra_blocks`` argument of any of these names.
_SIDD_HIN = {"hin_position_left": 0, "hin_position_right": 4}
_DEBLUR_HIN = {"hin_position_left": 3, "hin_position_right": 4}

register_model(
    "hinet",
    HINet,
    description="HINet with the constructor defaults (wf 64, depth 5, HIN at levels 0-4)",
)
for _tag, _wf in (("0.5x", 32), ("1x", 64), ("2x", 128)):
    register_model(
        f"hinet-{_tag}",
        HINet,
        defaults={"wf": _wf, **_SIDD_HIN},
        description=f"HINet {_tag} (wf {_wf}), HIN at levels 0-4 as the SIDD/Rain13k releases",
    )
    register_model(
        f"hinet-{_tag}-deblur",
        HINet,
        defaults={"wf": _wf, **_DEBLUR_HIN},
        description=f"HINet {_tag} (wf {_wf}), HIN at levels 3-4 as the GoPro/REDS releases",
    )
