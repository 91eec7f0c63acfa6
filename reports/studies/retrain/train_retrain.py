"""Trains every run of README's retrained table (rdmc/configs/retrain/), side by side.

    python reports/studies/retrain/train_retrain.py --out work_dirs/retrain  # the config's length
    python reports/studies/retrain/train_retrain.py --out DIR --fit-in 420 --probe 60  # time allows

Every run gets the same number of iterations (the equal budget) and its own work dir
``OUT/<run>/`` (best.pth, last.pth, mmengine's log) and console log ``OUT/<run>.log``.
``--parallel`` runs that many at once (default: all on a GPU, one on a CPU).

``--fit-in SECONDS`` sizes the budget to a wall-clock allowance: every run first trains
for ``--probe`` seconds side by side, the slowest one's seconds per iteration (mmengine's
``time`` in its log) give the iterations that fit in 80 % of the allowance, rounded down
to a multiple of 20 (so the steps at 60 % / 80 % and the four validations fall on whole
iterations), and the runs start again from scratch with that budget. A run still going
at the allowance's end is stopped; what it exported (best.pth / last.pth) stays.
``--deadline SECONDS`` stops runs still going that long after the start (default: the
``--fit-in`` allowance, else none).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

RUNS = [  # (run name, shipped config, seed)
    ("rdmc-s-seed0", "retrain/rdmc-s", 0),
    ("rdmc-s-seed1", "retrain/rdmc-s", 1),
    ("rdmc-s-context-seed0", "retrain/rdmc-s-context", 0),
    ("rdmc-s-context-seed1", "retrain/rdmc-s-context", 1),
    ("rdmc-s-no-norm-seed0", "retrain/rdmc-s-no-norm", 0),
    ("rdmc-s-no-norm-seed1", "retrain/rdmc-s-no-norm", 1),
    ("rdmc-s-last-stage-seed0", "retrain/rdmc-s-last-stage", 0),
    ("rdmc-s-patch-rain-seed0", "retrain/rdmc-s-patch-rain", 0),
    ("rdmc-s-patch-rain-seed1", "retrain/rdmc-s-patch-rain", 1),
    ("rdmc-s-identity-seed0", "retrain/rdmc-s-identity", 0),
    ("rdmc-s-identity-seed1", "retrain/rdmc-s-identity", 1),
    ("rdmc-s-light-mix-seed0", "retrain/rdmc-s-light-mix", 0),
    ("rdmc-s-light-mix-seed1", "retrain/rdmc-s-light-mix", 1),
    ("rdmc-s-identity-light-mix-seed0", "retrain/rdmc-s-identity-light-mix", 0),
    ("rdmc-s-identity-light-mix-seed1", "retrain/rdmc-s-identity-light-mix", 1),
    ("prenet-seed0", "retrain/prenet", 0),
    ("prenet-seed1", "retrain/prenet", 1),
    ("restormer-lite-seed0", "retrain/restormer-lite", 0),
    ("restormer-lite-seed1", "retrain/restormer-lite", 1),
]
_ITER_TIME = re.compile(r"Iter\(train\) \[\s*(\d+)/\d+\].*?\btime: ([0-9.]+)")


def schedule_options(iters: int) -> list[str]:
    """The retraining schedule at ``iters`` iterations (rdmc/configs/retrain/_schedule.py)."""
    quarter = iters // 4
    return [
        f"train_cfg.max_iters={iters}",
        f"train_cfg.val_interval={quarter}",
        f"default_hooks.checkpoint.interval={quarter}",
        f"param_scheduler.0.milestones=[{iters * 3 // 5},{iters * 4 // 5}]",
    ]


def start(run: tuple[str, str, int], out: Path, options: list[str]) -> subprocess.Popen:
    name, config, seed = run
    log = open(out / f"{name}.log", "w")  # noqa: SIM115 (closed when the process ends)
    command = [
        sys.executable,
        "-m",
        "rdmc",
        "train",
        config,
        "--work-dir",
        str(out / name),
        "--cfg-options",
        f"randomness.seed={seed}",
        *options,
    ]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_all(runs: list, out: Path, options: list[str], parallel: int, deadline: float) -> dict:
    """Runs in batches of ``parallel``; returns each run's exit code (None: stopped)."""
    codes, pending, active = {}, list(runs), {}
    while pending or active:
        while pending and len(active) < parallel:
            run = pending.pop(0)
            active[run[0]] = start(run, out, options)
        time.sleep(2)
        for name, process in list(active.items()):
            if process.poll() is not None:
                codes[name] = process.returncode
                del active[name]
        if time.time() > deadline:
            for name, process in active.items():
                stop(process)
                codes[name] = None
            break
    return codes


def seconds_per_iteration(log: Path) -> float | None:
    found = _ITER_TIME.findall(log.read_text(errors="replace")) if log.is_file() else []
    return float(found[-1][1]) if found else None


def fit_iterations(
    runs: list, out: Path, options: list[str], probe: float, allowance: float
) -> int:
    """Probes every run side by side and returns the iterations the slowest fits in."""
    probe_dir = out / "probe"
    probe_dir.mkdir(parents=True, exist_ok=True)
    endless = [*options, "train_cfg.max_iters=1000000", "train_cfg.val_interval=1000000"]
    processes = [start(run, probe_dir, endless) for run in runs]
    time.sleep(probe)
    for process in processes:
        stop(process)
    rates = {run[0]: seconds_per_iteration(probe_dir / f"{run[0]}.log") for run in runs}
    for name, rate in rates.items():
        print(f"probe: {name}: {rate if rate is not None else 'no iteration logged'} s/it")
    known = [r for r in rates.values() if r]
    if not known:
        raise SystemExit("probe: no run logged an iteration; see " + str(probe_dir))
    return max(20, int(allowance / max(known)) // 20 * 20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", nargs="+", help="run names (default: all)")
    parser.add_argument("--iters", type=int, help="iterations of every run (default: the config's)")
    parser.add_argument("--fit-in", type=float, help="size the iterations to this many seconds")
    parser.add_argument("--probe", type=float, default=60.0, help="seconds of the --fit-in probe")
    parser.add_argument("--deadline", type=float, help="stop runs this many seconds after start")
    parser.add_argument("--parallel", type=int)
    parser.add_argument("--cfg-options", nargs="*", default=[], help="passed to every run")
    args = parser.parse_args()
    started = time.time()
    runs = [r for r in RUNS if not args.runs or r[0] in args.runs]
    args.out.mkdir(parents=True, exist_ok=True)
    options = ["default_hooks.logger.interval=10", *args.cfg_options]
    if torch.cuda.is_available():
        options.append("env_cfg.cudnn_benchmark=True")
    iters = args.iters
    if args.fit_in:
        # Start-up, the first batches and the four validations also take time: 80 % trains.
        iters = fit_iterations(runs, args.out, options, args.probe, args.fit_in * 0.8)
    if iters:
        options += schedule_options(iters)
    print(f"training {len(runs)} runs, {iters or 'the config'} iterations each", flush=True)
    parallel = args.parallel or (len(runs) if torch.cuda.is_available() else 1)
    deadline = float("inf")
    if args.deadline:
        deadline = started + args.deadline
    elif args.fit_in:
        deadline = time.time() + args.fit_in
    codes = run_all(runs, args.out, options, parallel, deadline)
    for name, code in codes.items():
        state = "stopped at the deadline" if code is None else f"exit {code}"
        print(f"{name}: {state}, {time.time() - started:.0f} s since start")
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
