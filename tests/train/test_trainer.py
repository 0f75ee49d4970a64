"""The trainer end to end on CPU: every ci recipe, exact resume (also after SIGKILL),
transfer-learning freezing, initialisation from weights, exports."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from restorekit.errors import RestoreKitError
from restorekit.models import build_model, transfer_parameters
from restorekit.train import fit, load_config
from restorekit.train.checkpoint import list_checkpoints
from restorekit.weights import load_model, read_metadata, save_model

CI = Path(__file__).resolve().parents[2] / "configs" / "ci"
CI_CONFIGS = sorted(CI.glob("*.yaml"))
TINY_AINDNET = {"width": 4, "estimator_width": 4}


def run_ci(recipe: str, out_dir: Path, *overrides: str):
    return fit(load_config(CI / f"{recipe}.yaml", [f"out_dir={out_dir}", *overrides]))


def read_log(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def losses(rows: list[dict[str, str]]) -> list[tuple]:
    """Everything but the wall-clock column, as exact text."""
    return [tuple(v for k, v in row.items() if k != "seconds") for row in rows]


def save_init(path: Path, name: str = "aindnet", **kwargs) -> Path:
    torch.manual_seed(123)
    return save_model(path, build_model(name, **kwargs), name=name, kwargs=kwargs)


@pytest.mark.parametrize("config", CI_CONFIGS, ids=lambda p: p.stem)
def test_ci_recipe_trains_logs_checkpoints_and_exports(config, ci_dir):
    overrides = []
    model = load_config(config).model
    if model.init_from is not None:
        save_init(ci_dir / "init.safetensors", model.name, **model.kwargs)
        overrides.append("model.init_from=init.safetensors")  # relative: a reproducible header
    result = fit(load_config(config, overrides))
    run = ci_dir / "runs" / "ci" / config.stem
    assert result.run_dir == Path("runs/ci") / config.stem and result.step == 4
    rows = read_log(run / "train_log.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert all(float(r["loss"]) == float(r["loss"]) for r in rows)  # finite (not NaN)
    assert [int(r["step"]) for r in read_log(run / "val_log.csv")] == [2, 4]
    assert [p.name for p in list_checkpoints(run)] == ["step-00000004.pt"]
    assert (run / "checkpoints" / "step-00000004.yaml").is_file()
    assert (run / "config.yaml").is_file() and any((run / "tb").iterdir())
    meta = read_metadata(run / "best.safetensors")
    assert meta["recipe"]["name"] == config.stem and "psnr" in meta["metrics"]
    model = load_model(run / "final.safetensors")
    channels = 1 if "gray" in config.stem else 3
    assert model(torch.rand(1, channels, 24, 20)).image.shape == (1, channels, 24, 20)


def test_max_tile_reaches_the_exported_weights(ci_dir):
    config = next(c for c in CI_CONFIGS if c.stem == "gaussian_blind_gray")
    result = fit(load_config(config, ["model.max_tile=96"]))
    for which in ("best", "final"):
        assert read_metadata(ci_dir / result.run_dir / f"{which}.safetensors")["max_tile"] == 96
    with pytest.raises(RestoreKitError, match="max_tile"):
        load_config(config, ["model.max_tile=32"])


def test_transfer_freezes_everything_but_the_tf_groups(ci_dir):
    init = save_init(ci_dir / "sn.safetensors", **TINY_AINDNET)
    run_ci("aindnet_tf", ci_dir / "tf", f"model.init_from={init}", "val=null", "max_steps=3")
    before, after = load_file(init), load_file(ci_dir / "tf" / "final.safetensors")
    model = build_model("aindnet", **TINY_AINDNET)
    moving = {id(p) for p in transfer_parameters(model)}
    names = {name: id(p) in moving for name, p in model.named_parameters()}
    assert 0 < sum(names.values()) < len(names)
    frozen = [n for n, t in names.items() if not t]
    assert all(torch.equal(before[n], after[n]) for n in frozen)  # bit for bit
    moved = [not torch.equal(before[n], after[n]) for n, t in names.items() if t]
    assert sum(moved) > len(moved) / 2
    with pytest.raises(RestoreKitError, match="do not fit model"):
        run_ci("aindnet_tf", ci_dir / "bad", f"model.init_from={init}", "model.kwargs.width=8")


def test_fresh_start_refuses_a_run_with_checkpoints(ci_dir):
    run_ci("hinet_sidd", ci_dir / "r", "max_steps=2", "val=null")
    with pytest.raises(RestoreKitError, match="already has checkpoints"):
        run_ci("hinet_sidd", ci_dir / "r", "max_steps=2", "val=null")


def test_bf16_autocast_on_cpu(ci_dir):
    result = run_ci("hinet_sidd", ci_dir / "bf16", "precision=bf16", "max_steps=2", "val=null")
    assert result.step == 2
    assert all(float(r["loss"]) < 1 for r in read_log(ci_dir / "bf16" / "train_log.csv"))


# -- exact resume --------------------------------------------------------------------------------

STEPS = 28
RESUME = [
    f"schedule.total_steps={STEPS}",  # the schedule must not depend on where a run stops
    "ema.decay=0.9",
    "ckpt_every=1000",  # checkpoints cost time; the last step always writes one
    "val.every=1000",
    "data.batch_size=2",
    "data.train.kwargs.patch_size=16",
]


def _kill_after_first_checkpoint(proc: subprocess.Popen, run: Path, record: dict) -> None:
    while proc.poll() is None:
        if list_checkpoints(run):
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    record["returncode"] = proc.wait()


@pytest.fixture(scope="module")
def resume_runs(tmp_path_factory, ci_data_maker):
    """An uninterrupted 28-step run (in this process) and, concurrently, the same recipe in a
    subprocess that is killed with SIGKILL right after its first checkpoint."""
    work = tmp_path_factory.mktemp("resume")
    ci_data_maker(work / "ci_data")
    killed = work / "killed"
    cmd = [sys.executable, "-m", "restorekit", "train", "-c", str(CI / "aindnet_sn.yaml")]
    cmd += [f"out_dir={killed}", "max_steps=100000", *RESUME, "ckpt_every=4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=work, env=env, stderr=subprocess.PIPE, text=True)
    record: dict = {}
    watcher = threading.Thread(target=_kill_after_first_checkpoint, args=(proc, killed, record))
    watcher.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        run_ci("aindnet_sn", work / "full", f"max_steps={STEPS}", *RESUME)
        watcher.join(timeout=240)
        yield work, record, proc
    if proc.poll() is None:
        proc.kill()


def _assert_same_continuation(work: Path, run: Path, from_step: int) -> None:
    full, resumed = read_log(work / "full" / "train_log.csv"), read_log(run / "train_log.csv")
    assert [int(r["step"]) for r in resumed] == list(range(1, STEPS + 1))
    assert STEPS - from_step >= 20
    assert losses(resumed[from_step:]) == losses(full[from_step:])  # bit-identical continuation
    assert losses(resumed) == losses(full)
    a, b = load_file(work / "full" / "final.safetensors"), load_file(run / "final.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_continues_bit_identically(resume_runs):
    work, _, _ = resume_runs
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        run_ci("aindnet_sn", work / "stopped", "max_steps=4", *RESUME)
        run_ci("aindnet_sn", work / "stopped", f"max_steps={STEPS}", "resume=auto", *RESUME)
    _assert_same_continuation(work, work / "stopped", 4)


def test_resume_after_sigkill_continues_bit_identically(resume_runs):
    work, record, proc = resume_runs
    assert record.get("returncode") == -signal.SIGKILL, proc.stderr.read()
    run = work / "killed"
    assert not (run / "final.safetensors").exists()
    step = int(list_checkpoints(run)[-1].stem.split("-")[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        run_ci("aindnet_sn", run, f"max_steps={STEPS}", "resume=auto", *RESUME)
    _assert_same_continuation(work, run, step)


def test_mixed_synthetic_batches_alternate_and_resume_identically(ci_dir):
    """data.mix (in the ci RT recipe): steps 2, 4, 6 train on synthetic batches; a stopped run
    resumes exactly."""
    init = save_init(ci_dir / "init.safetensors", "hinet", wf=4, depth=2)
    common = [f"model.init_from={init}", "val=null", "schedule.total_steps=6", "ckpt_every=1000"]
    run_ci("hinet_real_rt", ci_dir / "plain", *common, "data.mix=null", "max_steps=2")
    run_ci("hinet_real_rt", ci_dir / "mixed", *common, "max_steps=6")
    plain, mixed = (read_log(ci_dir / r / "train_log.csv") for r in ("plain", "mixed"))
    assert losses(mixed[:1]) == losses(plain[:1])  # step 1: the same real batch
    assert losses(mixed[1:2]) != losses(plain[1:2])  # step 2: a synthetic batch
    run_ci("hinet_real_rt", ci_dir / "stopped", *common, "max_steps=3")
    run_ci("hinet_real_rt", ci_dir / "stopped", *common, "max_steps=6", "resume=auto")
    assert losses(read_log(ci_dir / "stopped" / "train_log.csv")) == losses(mixed)
    with pytest.raises(RestoreKitError, match=r"data\.mix\.every"):
        run_ci("hinet_real_rt", ci_dir / "bad", *common, "data.mix.every=1")
    too_large = r"data\.mix\.train\.kwargs\.patch_size 1000 is larger than the smallest"
    with pytest.raises(RestoreKitError, match=too_large):
        run_ci("hinet_real_rt", ci_dir / "bad", *common, "data.mix.train.kwargs.patch_size=1000")


def test_model_without_estimator_trains_on_ground_truth_noise_maps(ci_dir):
    oracle = ["model.kwargs.estimator=none", "loss=[{name: l1, weight: 1.0}]"]
    result = run_ci("aindnet_sn", ci_dir / "oracle", *oracle, "val=null", "max_steps=2")
    assert result.step == 2  # every step passed batch["noise_map"]: the model refuses none
    model = load_model(ci_dir / "oracle" / "final.safetensors")
    assert model.needs_noise_map and model.checkpoint_metadata["kwargs"]["estimator"] == "none"
    x = torch.rand(1, 3, 16, 16)
    assert model(x, noise_map=torch.full_like(x, 0.05)).image.shape == x.shape
    with pytest.raises(RestoreKitError, match="val=null"):
        run_ci("aindnet_sn", ci_dir / "val", *oracle, "max_steps=1")
    with pytest.raises(RestoreKitError, match=r"data\.noise"):
        run_ci("aindnet_r", ci_dir / "real", *oracle, "val=null", "max_steps=1")


def test_time_budget_ends_the_run_like_max_steps(ci_dir):
    config = next(c for c in CI_CONFIGS if c.stem == "gaussian_blind_gray")
    result = fit(load_config(config, ["max_minutes=1e-9", "max_steps=50", "val.every=10"]))
    run = ci_dir / result.run_dir
    assert (result.step, result.stopped) == (0, "time budget")  # no step starts past it
    assert [int(r["step"]) for r in read_log(run / "val_log.csv")] == [0]  # validated at the end
    assert [p.name for p in list_checkpoints(run)] == ["step-00000000.pt"]
    assert (run / "final.safetensors").is_file()
    assert [h["step"] for h in result.history] == [0]


def test_validation_at_start_and_steps_bounded_by_time_only(ci_dir):
    """``val.at_start`` scores the starting weights (step 0, exported as ``best`` until beaten by
    more than ``min_delta``); ``max_steps: null`` runs until the time budget; resuming does not
    score the start again."""
    config = next(c for c in CI_CONFIGS if c.stem == "gaussian_blind_gray")
    timed = ["max_steps=null", "schedule.name=constant", "val.every=2", "val.at_start=true"]
    result = fit(load_config(config, [*timed, "max_minutes=0.02", "val.min_delta=100"]))
    assert result.stopped == "time budget" and result.step >= 1
    assert result.history[0]["step"] == 0 and result.best["step"] == 0  # nothing gained 100 dB
    steps = [h["step"] for h in result.history]
    assert steps[-1] == result.step and all(step % 2 == 0 for step in steps[1:-1])
    best = load_model(ci_dir / result.run_dir / "best.safetensors")
    assert best.checkpoint_metadata["metrics"]["step"] == 0
    again = fit(
        load_config(config, [*timed, "max_minutes=1e-9", "val.min_delta=100", "resume=auto"])
    )
    assert again.history[0]["step"] == 0 and again.step == result.step
    assert [h["step"] for h in again.history].count(0) == 1
    with pytest.raises(RestoreKitError, match="max_minutes"):
        load_config(config, ["max_steps=null", "schedule.name=constant"])
    with pytest.raises(RestoreKitError, match="cosine"):
        load_config(config, ["max_steps=null", "max_minutes=1", "schedule.name=cosine"])


def test_further_validation_sets_are_logged_beside_the_main_one(ci_dir):
    """``val.also``: each named set is scored at every validation and logged as <name>/psnr and
    <name>/ssim; only the main set picks ``best``."""
    config = next(c for c in CI_CONFIGS if c.stem == "gaussian_blind_gray")
    strong = (
        "{name: strong, dataset: {name: clean_folder, kwargs: {root: ci_data/val_clean, "
        "channels: 1}}, noise: {name: awgn, kwargs: {sigma: 0.4}}, max_images: 1}"
    )
    result = fit(load_config(config, [f"val.also=[{strong}]", "val.min_delta=100"]))
    rows = read_log(ci_dir / result.run_dir / "val_log.csv")
    assert list(rows[0]) == ["step", "psnr", "ssim", "strong/psnr", "strong/ssim"]
    assert [int(r["step"]) for r in rows] == [2, 4]
    for row, seen in zip(rows, result.history, strict=True):
        assert float(row["strong/psnr"]) == pytest.approx(seen["strong/psnr"])
        assert float(row["strong/psnr"]) < float(row["psnr"]) - 3  # sigma 0.4 against 0.1
    assert result.best["step"] == 2 and result.best["psnr"] == result.history[0]["psnr"]
    for names, message in (("[a, a]", "names must differ"), ("[a b]", "letters, digits")):
        sets = ", ".join(
            f"{{name: {n}, dataset: {{name: clean_folder}}}}" for n in yaml.safe_load(names)
        )
        with pytest.raises(RestoreKitError, match=message):
            load_config(config, [f"val.also=[{sets}]"])


@pytest.mark.parametrize(("min_steps", "stop_at"), [(0, 2), (3, 3)])
def test_patience_stops_after_validations_without_gain(ci_dir, min_steps, stop_at):
    config = next(c for c in CI_CONFIGS if c.stem == "gaussian_blind_gray")
    overrides = ["max_steps=20", "val.every=1", "val.patience=1", "val.min_delta=100"]
    result = fit(
        load_config(config, [*overrides, f"val.min_steps={min_steps}", f"name=p{stop_at}"])
    )
    assert result.step == stop_at and result.stopped.startswith("early stop")
    run = ci_dir / result.run_dir
    assert len(read_log(run / "val_log.csv")) == stop_at
    assert list_checkpoints(run)[-1].name == f"step-{stop_at:08d}.pt"
    with pytest.raises(RestoreKitError, match="patience"):
        load_config(config, ["val.patience=0"])
