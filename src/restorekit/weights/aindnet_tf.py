"""Convert AINDNet's released TF 1.8 checkpoint variables to restorekit state-dict keys.

The official model (terryoo/AINDNet, ``code/model.py``) names its variables after TF scopes
(``fcn_avg/conv1/weights``, ``AINDNet/AINRes3_5/AIN_2/conv_beta/kernel``, ...). ``AINDNET_TF_KEYS``
maps every key of ``restorekit.models.aindnet.AINDNet`` onto one of those names, and
``convert_tf_aindnet`` turns a ``{tf_name: ndarray}`` dict (e.g. read with
``tf.train.load_checkpoint(...).get_tensor``) into a state dict that loads strictly. The full
table and its caveats are in ``docs/aindnet_tf_mapping.md``.

Released weights expect TF's own operator semantics: build the model with ``TF_MODEL_KWARGS``.
The names are derived from the released code; no checkpoint was available to verify them, and the
transposed-conv filter names (``AINDNet/deconv4_1``, ``AINDNet/deconv5_1``) are the least certain
(both spellings with and without ``_1`` are accepted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor

from restorekit.errors import RestoreKitError
from restorekit.models.aindnet import STAGE_BLOCKS

# Model options that reproduce the TF graph: TF-1.8 bilinear resize, no padding (SAME pooling
# and cropped transposed convs handle odd sizes as TF does).
TF_MODEL_KWARGS: dict[str, object] = {"resize": "tf_legacy", "pad": False}

_SLIM = {"weight": "weights", "bias": "biases"}  # tf.contrib.slim.conv2d variable names
_LAYERS = {"weight": "kernel", "bias": "bias"}  # tf.layers.conv2d variable names


def _build_table() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(our key -> TF name, our key -> accepted alternative TF names)."""
    table: dict[str, str] = {}
    aliases: dict[str, tuple[str, ...]] = {}

    def slim(ours: str, tf_scope: str) -> None:
        for param, tf_param in _SLIM.items():
            table[f"{ours}.{param}"] = f"{tf_scope}/{tf_param}"

    def layers(ours: str, tf_scope: str) -> None:
        for param, tf_param in _LAYERS.items():
            table[f"{ours}.{param}"] = f"{tf_scope}/{tf_param}"

    for k in range(1, 8):
        slim(f"est.conv{k}", f"fcn_avg/conv{k}")
    for ours, tf_scope in (("head1", "conv1_1"), ("head2", "conv2_1"), ("head3", "conv3_1")):
        slim(f"rec.{ours}", f"AINDNet/{tf_scope}")
    for stage, count in enumerate(STAGE_BLOCKS, start=1):
        for index in range(count):
            block, tf_block = f"rec.blocks{stage}.{index}", f"AINDNet/AINRes{stage}_{index + 1}"
            for k in (1, 2):
                for conv in ("conv1", "conv_gamma", "conv_beta"):
                    layers(f"{block}.ain{k}.{conv}", f"{tf_block}/AIN_{k}/{conv}")
                layers(f"{block}.conv{k}", f"{tf_block}/conv{k}")
    for level in (4, 5):
        slim(f"rec.up{level}.skip.conv1", f"AINDNet/deconv{level}/Conv")
        slim(f"rec.up{level}.skip.conv2", f"AINDNet/deconv{level}/Conv_1")
        # tf.Variable(name="deconv4") inside scope AINDNet, after variable_scope("deconv4") took
        # that name: TF uniquifies it to "deconv4_1" [UNVERIFIED].
        key = f"rec.up{level}.deconv.weight"
        table[key] = f"AINDNet/deconv{level}_1"
        aliases[key] = (f"AINDNet/deconv{level}",)
    slim("rec.tail", "AINDNet/conv6")
    return table, aliases


AINDNET_TF_KEYS, AINDNET_TF_ALIASES = _build_table()

# Checkpoint entries that are training state, not weights (Adam slots, step counters).
_TRAINING_STATE = re.compile(
    r"(^|/)(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+)$|^(beta[12]_power(_\d+)?|global_step)$"
)


def convert_tf_aindnet(
    tf_vars: Mapping[str, np.ndarray], *, strict: bool = True
) -> dict[str, Tensor]:
    """Map TF variables ``{name: array}`` to an AINDNet state dict (float32, contiguous).

    Kernels are permuted from TF ``[kh, kw, in, out]`` (conv) and ``[kh, kw, out, in]``
    (conv2d_transpose) to torch ``[out, in, kh, kw]`` and ``[in, out, kh, kw]``, both
    ``transpose(3, 2, 0, 1)``; biases are copied. Names may carry TF's ``:0`` suffix. Optimizer
    slots and step counters are skipped; any other unknown name is an error when ``strict``.
    Raises ``RestoreKitError`` for missing variables or arrays of the wrong rank.
    """
    named = {name.removesuffix(":0"): value for name, value in tf_vars.items()}
    used: set[str] = set()
    missing: list[str] = []
    state: dict[str, Tensor] = {}
    for key, tf_name in AINDNET_TF_KEYS.items():
        found = next((n for n in (tf_name, *AINDNET_TF_ALIASES.get(key, ())) if n in named), None)
        if found is None:
            missing.append(tf_name)
            continue
        used.add(found)
        array = np.asarray(named[found], dtype=np.float32)
        expected = 1 if key.endswith(".bias") else 4
        if array.ndim != expected:
            raise RestoreKitError(
                f"TF variable {found} has shape {array.shape}; expected a {expected}-D array"
            )
        if expected == 4:
            array = array.transpose(3, 2, 0, 1)
        state[key] = torch.from_numpy(np.ascontiguousarray(array))
    if missing:
        raise RestoreKitError(
            f"not an AINDNet TF checkpoint: {len(missing)} variable(s) missing, "
            f"e.g. {', '.join(missing[:3])}"
        )
    unknown = sorted(n for n in named if n not in used and not _TRAINING_STATE.search(n))
    if strict and unknown:
        raise RestoreKitError(
            f"unexpected variable(s) in AINDNet TF checkpoint: {', '.join(unknown[:3])}"
            + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        )
    return state
