"""TF variable names -> AINDNet keys: table completeness and a strict-load round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from restorekit.errors import RestoreKitError
from restorekit.models.aindnet import AINDNet
from restorekit.weights.aindnet_tf import (
    AINDNET_TF_KEYS,
    TF_MODEL_KWARGS,
    convert_tf_aindnet,
)


def _tiny(**kwargs: object) -> AINDNet:
    return AINDNet(width=4, estimator_width=4, **{**TF_MODEL_KWARGS, **kwargs}).eval()


def _as_tf(model: AINDNet, deconv_suffix: str = "_1") -> dict[str, np.ndarray]:
    """A fake TF checkpoint: our tensors under TF names, kernels back in TF layout."""
    tf_vars = {}
    for key, value in model.state_dict().items():
        name = AINDNET_TF_KEYS[key]
        if key.endswith("deconv.weight"):
            name = name.removesuffix("_1") + deconv_suffix
        # conv [out,in,kh,kw] -> [kh,kw,in,out]; transposed conv [in,out,kh,kw] -> [kh,kw,out,in]
        tf_vars[name] = value.numpy().transpose(2, 3, 1, 0) if value.ndim == 4 else value.numpy()
    return tf_vars


def test_table_covers_the_full_model_one_to_one() -> None:
    with torch.device("meta"):
        keys = list(AINDNet().state_dict())
    assert sorted(keys) == sorted(AINDNET_TF_KEYS)
    assert len(set(AINDNET_TF_KEYS.values())) == len(AINDNET_TF_KEYS) == 256
    assert AINDNET_TF_KEYS["est.conv1.weight"] == "fcn_avg/conv1/weights"
    assert AINDNET_TF_KEYS["rec.head1.bias"] == "AINDNet/conv1_1/biases"
    assert AINDNET_TF_KEYS["rec.tail.weight"] == "AINDNet/conv6/weights"
    assert (
        AINDNET_TF_KEYS["rec.blocks3.4.ain2.conv_beta.weight"]
        == "AINDNet/AINRes3_5/AIN_2/conv_beta/kernel"
    )
    assert AINDNET_TF_KEYS["rec.blocks4.2.conv1.bias"] == "AINDNet/AINRes4_3/conv1/bias"
    assert AINDNET_TF_KEYS["rec.up5.skip.conv2.weight"] == "AINDNet/deconv5/Conv_1/weights"
    assert AINDNET_TF_KEYS["rec.up4.deconv.weight"] == "AINDNet/deconv4_1"


@pytest.mark.parametrize(("channels", "suffix"), [(3, "_1"), (1, "")])
def test_converted_weights_load_strictly_and_reproduce_outputs(channels: int, suffix: str) -> None:
    torch.manual_seed(0)
    source = _tiny(in_channels=channels)
    tf_vars = _as_tf(source, deconv_suffix=suffix)
    tf_vars["AINDNet/conv6/weights/Adam"] = np.zeros(1, np.float32)  # optimizer state: skipped
    tf_vars["beta1_power"] = np.zeros((), np.float32)
    tf_vars = {f"{k}:0" if k.startswith("fcn") else k: v for k, v in tf_vars.items()}

    torch.manual_seed(1)
    target = _tiny(in_channels=channels)
    target.load_state_dict(convert_tf_aindnet(tf_vars), strict=True)
    x = torch.rand(1, channels, 19, 23)
    with torch.inference_mode():
        a, b = source(x), target(x)
    assert torch.equal(a.image, b.image)
    assert torch.equal(a.noise_map, b.noise_map)


def test_kernel_layouts() -> None:
    tf_vars = _as_tf(_tiny())
    tf_vars["AINDNet/conv2_1/weights"] = np.arange(3 * 3 * 4 * 8, dtype=np.float32).reshape(
        3, 3, 4, 8
    )
    tf_vars["AINDNet/deconv4_1"] = np.arange(2 * 2 * 8 * 16, dtype=np.float32).reshape(2, 2, 8, 16)
    state = convert_tf_aindnet(tf_vars)
    conv, deconv = state["rec.head2.weight"], state["rec.up4.deconv.weight"]
    assert (
        conv.shape == (8, 4, 3, 3)
        and conv[5, 2, 1, 0] == tf_vars["AINDNet/conv2_1/weights"][1, 0, 2, 5]
    )
    assert deconv.shape == (16, 8, 2, 2)  # ConvTranspose2d: [in, out, kh, kw]
    assert deconv[11, 3, 0, 1] == tf_vars["AINDNet/deconv4_1"][0, 1, 3, 11]
    assert conv.dtype == torch.float32 and conv.is_contiguous()


def test_missing_unknown_and_malformed_variables_are_user_errors() -> None:
    tf_vars = _as_tf(_tiny())
    with pytest.raises(RestoreKitError, match="missing"):
        convert_tf_aindnet({k: v for k, v in tf_vars.items() if "AINRes2_1" not in k})
    with pytest.raises(RestoreKitError, match="unexpected"):
        convert_tf_aindnet({**tf_vars, "AINDNet/extra/kernel": np.zeros(1)})
    assert len(convert_tf_aindnet({**tf_vars, "AINDNet/extra/kernel": np.zeros(1)}, strict=False))
    with pytest.raises(RestoreKitError, match="4-D"):
        convert_tf_aindnet({**tf_vars, "fcn_avg/conv1/weights": np.zeros((3, 3))})
