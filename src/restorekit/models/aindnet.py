"""AINDNet: a noise-level estimator feeding a U-Net of adaptive-instance-normalisation blocks.

Kim, Soh, Park and Cho, "Transfer Learning from Synthetic to Real-Noise Denoising with Adaptive
Instance Normalization", CVPR 2020. The layout follows the released TF 1.8 code (terryoo/AINDNet,
``code/model.py``), not the paper where the two differ: the coarse noise map is at H/8, AIN's
gamma/beta heads are parallel and the noise map is resized bilinearly. State-dict keys map one to
one onto the TF variable names (``docs/aindnet_tf_mapping.md``, ``restorekit.weights.aindnet_tf``).

Shapes: input (N, C, H, W) with C = ``in_channels`` (3 for RGB, 1 for gray); every noise map has
C channels as well. With ``width=64`` and RGB the network has 13,764,014 parameters.

Ablation variants (paper Table 6 and our own) are constructor options; the defaults are the
released network, and each option only adds, drops or swaps the modules it names:

- ``norm`` (the normalisation inside every residual block; its slots keep the keys ``ain1`` and
  ``ain2`` whatever they hold): ``"ain"`` (released); ``"in"``: instance norm with a learned
  per-channel affine, no noise map; ``"concat"`` (the paper's "IN+Concat", CBDNet style): the
  same IN blocks, the noise map concatenated to the input of the reconstruction U-Net;
  ``"gated"`` (the paper's "Gated-ResBlock", which its text does not define; ours, see
  :class:`GatedIN`): affine IN scaled by a sigmoid gate computed from the noise map;
  ``"none"``: no normalisation. With ``"in"`` and ``"none"`` the estimator still runs and is
  trained by its own loss, but the image does not depend on it.
- ``estimator``: ``"two_scale"`` (released: 0.8 coarse + 0.2 fine); ``"fine_only"``: the fine
  map (conv7) alone feeds the U-Net; ``"none"``: no estimator, the model takes the ground-truth
  map of synthetic noise, ``model(x, noise_map=m)`` (an upper bound; the trainer passes
  ``batch["noise_map"]`` to every model whose ``needs_noise_map`` is true).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from restorekit.errors import RestoreKitError
from restorekit.models.layers import pad_to_multiple
from restorekit.models.layers.norm import InstanceNorm2d, LocalStatsMixin, instance_norm
from restorekit.models.layers.tf_compat import avg_pool2d_tf_same, resize_bilinear_tf_legacy
from restorekit.models.output import RestorationOutput
from restorekit.models.registry import register_model

RESIZE_MODES = ("bilinear", "tf_legacy")
NORMS = ("ain", "in", "concat", "gated", "none")
MAP_NORMS = ("ain", "gated")  # block normalisations that read the noise map
ESTIMATORS = ("two_scale", "fine_only", "none")
SIZE_MULTIPLE = 8  # the estimator pools by 4 then 2 (coarse map at H/8), the U-Net by 2 twice
COARSE_WEIGHT = 0.8  # sigma = 0.8 * upsampled coarse map + 0.2 * fine map (paper's lambda_ms)
LEAKY_SLOPE = 0.02
STAGE_BLOCKS = (2, 2, 5, 3, 2)  # AIN-ResBlocks at 1, 1/2, 1/4 (encoder), 1/2, 1 (decoder)


def resize_map(x: Tensor, size: tuple[int, int], mode: str) -> Tensor:
    """Bilinearly resize a noise map to ``size``: PyTorch half-pixel or TF 1.8 legacy sampling."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if mode == "tf_legacy":
        return resize_bilinear_tf_legacy(x, size)
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


@torch.no_grad()
def _trunc_normal_(weight: Tensor, std: float) -> None:
    """Fill with N(0, std^2) truncated at two std (as ``tf.truncated_normal``) by redrawing the
    values outside; much faster on CPU than ``nn.init.trunc_normal_`` (erfinv)."""
    if weight.is_meta:  # shape-only construction (parameter counting): nothing to draw
        return
    flat = weight.view(-1).normal_(0.0, std)
    redraw = (flat.abs() > 2 * std).nonzero().squeeze(1)
    while redraw.numel():
        values = torch.randn(redraw.numel(), dtype=flat.dtype, device=flat.device) * std
        flat[redraw] = values
        redraw = redraw[values.abs() > 2 * std]


def _init_xavier(conv: nn.Conv2d) -> None:
    """TF-slim ``conv2d`` default: Glorot uniform kernel, zero bias."""
    nn.init.xavier_uniform_(conv.weight)
    nn.init.zeros_(conv.bias)


