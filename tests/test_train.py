"""Training on mmengine: checkpoints that load with weights_only, resume after a kill, 2-process DDP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rdmc import load_derainer
from rdmc.cli import main
from rdmc.imageio import write_image
from rdmc.train import CONFIG_DIR, choose_precision, train

CONFIG = """
_base_ = [{base!r}]
model = dict(
    type="DerainModel",
    arch=dict(type="RDMC", widths=(4, 4, 4, 4, 4), dilations=(1, 2), stages=2),
    loss=dict(type="DerainLoss", contrastive=dict(extractor="efficientnet-lite0")),
)
train_dataloader = dict(batch_size=2, dataset=dict(patch_size=32))
val_dataloader = dict(dataset=dict(root={val!r}))
train_cfg = dict(max_iters={iters}, val_interval=2)
param_scheduler = [dict(type="MultiStepLR", by_epoch=False, milestones=[3], gamma=0.2)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=10), logger=dict(interval=1))
precision = "fp32"  # the same arithmetic on every CPU, under the default --precision auto
"""


def make_config(tmp_path: Path, photos, iters: int) -> Path:
    val = tmp_path / "val"
    write_image(val / "a.png", photos["coffee"][:48, :64])
    write_image(val / "b.png", photos["chelsea"][:48, :64])
    path = tmp_path / "tiny.py"
    base = str(CONFIG_DIR / "_base_" / "derain_cpu.py")
    path.write_text(CONFIG.format(base=base, val=str(val), iters=iters))
    return path


def rdmc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rdmc", *args]


def test_training_writes_weights_only_checkpoints(tmp_path, photos, capsys):
    work = train(make_config(tmp_path, photos, iters=4), tmp_path / "work")
    for name in ("best.pth", "last.pth"):
        ckpt = torch.load(work / name, map_location="cpu", weights_only=True)
        assert set(ckpt) == {"meta", "state_dict"}
        assert ckpt["meta"]["arch"]["type"] == "RDMC"
        assert "derain/psnr" in ckpt["meta"]["metrics"]
        assert ckpt["meta"]["precision"] == "fp32"
    assert torch.load(work / "last.pth", weights_only=True)["meta"]["iter"] == 4
    derainer = load_derainer(str(work / "best.pth"))
    assert derainer(photos["coffee"][:40, :50]).shape == (40, 50, 3)
    log = next(work.glob("*/*.log")).read_text()
    for field in ("lr:", "eta:", "loss:", "loss_cr:", "derain/psnr:", "derain/ssim:"):
        assert field in log


def test_a_killed_run_resumes_on_the_same_schedule(tmp_path, photos):
    config = make_config(tmp_path, photos, iters=500)
    work = tmp_path / "work"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(rdmc_command("train", str(config), "--work-dir", str(work)), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 240
    while not (work / "iter_4.pth").exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert (work / "iter_4.pth").exists(), "the first run never reached its iteration-4 checkpoint"
    resumed = subprocess.run(
        rdmc_command("train", str(config), "--work-dir", str(work), "--resume",
                     "--cfg-options", "train_cfg.max_iters=8"),
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed epoch: 0, iter: " in resumed.stdout + resumed.stderr
    assert torch.load(work / "last.pth", weights_only=True)["meta"]["iter"] == 8
    logs = sorted(work.glob("*/*.log"))
    final_log = logs[-1].read_text()
    # The LR milestone (iteration 3) was passed before the kill and is still in force after it.
    assert "Iter(train) [8/8]  lr: 2.0000e-04" in final_log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_on_cpu(tmp_path, photos):
    config = make_config(tmp_path, photos, iters=4)
    work = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "rdmc", "train", str(config), "--work-dir", str(work)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    log = next(work.glob("*/*.log")).read_text()
    assert "Distributed launcher: pytorch" in log and "Distributed training: True" in log
    assert "GPU number: 2" in log  # mmengine's name for the world size, on CPU too
    assert "Iter(val) [1/1]" in log  # the two validation images were split over two processes
    ckpt = torch.load(work / "last.pth", weights_only=True)
    assert ckpt["meta"]["iter"] == 4
    assert np.isfinite(ckpt["meta"]["metrics"]["derain/psnr"])


def test_unknown_config_is_a_clear_error(capsys):
    from rdmc.cli import main

    assert main(["train", "no-such-config"]) == 1
    err = capsys.readouterr().err
    assert "no-such-config: no such config file or shipped config (" in err
    assert (
        "equal-budget/rdmc-s-no-cr" in err
        and "prenet, rdmc, rdmc-rain100h, rdmc-s, rdmc-se-s, restormer-lite, retired/" in err
        and "retired/equal-budget-se/rdmc-se-s-t1, retrain/prenet" in err
    )


@pytest.mark.parametrize("name", ["rdmc-s", "rdmc", "prenet", "restormer-lite"])
def test_shipped_configs_build(name, tmp_path):
    from rdmc.train import build_runner

    runner = build_runner(name, tmp_path / name)
    assert type(runner.model.arch).__name__ in ("RDMC", "PReNet", "RestormerLite")
    optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    dataset = runner.build_dataloader(runner.train_dataloader).dataset
    if name == "rdmc":  # the authors' searched recruitment: two optimizers, held-out samples
        assert set(optim_wrapper.keys()) == {"weights", "architecture"}
        assert type(dataset).__name__ == "SearchSplitDataset" and "search_rainy" in dataset[0]


def test_equal_budget_configs_share_the_schedule_and_differ_where_named(tmp_path):
    from mmengine.config import Config

    from rdmc.train import CONFIG_DIR, resolve_config

    configs = {p.stem: Config.fromfile(p) for p in (CONFIG_DIR / "equal_budget").glob("[!_]*.py")}
    frozen = sorted((CONFIG_DIR / "retired" / "equal_budget_se").glob("[!_]*.py"))
    script = (
        CONFIG_DIR.parents[1] / "reports" / "studies" / "equal-budget" / "train_equal_budget.sh"
    ).read_text()
    se = script.split("se=")[1].split()[0]
    trained = script.split('configs="')[1].split('"')[0].replace("$se", se).replace("${se}", se)
    # the script trains the peers and the frozen RDMC-SE rows: every row of both tables
    peers = ["equal_budget/prenet", "equal_budget/restormer_lite", "equal_budget/prenet_c16"]
    assert sorted(trained.split()) == sorted(
        peers + [str(p.relative_to(CONFIG_DIR).with_suffix("")) for p in frozen]
    )
    for cfg in [*configs.values(), *(Config.fromfile(p) for p in frozen)]:
        assert cfg.train_cfg.max_iters == 300
        assert cfg.param_scheduler[0]["milestones"] == [180, 240]
        assert cfg.train_dataloader.batch_size == 8
        assert cfg.train_dataloader.dataset.patch_size == 128
    base = configs["rdmc_s"]
    assert configs["rdmc_s_no_cr"].model.loss.cr_weight == 0 and base.model.loss.cr_weight == 0.1
    assert configs["rdmc_s_static"].model.arch.recruitment == "static"
    assert configs["rdmc_s_no_recruitment"].model.arch.recruitment == "none"
    assert tuple(configs["rdmc_s_single_scale"].model.arch.dilations) == (1,)
    assert configs["rdmc_s_t1"].model.arch.stages == 1
    assert configs["rdmc_s_no_norm"].model.arch.norm == "none"
    assert configs["rdmc_s_seed1"].randomness.seed == 1 and base.randomness.seed == 0
    assert (
        resolve_config("equal-budget/prenet-c16") == CONFIG_DIR / "equal_budget" / "prenet_c16.py"
    )


def test_retrain_runs_share_one_schedule_and_differ_where_named(tmp_path):
    import argparse

    from conftest import study_module
    from mmengine.config import Config, DictAction

    from rdmc.train import CONFIG_DIR, build_runner

    train_retrain = study_module("retrain", "train_retrain")

    configs = {p.stem: Config.fromfile(p) for p in (CONFIG_DIR / "retrain").glob("[!_]*.py")}
    named = {config.split("/")[1].replace("-", "_") for _, config, _ in train_retrain.RUNS}
    assert named == set(configs)  # the driver trains every retrain config
    for cfg in configs.values():
        assert cfg.train_dataloader.dataset.cache_images
        assert tuple(cfg.val_dataloader.dataset.presets) == ("heavy", "light")
        assert (cfg.train_dataloader.batch_size, cfg.train_dataloader.dataset.patch_size) == (
            8,
            128,
        )
    assert configs["rdmc_s_context"].model.arch.global_context
    assert configs["rdmc_s_no_norm"].model.arch.norm == "none"
    assert configs["rdmc_s_last_stage"].model.loss.supervise == "last"
    assert configs["rdmc_s_patch_rain"].train_dataloader.dataset.streak_scale == "patch"
    assert "streak_scale" not in configs["rdmc_s"].train_dataloader.dataset  # photo-sized rain
    assert configs["rdmc_s_identity"].train_dataloader.dataset.clean_fraction == 0.125
    light_mix = ("light", "light", "heavy")
    assert configs["rdmc_s_light_mix"].train_dataloader.dataset.presets == light_mix
    both = configs["rdmc_s_identity_light_mix"].train_dataloader.dataset
    assert (both.clean_fraction, both.presets) == (0.125, light_mix)
    # The driver's budget replaces the whole schedule: steps at 60 % / 80 %, four validations.
    parser = argparse.ArgumentParser()  # as `rdmc train --cfg-options` reads them
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    options = parser.parse_args(["--cfg-options", *train_retrain.schedule_options(580)])
    runner = build_runner("retrain/rdmc-s", tmp_path / "run", **options.cfg_options)
    assert (runner.train_loop.max_iters, runner.train_loop.val_interval) == (580, 145)
    assert runner.cfg.param_scheduler[0]["milestones"] == [348, 464]
    log = tmp_path / "run.log"
    log.write_text("Iter(train) [ 10/580]  lr: 1e-3  eta: 0:01:00  time: 0.5388  data_time: 0.01\n"
                   "Iter(train) [ 20/580]  lr: 1e-3  eta: 0:01:00  time: 0.4123  data_time: 0.02\n")  # fmt: skip
    assert train_retrain.seconds_per_iteration(log) == 0.4123  # the latest, not data_time


def test_resume_never_unpickles_foreign_objects(tmp_path, photos, capsys):
    """A crafted iter_N.pth named in last_checkpoint is refused, and its code never runs."""
    import pickle

    config = make_config(tmp_path, photos, iters=4)
    work = tmp_path / "work"
    work.mkdir()
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    crafted = work / "iter_2.pth"
    torch.save({"meta": {"iter": 2}, "state_dict": {}, "message_hub": Payload()}, crafted,
               pickle_module=pickle)  # fmt: skip
    (work / "last_checkpoint").write_text(str(crafted))
    assert main(["train", str(config), "--work-dir", str(work), "--resume"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{crafted}: refused to resume from it" in err
    assert not marker.exists()
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ

    from mmengine.logging import HistoryBuffer

    class Reach:  # getattr is allowed only for mmengine's own statistics methods
        def __reduce__(self):
            return (getattr, (HistoryBuffer, "__init__"))

    torch.save({"meta": {"iter": 2}, "message_hub": Reach()}, crafted)
    assert main(["train", str(config), "--work-dir", str(work), "--resume"]) == 1
    assert "is not training state" in capsys.readouterr().err


def test_bf16_optim_wrapper_runs_the_network_in_bf16_and_the_loss_in_fp32():
    from rdmc.registry import build_model, build_optim_wrapper

    torch.manual_seed(0)
    model = build_model(
        dict(
            type="DerainModel",
            arch=dict(type="RDMC", widths=(4, 4, 4, 4, 4), dilations=(1, 2), stages=2),
            loss=dict(type="DerainLoss", cr_weight=0.0),
        )  # fmt: skip
    )
    seen = []
    first_conv = next(m for m in model.arch.modules() if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    loss_dtypes = []
    model.loss.register_forward_hook(lambda m, i, o: loss_dtypes.append(o["loss_ssim"].dtype))
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope("mmseg"):  # as after a segmenter has loaded
        wrapper = build_optim_wrapper(
            dict(type="BF16OptimWrapper", optimizer=torch.optim.Adam(model.parameters(), 1e-3))
        )
    before = [p.detach().clone() for p in model.parameters()]
    batch = {
        "rainy": torch.rand(2, 3, 32, 32),
        "clean": torch.rand(2, 3, 32, 32),
        "name": ["a", "b"],
    }
    losses = model.train_step(batch, wrapper)
    assert set(seen) == {torch.bfloat16} and loss_dtypes == [torch.float32]
    assert torch.isfinite(losses["loss"])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_resume_survives_an_empty_last_checkpoint_file(tmp_path, photos):
    """A kill between saving iter_N.pth and writing last_checkpoint leaves that file empty:
    --resume then continues from the newest iter_N.pth instead of failing."""
    config = make_config(tmp_path, photos, iters=2)
    work = tmp_path / "work"
    train(config, work)
    (work / "last_checkpoint").write_text("")
    train(config, work, resume=True, **{"train_cfg.max_iters": 4})
    log = sorted(work.glob("*/*.log"))[-1].read_text()
    assert "resumed epoch: 0, iter: 2" in log and "Iter(train) [4/4]" in log


def _precision_of(config: str | Path, precision: str = "auto", **overrides) -> tuple[str, str]:
    from mmengine.config import Config

    from rdmc.train import resolve_config

    cfg = Config.fromfile(resolve_config(config))
    cfg.merge_from_dict(overrides)
    why = choose_precision(cfg, precision, overrides, config)
    return cfg.optim_wrapper.get("type"), why


@pytest.mark.parametrize("bf16_units", [True, False])
def test_auto_precision_trains_in_bf16_where_the_cpu_has_bf16_units(monkeypatch, bf16_units):
    """bf16 is the CPU default where the CPU computes it natively (three seeds per path put it
    within fp32's seed spread); the configs behind committed results stay in the fp32 they
    were trained in, and an explicit choice wins over both."""
    monkeypatch.setattr("rdmc.train.cpu_has_bf16", lambda: bf16_units)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    wrapper, why = _precision_of("rdmc-s")
    assert wrapper == ("BF16OptimWrapper" if bf16_units else "OptimWrapper")
    assert why.startswith("bf16 (auto" if bf16_units else "fp32 (auto")
    for pinned in ("retrain/rdmc-s", "equal-budget/prenet", "rdmc-se-s"):
        assert _precision_of(pinned) == ("OptimWrapper", "fp32 (pinned by the config)")
    assert _precision_of("equal-budget/rdmc-s", "bf16")[0] == "BF16OptimWrapper"
    assert _precision_of("rdmc-s", "fp32") == ("OptimWrapper", "fp32 (asked)")
    given = {"optim_wrapper.type": "OptimWrapper"}
    assert _precision_of("rdmc-s", **given)[0] == "OptimWrapper"


def test_a_precision_given_twice_or_to_the_search_is_one_line(tmp_path, photos, capsys):
    config = make_config(tmp_path, photos, iters=2)
    args = ["train", str(config), "--work-dir", str(tmp_path / "w"), "--precision", "bf16"]
    assert main([*args, "--cfg-options", "optim_wrapper.type=OptimWrapper"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "give the precision once" in err and str(config) in err
    with pytest.raises(ValueError, match="plain optim_wrapper"):
        _precision_of("rdmc-rain100h", "bf16", data_root="d", val_root="v")
    assert _precision_of("rdmc-rain100h", data_root="d", val_root="v")[1].startswith(
        "as configured"
    )
    assert not (tmp_path / "w").exists()


def test_two_runs_in_one_second_keep_their_own_logs(tmp_path, photos, monkeypatch):
    """mmengine reuses a logger by name, and its names change once a second."""
    import time

    from rdmc.train import build_runner

    monkeypatch.setattr(time, "strftime", lambda *args: "20261207_120000")  # one second
    config = make_config(tmp_path, photos, iters=2)
    first, second = (build_runner(config, tmp_path / name) for name in ("a", "b"))
    assert first.experiment_name != second.experiment_name
    assert first.logger is not second.logger
    second.logger.info("the second run")
    assert "the second run" in next((tmp_path / "b").glob("*/*.log")).read_text()
    assert "the second run" not in next((tmp_path / "a").glob("*/*.log")).read_text()


def test_bf16_training_records_its_precision(tmp_path, photos):
    work = train(make_config(tmp_path, photos, iters=2), tmp_path / "work", precision="bf16")
    meta = torch.load(work / "last.pth", weights_only=True)["meta"]
    assert meta["precision"] == "bf16"
    log = sorted(work.glob("*/*.log"))[-1].read_text()
    assert "training precision: bf16 (asked)" in log
