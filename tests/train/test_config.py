"""Recipes: every YAML validates, unknown keys and bad values are rejected, overrides are typed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from restorekit.errors import RestoreKitError
from restorekit.train.config import (
    TrainConfig,
    config_from_dict,
    dump_yaml,
    load_config,
    parse_override,
    to_dict,
)

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "configs").glob("*.yaml"))
CI = sorted((REPO / "configs" / "ci").glob("*.yaml"))
EXPECTED = {
    "aindnet_sn",
    "aindnet_tf",
    "aindnet_rt",
    "aindnet_r",
    "hinet_sidd",
    "hinet_gopro",
    "hinet_rain",
    "hinet_derain_syn",
    "hinet_deblur_syn",
    "gaussian_blind_gray",
    "gaussian_blind_color",
    "real_sn",
    "hinet_real_sn",
    "hinet_real_rt",
}


def test_every_recipe_has_a_ci_variant():
    assert {p.stem for p in RECIPES} == EXPECTED
    assert {p.stem for p in CI} == EXPECTED


@pytest.mark.parametrize("path", RECIPES + CI, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recipes_validate_and_round_trip(path):
    cfg = load_config(path)
    assert isinstance(cfg, TrainConfig) and cfg.name == path.stem
    again = config_from_dict(yaml.safe_load(dump_yaml(cfg)))
    assert again == cfg
    assert to_dict(again) == to_dict(cfg)


def test_recipe_facts():
    sidd = load_config(REPO / "configs" / "hinet_sidd.yaml")
    assert (sidd.optim.lr, sidd.optim.clip_grad_norm, sidd.data.batch_size) == (2e-4, 0.01, 64)
    assert (sidd.schedule.name, sidd.schedule.eta_min, sidd.max_steps) == ("cosine", 1e-6, 400000)
    assert sidd.loss[0].kwargs["stages"] == [1.0, 1.0]
    gopro = load_config(REPO / "configs" / "hinet_gopro.yaml")
    assert (gopro.loss[0].name, gopro.loss[0].weight) == ("psnr", 0.5)
    assert (gopro.optim.betas, gopro.schedule.eta_min) == ((0.9, 0.99), 1e-7)
    rain = load_config(REPO / "configs" / "hinet_rain.yaml")
    assert rain.schedule.warmup_steps == 10000 and rain.val.y_channel
    sn = load_config(REPO / "configs" / "aindnet_sn.yaml")
    assert [(t.name, t.weight) for t in sn.loss] == [("l1", 1.0), ("ms_asymmetric", 0.05)]
    assert sn.loss[1].kwargs == {"alpha": 0.25, "w_fine": 0.2, "w_coarse": 0.8}
    tf = load_config(REPO / "configs" / "aindnet_tf.yaml")
    assert tf.model.trainable == "transfer" and tf.model.init_from


def _write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


MINIMAL = """
name: t
model: {name: hinet}
data: {train: {name: paired_folder, kwargs: {root: x}}}
loss: [{name: l1}]
max_steps: 10
"""


def test_unknown_keys_are_rejected_with_their_path(tmp_path):
    path = _write(tmp_path, MINIMAL + "optim: {lr: 1.0e-4, lrr: 1}\n")
    with pytest.raises(RestoreKitError, match=r"'optim\.lrr'.*known in 'optim': name, lr"):
        load_config(path)
    with pytest.raises(RestoreKitError, match="'bogus'"):
        load_config(_write(tmp_path, MINIMAL + "bogus: 1\n"))
    with pytest.raises(RestoreKitError, match="unknown loss 'l3'"):
        load_config(_write(tmp_path, MINIMAL.replace("l1", "l3")))


def test_range_and_type_checks(tmp_path):
    path = _write(tmp_path, MINIMAL)
    with pytest.raises(RestoreKitError, match=r"'optim\.lr' must be in \(0, 1\)"):
        load_config(path, ["optim.lr=2"])
    with pytest.raises(RestoreKitError, match=r"'max_steps' must be an integer"):
        load_config(path, ["max_steps=ten"])
    with pytest.raises(RestoreKitError, match=r"'precision' must be one of fp32, bf16, fp16"):
        load_config(path, ["precision=fp8"])
    with pytest.raises(RestoreKitError, match="ms_asymmetric needs ground-truth noise maps"):
        load_config(path, ["loss.0.name=ms_asymmetric"])
    with pytest.raises(RestoreKitError, match=r"'data\.clean' is not an option of 'rain13k'"):
        load_config(path, ["data.train.name=rain13k", "data.clean=a"])


def test_overrides_are_yaml_typed_and_validated(tmp_path):
    path = _write(tmp_path, MINIMAL)
    cfg = load_config(
        path,
        [
            "optim.lr=2e-4",  # YAML 1.1 reads this as text: accepted as a number
            "optim.betas=[0.9, 0.99]",
            "loss.0.weight=0.5",
            "model.kwargs.wf=8",
            "ema.decay=0.99",
            "val=null",
            "max_steps=4e5",
        ],
    )
    assert cfg.optim.lr == 2e-4 and cfg.optim.betas == (0.9, 0.99)
    assert cfg.loss[0].weight == 0.5 and cfg.model.kwargs == {"wf": 8}
    assert cfg.ema.decay == 0.99 and cfg.val is None and cfg.max_steps == 400000
    assert parse_override("data.clean=../x") == ("data.clean", "../x")
    with pytest.raises(RestoreKitError, match=r"key\.sub=value"):
        parse_override("optim.lr")
    with pytest.raises(RestoreKitError, match=r"'loss\.3' is not an item"):
        load_config(path, ["loss.3.weight=1"])
    with pytest.raises(RestoreKitError, match=r"'optim\.lrr'"):
        load_config(path, ["optim.lrr=1"])


def test_data_shortcuts_fill_the_dataset_kwargs():
    cfg = load_config(REPO / "configs" / "aindnet_tf.yaml", ["seed=3"])
    kwargs = cfg.data.train_kwargs(cfg.seed)
    assert kwargs["noisy_dir"].endswith("PolyU/noisy") and kwargs["clean_dir"].endswith("PolyU/gt")
    assert kwargs["seed"] == 3 and kwargs["patch_size"] == 256


def test_errors_name_the_file(tmp_path):
    path = _write(tmp_path, "name: [")
    with pytest.raises(RestoreKitError, match="not valid YAML") as err:
        load_config(path)
    assert str(path) in str(err.value)
    with pytest.raises(RestoreKitError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
