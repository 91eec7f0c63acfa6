"""The speed gate: normalised within the run, significant and large, per machine, confirmed
on a rerun; its error rates measured on simulated runs and on two real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdmc.cli import main
from reports.speed import (
    NUMPY_OPENCV,
    TORCH_FP32,
    Benchmark,
    SpeedRun,
    baseline_name,
    judge,
    store_baseline,
)

ROOT = Path(__file__).resolve().parents[1]
MACHINE = "Test CPU | 2 cores | avx2 | torch 2.13.0"
CALIBRATOR = "benchmarks/test_peak_speed.py::test_conv3x3_peak[fp32]"


def simulated_run(rng, slow: dict[str, float], factor: float, rounds: int = 25,
                  benchmarks: int = 3) -> SpeedRun:  # fmt: skip
    """One run: a calibrator (30 rounds, as the real ones) and ``benchmarks`` benchmarks of
    ``rounds`` rounds, every sample with 10% lognormal noise, all scaled by the machine's
    ``factor``; ``slow`` slows single benchmarks down."""

    def samples(n: int, seconds: float) -> np.ndarray:
        return seconds * factor * np.exp(rng.normal(0, 0.1, n))

    runs = {CALIBRATOR: Benchmark(CALIBRATOR, samples(30, 0.01),
                                  {"calibration": True, "calibrates": TORCH_FP32})}  # fmt: skip
    for k in range(benchmarks):
        name = f"benchmarks/test_x.py::test_{k}"
        runs[name] = Benchmark(name, samples(rounds, 0.05 * (k + 1) * slow.get(name, 1.0)))
    return SpeedRun(Path("sim.json"), MACHINE, runs)


def test_simulated_error_rates():
    """200 pairs of runs of one noisy distribution (10% lognormal per sample, the second run
    on a machine up to 2x slower): at most 1 false regression among their 600 benchmark
    verdicts. One benchmark slowed 1.3x (25 rounds): flagged in at least 95% of draws."""
    rng = np.random.default_rng(20261207)
    false, hits = 0, 0
    for _ in range(200):
        base = simulated_run(rng, {}, 1.0)
        same = simulated_run(rng, {}, rng.uniform(1.0, 2.0))
        false += sum(v.regression for v in judge(base, same))
        slowed = simulated_run(rng, {"benchmarks/test_x.py::test_0": 1.3}, rng.uniform(1.0, 2.0))
        verdicts = {v.name: v for v in judge(base, slowed)}
        hits += verdicts["benchmarks/test_x.py::test_0"].regression
    assert false <= 1
    assert hits / 200 >= 0.95


def test_few_rounds_short_medians_and_calibrators_are_report_only():
    rng = np.random.default_rng(0)
    base = simulated_run(rng, {}, 1.0, rounds=4)
    slower = simulated_run(rng, {"benchmarks/test_x.py::test_0": 3.0}, 1.0, rounds=4)
    verdicts = {v.name: v for v in judge(base, slower)}
    assert not verdicts["benchmarks/test_x.py::test_0"].regression
    assert "report only: 4 rounds < 5" in verdicts["benchmarks/test_x.py::test_0"].note
    assert "calibrator" in verdicts[CALIBRATOR].note
    tiny = Benchmark("benchmarks/test_x.py::test_tiny", np.full(20, 5e-4))
    base.benchmarks[tiny.name] = tiny
    slower.benchmarks[tiny.name] = Benchmark(tiny.name, np.full(20, 9e-4))
    (v,) = judge(base, slower, only={tiny.name})
    assert not v.regression and "median < 1 ms" in v.note


def test_a_benchmark_may_say_why_it_cannot_gate():
    rng = np.random.default_rng(4)
    base = simulated_run(rng, {}, 1.0)
    base.benchmarks["benchmarks/test_x.py::test_0"].extra["report_only"] = "history-dependent"
    slower = simulated_run(rng, {"benchmarks/test_x.py::test_0": 3.0}, 1.0)
    (v,) = judge(base, slower, only={"benchmarks/test_x.py::test_0"})
    assert not v.regression and "report only: history-dependent" in v.note


def test_each_benchmark_has_the_calibrator_of_its_kind():
    assert Benchmark("benchmarks/test_rain_speed.py::test_add_rain_512[light]",
                     np.ones(1)).calibrator_kind() == NUMPY_OPENCV  # fmt: skip
    assert Benchmark("benchmarks/test_metrics_speed.py::test_psnr_ssim_torch_batch8",
                     np.ones(1)).calibrator_kind() == TORCH_FP32  # fmt: skip
    assert Benchmark("benchmarks/test_derainer_speed.py::test_precision_512[bf16]",
                     np.ones(1)).calibrator_kind() == "torch-bf16"  # fmt: skip


def _speed_file(path: Path, run: SpeedRun) -> Path:
    data = {"machine_info": {"rdmc_fingerprint": run.fingerprint},
            "commit_info": {"id": "abc"},
            "benchmarks": [{"fullname": b.name, "name": b.name, "extra_info": b.extra,
                            "stats": {"data": b.samples.tolist(), "median": b.median}}
                           for b in run.benchmarks.values()]}  # fmt: skip
    path.write_text(json.dumps(data))
    return path


def test_speed_is_judged_against_this_machines_baseline_only(tmp_path, capsys):
    rng = np.random.default_rng(1)
    base = simulated_run(rng, {}, 1.0)
    slowed = simulated_run(rng, {"benchmarks/test_x.py::test_1": 2.0}, 1.0)
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    stored = store_baseline(_speed_file(tmp_path / "base.json", base), baselines)
    assert stored.name == baseline_name(MACHINE)
    other = SpeedRun(Path("x"), "Other CPU | 4 cores |  | torch 2.13.0", base.benchmarks)
    store_baseline(_speed_file(tmp_path / "other.json", other), baselines)
    current = _speed_file(tmp_path / "current.json", slowed)
    assert main(["compare", str(baselines), str(current)]) == 1
    out = capsys.readouterr().out
    assert "!!speed   benchmarks/test_x.py::test_1" in out
    elsewhere = SpeedRun(Path("y"), "Third CPU | 8 cores |  | torch 2.13.0", slowed.benchmarks)
    assert main(["compare", str(baselines), str(_speed_file(tmp_path / "e.json", elsewhere))]) == 0
    assert "no speed baseline for this machine (Third CPU | 8 cores" in capsys.readouterr().out


def test_a_flag_must_hold_on_a_rerun(tmp_path, monkeypatch, capsys):
    """`--confirm` reruns the flagged benchmarks with their calibrator: a one-off is
    dropped, a real slowdown stays."""
    import rdmc.cli.results

    rng = np.random.default_rng(2)
    base = _speed_file(tmp_path / "base.json", simulated_run(rng, {}, 1.0))
    slow = {"benchmarks/test_x.py::test_1": 2.0}
    current = _speed_file(tmp_path / "current.json", simulated_run(rng, slow, 1.0))
    asked = []

    def rerun_as(run: SpeedRun):
        def rerun(node_ids: list[str]) -> Path:
            asked.append(sorted(node_ids))
            return _speed_file(tmp_path / f"rerun{len(asked)}.json", run)

        return rerun

    monkeypatch.setattr(rdmc.cli.results, "_pytest_rerun", rerun_as(simulated_run(rng, {}, 1.0)))
    assert main(["compare", str(base), str(current), "--confirm"]) == 0
    assert asked == [sorted([CALIBRATOR, "benchmarks/test_x.py::test_1"])]
    assert "(not confirmed)" in capsys.readouterr().out
    monkeypatch.setattr(rdmc.cli.results, "_pytest_rerun", rerun_as(simulated_run(rng, slow, 1.0)))
    assert main(["compare", str(base), str(current), "--confirm"]) == 1
    assert "(confirmed)" in capsys.readouterr().out


def test_two_real_runs_of_a_small_subset_flag_nothing(tmp_path, monkeypatch):
    """On this machine, as it is: the calibrators and the rain suite, twice, compared with
    the gate's rule (a flag confirmed on a rerun)."""
    subset = ["benchmarks/test_peak_speed.py", "benchmarks/test_rain_speed.py"]
    files = []
    for k in range(2):
        out = tmp_path / f"run{k}.json"
        subprocess.run([sys.executable, "-m", "pytest", *subset, "--benchmark-only", "-q",
                        "-p", "no:cacheprovider", f"--benchmark-json={out}"],
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        files.append(out)
    monkeypatch.chdir(ROOT)
    assert main(["compare", str(files[0]), str(files[1]), "--confirm"]) == 0


@pytest.mark.parametrize("damage", ["no data", "twice"])
def test_a_speed_file_without_samples_or_with_a_benchmark_twice_is_exit_2(tmp_path, damage, capsys):
    run = simulated_run(np.random.default_rng(3), {}, 1.0)
    path = _speed_file(tmp_path / "s.json", run)
    data = json.loads(path.read_text())
    if damage == "no data":
        del data["benchmarks"][1]["stats"]["data"]
    else:
        data["benchmarks"].append(data["benchmarks"][1])
    path.write_text(json.dumps(data))
    assert main(["compare", str(path), str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