def _init_variance_scaling(conv: nn.Conv2d, factor: float = 0.02) -> None:
    """TF-1 contrib ``variance_scaling_initializer(factor)``: fan-in truncated normal, zero bias.

    std = sqrt(1.3 * factor / fan_in) truncated at two std (the 1.3 undoes the truncation), so
    AIN's gamma/beta start near zero and every AIN starts close to plain instance norm.
    """
    fan_in = conv.weight[0].numel()
    std = math.sqrt(1.3 * factor / fan_in)
    _trunc_normal_(conv.weight, std)
    nn.init.zeros_(conv.bias)


def _conv(cin: int, cout: int, kernel: int) -> nn.Conv2d:
    """A stride-1 convolution with TF ``SAME`` zero padding (odd kernels)."""
    return nn.Conv2d(cin, cout, kernel, padding=kernel // 2)


class NoiseEstimator(nn.Module):
    """Noise-level estimator (TF ``FCN_Avg``, scope ``fcn_avg``): 29,675 parameters for RGB.

    conv1, conv2 -> avg-pool 4 -> conv3, conv4 -> avg-pool 2 -> conv5 = coarse map (H/8);
    coarse upsampled to H x W -> conv6, conv7 = fine map. ReLU after every conv, outputs included.
    Pooling has TF ``SAME`` semantics (output ``ceil(H / s)``; plain averaging on multiples of 8).
    ``fine_only`` makes sigma the fine map alone (the ``estimator="fine_only"`` ablation).
    """

    def __init__(
        self, channels: int = 3, width: int = 32, resize: str = "bilinear", fine_only: bool = False
    ) -> None:
        super().__init__()
        self.resize = resize
        self.fine_only = fine_only
        self.conv1 = _conv(channels, width, 3)
        self.conv2 = _conv(width, width, 3)
        self.conv3 = _conv(width, width, 3)
        self.conv4 = _conv(width, width, 3)
        self.conv5 = _conv(width, channels, 3)
        self.conv6 = _conv(channels, channels, 3)
        self.conv7 = _conv(channels, channels, 3)
        for conv in self.children():
            _init_xavier(conv)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(coarse at ceil(H/8), fine at H, sigma = 0.8 * upsampled coarse + 0.2 * fine)."""
        size = (x.shape[-2], x.shape[-1])
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = avg_pool2d_tf_same(h, 4, 4)
        h = F.relu(self.conv4(F.relu(self.conv3(h))))
        h = avg_pool2d_tf_same(h, 2, 2)
        coarse = F.relu(self.conv5(h))
        up = resize_map(coarse, size, self.resize)
        fine = F.relu(self.conv7(F.relu(self.conv6(up))))
        if self.fine_only:
            return coarse, fine, fine
        sigma = COARSE_WEIGHT * up + (1.0 - COARSE_WEIGHT) * fine
        return coarse, fine, sigma


class AIN(nn.Module, LocalStatsMixin):
    """Adaptive instance normalisation: ``IN(h) * (1 + gamma) + beta`` with gamma, beta from sigma.

    The noise map is resized to the feature's size, then conv1 (5x5) + ReLU feeds two parallel
    3x3 heads ``conv_gamma`` and ``conv_beta`` (the released code; the paper draws them in series).
    IN has no affine part, eps 1e-5 and the biased variance, as ``tf.nn.moments`` (written out
    rather than ``F.instance_norm``, which refuses 1x1 feature maps), or local statistics (TLC,
    ``restorekit.models.layers.norm``).
    """

    def __init__(
        self, channels: int, map_channels: int = 3, hidden: int = 64, resize: str = "bilinear"
    ) -> None:
        super().__init__()
        self.resize = resize
        self.conv1 = _conv(map_channels, hidden, 5)
        self.conv_gamma = _conv(hidden, channels, 3)
        self.conv_beta = _conv(hidden, channels, 3)
        for conv in (self.conv1, self.conv_gamma, self.conv_beta):
            _init_variance_scaling(conv)

    def forward(self, x: Tensor, noise_map: Tensor) -> Tensor:
        """Normalise ``x`` (N, C, H', W') and modulate it by ``noise_map`` (any size)."""
        m = resize_map(noise_map, (x.shape[-2], x.shape[-1]), self.resize)
        t = F.relu(self.conv1(m), inplace=True)
        # Both heads as one conv (their weights stacked: one pass over t, keys unchanged), and
        # 1 + gamma through gamma's bias shifted by one (saves a full-size addition).
        weight = torch.cat([self.conv_gamma.weight, self.conv_beta.weight])
        bias = torch.cat([self.conv_gamma.bias + 1, self.conv_beta.bias])
        scale, shift = F.conv2d(t, weight, bias, padding=1).chunk(2, dim=1)
        return torch.addcmul(shift, instance_norm(x, window=self.window), scale)


class GatedIN(nn.Module):
    """The ``norm="gated"`` baseline: ``IN_affine(h) * 2 * sigmoid(g)``, g computed from sigma.

    The paper's "Gated-ResBlock" (Table 6) is not defined in its text; this is our definition.
    The gate branch mirrors AIN's (noise map resized to the feature, 5x5 conv ``conv1`` + ReLU,
    3x3 head ``conv_gate``, same near-zero initialisation), so the two differ only in how the map
    acts: a bounded multiplicative gate on affine IN instead of a free scale and shift. The 2
    makes the gate 1 at initialisation, so the block starts as the ``norm="in"`` block.
    """

    def __init__(
        self, channels: int, map_channels: int = 3, hidden: int = 64, resize: str = "bilinear"
    ) -> None:
        super().__init__()
        self.resize = resize
        self.norm = InstanceNorm2d(channels, affine=True)
        self.conv1 = _conv(map_channels, hidden, 5)
        self.conv_gate = _conv(hidden, channels, 3)
        for conv in (self.conv1, self.conv_gate):
            _init_variance_scaling(conv)

    def forward(self, x: Tensor, noise_map: Tensor) -> Tensor:
        """Normalise ``x`` (N, C, H', W') and gate it by ``noise_map`` (any size)."""
        m = resize_map(noise_map, (x.shape[-2], x.shape[-1]), self.resize)
        gate = torch.sigmoid(self.conv_gate(F.relu(self.conv1(m), inplace=True)))
        return self.norm(x) * (2.0 * gate)


def _block_norm(norm: str, channels: int, map_channels: int, hidden: int, resize: str) -> nn.Module:
    """One normalisation slot of a residual block for ``norm`` (see the module docstring)."""
    if norm == "ain":
        return AIN(channels, map_channels, hidden, resize)
    if norm == "gated":
        return GatedIN(channels, map_channels, hidden, resize)
    if norm == "none":
        return nn.Identity()
    return InstanceNorm2d(channels, affine=True)  # "in" and "concat"


class AINResBlock(nn.Module):
    """Pre-activation residual block: (AIN -> LeakyReLU(0.02) -> conv3x3) twice, plus identity.

    ``norm`` swaps AIN for another normalisation (module docstring); ``ain1``/``ain2`` keep
    their names so the released keys stay as they are.
    """

    def __init__(
        self,
        channels: int,
        map_channels: int = 3,
        hidden: int = 64,
        resize: str = "bilinear",
        norm: str = "ain",
    ) -> None:
        super().__init__()
        self.uses_map = norm in MAP_NORMS
        self.inplace = norm != "none"  # activate in place only a fresh tensor, never x itself
        self.ain1 = _block_norm(norm, channels, map_channels, hidden, resize)
        self.conv1 = _conv(channels, channels, 3)
        self.ain2 = _block_norm(norm, channels, map_channels, hidden, resize)
        self.conv2 = _conv(channels, channels, 3)
        _init_variance_scaling(self.conv1)
        _init_variance_scaling(self.conv2)

    def _act(self, layer: nn.Module, x: Tensor, noise_map: Tensor) -> Tensor:
        """LeakyReLU of the normalised ``x``."""
        h = layer(x, noise_map) if self.uses_map else layer(x)
        return F.leaky_relu(h, LEAKY_SLOPE, inplace=self.inplace)

    def forward(self, x: Tensor, noise_map: Tensor) -> Tensor:
        h = self.conv1(self._act(self.ain1, x, noise_map))
        h = self.conv2(self._act(self.ain2, h, noise_map))
        return h + x


class SkipResBlock(nn.Module):
    """Plain residual block on a U-Net skip: conv3x3 -> ReLU -> conv3x3, plus identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv(channels, channels, 3)
        self.conv2 = _conv(channels, channels, 3)
        _init_xavier(self.conv1)
        _init_xavier(self.conv2)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(x), inplace=True))


class UpSum(nn.Module):
    """Decoder step (TF ``res_upsample_and_sum``): ``deconv(x) + skip(s)``.

    ``deconv`` is a 2x2 stride-2 transposed conv without bias; its output is cropped to the skip's
    size, which is what TF's ``conv2d_transpose(SAME, output_shape=skip)`` gives for odd sizes.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.skip = SkipResBlock(out_channels)
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2, bias=False)
        _trunc_normal_(self.deconv.weight, 0.02)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        s = self.skip(skip)
        return self.deconv(x)[..., : s.shape[-2], : s.shape[-1]] + s


class Reconstruction(nn.Module):
    """The denoising U-Net (TF ``AINDNet_recon``): 3 scales, 2/2/5/3/2 AIN-ResBlocks.

    head1..3 are the ``conv{1,2,3}_1`` entry convs (+ReLU), blocks1..5 the AIN-ResBlock stages,
    up4/up5 the decoder steps and ``tail`` the final 1x1 conv (``conv6``, no activation).
    Returns the residual only; the caller adds the input. ``norm`` picks the blocks'
    normalisation; with ``"concat"`` head1 takes the input and the noise map stacked (2C).
    """

    def __init__(
        self,
        channels: int = 3,
        width: int = 64,
        resize: str = "bilinear",
        blocks: tuple[int, int, int, int, int] = STAGE_BLOCKS,
        norm: str = "ain",
    ) -> None:
        super().__init__()
        self.resize = resize
        self.concat = norm == "concat"
        c1, c2, c3 = width, 2 * width, 4 * width

        def stage(ch: int, count: int, level: int) -> nn.ModuleList:
            blocks = nn.ModuleList(
                AINResBlock(ch, channels, width, resize, norm) for _ in range(count)
            )
            for module in blocks.modules():
                if isinstance(module, LocalStatsMixin):
                    module.stats_scale = 0.5**level
            return blocks

        self.head1 = _conv(2 * channels if self.concat else channels, c1, 3)
        self.blocks1 = stage(c1, blocks[0], 0)
        self.head2 = _conv(c1, c2, 3)
        self.blocks2 = stage(c2, blocks[1], 1)
        self.head3 = _conv(c2, c3, 3)
        self.blocks3 = stage(c3, blocks[2], 2)
        self.up4 = UpSum(c3, c2)
        self.blocks4 = stage(c2, blocks[3], 1)
        self.up5 = UpSum(c2, c1)
        self.blocks5 = stage(c1, blocks[4], 0)
        self.tail = _conv(c1, channels, 1)
        for conv in (self.head1, self.head2, self.head3, self.tail):
            _init_xavier(conv)

    @staticmethod
    def _run(blocks: nn.ModuleList, x: Tensor, noise_map: Tensor) -> Tensor:
        for block in blocks:
            x = block(x, noise_map)
        return x

    def forward(self, x: Tensor, noise_map: Tensor) -> Tensor:
        """Residual for ``x`` given the full-resolution ``noise_map``."""
        if self.concat:
            x = torch.cat([x, noise_map], dim=1)
        s1 = self._run(self.blocks1, F.relu(self.head1(x)), noise_map)
        h = F.relu(self.head2(avg_pool2d_tf_same(s1, 2, 2)))
        map2 = resize_map(noise_map, (h.shape[-2], h.shape[-1]), self.resize)
        s2 = self._run(self.blocks2, h, map2)
        h = F.relu(self.head3(avg_pool2d_tf_same(s2, 2, 2)))
        map3 = resize_map(noise_map, (h.shape[-2], h.shape[-1]), self.resize)
        h = self._run(self.blocks3, h, map3)
        h = self._run(self.blocks4, self.up4(h, s2), map2)
        h = self._run(self.blocks5, self.up5(h, s1), noise_map)
        return self.tail(h)


class AINDNet(nn.Module):
    """AINDNet: ``image = x + rec(x, est(x))``.

    Args:
        width: base channel width of the U-Net (64 in the paper; scales use width, 2x, 4x) and the
            hidden width of every AIN's 5x5 conv (64 in the paper).
        in_channels: 3 (RGB) or 1 (gray); input, output and noise maps all have this many channels.
        resize: how noise maps are resized: ``"bilinear"`` = ``F.interpolate(mode="bilinear",
            align_corners=False)`` (half-pixel centres; the default, for training) or
            ``"tf_legacy"`` = TF 1.8 ``resize_bilinear`` (for the released TF weights).
        pad: reflect-pad the input to a multiple of 8 and crop back (default). ``False`` runs at the
            native size with TF ``SAME`` pooling and cropped transposed convs, i.e. the TF graph's
            own semantics for odd sizes (use with ``resize="tf_legacy"`` for parity with TF).
        estimator_width: channels of the noise estimator's hidden convs (32 in the paper).
        norm: the residual blocks' normalisation, ``"ain"`` (released), ``"in"``, ``"concat"``,
            ``"gated"`` or ``"none"`` (module docstring).
        estimator: ``"two_scale"`` (released), ``"fine_only"`` or ``"none"`` (ground-truth map
            passed to ``forward``; needs a ``norm`` that reads the map).

    ``forward`` returns ``RestorationOutput`` with ``image``, ``stages=[image]``, ``noise_map``
    (the map the U-Net used, H x W: blended, the fine map or the given one), ``noise_map_fine``
    (conv7, H x W) and ``noise_map_coarse`` (conv5, ceil(H/8) x ceil(W/8): the coarse grid of the
    padded image, which covers the input); the last two are None without an estimator.
    """

    def __init__(
        self,
        width: int = 64,
        in_channels: int = 3,
        resize: str = "bilinear",
        pad: bool = True,
        estimator_width: int = 32,
        norm: str = "ain",
        estimator: str = "two_scale",
    ) -> None:
        super().__init__()
        if in_channels not in (1, 3):
            raise RestoreKitError(f"AINDNet in_channels must be 1 or 3, got {in_channels!r}")
        if resize not in RESIZE_MODES:
            raise RestoreKitError(
                f"AINDNet resize must be one of {', '.join(RESIZE_MODES)}, got {resize!r}"
            )
        for name, value, allowed in (("norm", norm, NORMS), ("estimator", estimator, ESTIMATORS)):
            if value not in allowed:
                raise RestoreKitError(
                    f"AINDNet {name} must be one of {', '.join(allowed)}, got {value!r}"
                )
        if estimator == "none" and norm not in (*MAP_NORMS, "concat"):
            raise RestoreKitError(
                f"AINDNet estimator='none' takes a noise map that norm={norm!r} never reads; "
                "use norm ain, gated or concat"
            )
        for name, value in (("width", width), ("estimator_width", estimator_width)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RestoreKitError(f"AINDNet {name} must be a positive integer, got {value!r}")
        self.in_channels = in_channels
        self.pad = bool(pad)
        self.est = None
        if estimator != "none":
            self.est = NoiseEstimator(
                in_channels, estimator_width, resize, fine_only=estimator == "fine_only"
            )
        self.rec = Reconstruction(in_channels, width, resize, norm=norm)

    @property
    def needs_noise_map(self) -> bool:
        """True without an estimator: ``forward`` then takes the ground-truth ``noise_map``."""
        return self.est is None

    def forward(self, x: Tensor, noise_map: Tensor | None = None) -> RestorationOutput:
        """Denoise ``x`` (N, C, H, W) of any size; outputs are cropped back to H x W.

        ``noise_map`` (the shape of ``x``) is the ground-truth noise level, given exactly when
        the model has no estimator (``needs_noise_map``).
        """
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise RestoreKitError(
                f"AINDNet expects (N, {self.in_channels}, H, W) input, got {tuple(x.shape)}"
            )
        if (noise_map is None) == self.needs_noise_map:
            raise RestoreKitError(
                "AINDNet with estimator='none' needs model(x, noise_map=...)"
                if self.needs_noise_map
                else "this AINDNet estimates its own noise map; call it without noise_map"
            )
        height, width = x.shape[-2:]
        x_in = pad_to_multiple(x, SIZE_MULTIPLE) if self.pad else x
        coarse = fine = None
        if self.est is not None:
            coarse, fine, sigma = self.est(x_in)
            fine = fine[..., :height, :width]
        elif noise_map.shape != x.shape:
            raise RestoreKitError(
                f"AINDNet noise_map must have the input's shape {tuple(x.shape)}, "
                f"got {tuple(noise_map.shape)}"
            )
        else:
            sigma = pad_to_multiple(noise_map, SIZE_MULTIPLE) if self.pad else noise_map
        image = (self.rec(x_in, sigma) + x_in)[..., :height, :width]
        return RestorationOutput(
            image=image,
            stages=[image],
            noise_map=sigma[..., :height, :width],
            noise_map_fine=fine,
            noise_map_coarse=coarse,
        )


def _register() -> None:
    """Register ``aindnet`` and its presets (small widths for CPU training, gray variants)."""
    presets = {
        "aindnet": ({}, "AINDNet (CVPR 2020), RGB, 13.8 M parameters"),
        "aindnet-s": ({"width": 32}, "AINDNet at base width 32"),
        "aindnet-xs": ({"width": 16}, "AINDNet at base width 16, CPU-trainable"),
        "aindnet-gray": ({"in_channels": 1}, "AINDNet, grayscale (AWGN)"),
        "aindnet-xs-gray": ({"width": 16, "in_channels": 1}, "AINDNet-xs, grayscale"),
    }
    for name, (defaults, description) in presets.items():
        register_model(
            name,
            AINDNet,
            defaults=defaults,
            size_multiple=SIZE_MULTIPLE,
            description=description,
        )


_register()
