"""Speed verdicts of the regression gate: raw samples, normalised within the run, judged by
significance and size, per machine.

- Every pytest-benchmark result keeps its per-round timings (``stats.data``).
- A run holds calibration benchmarks (``extra_info["calibration"]``: the conv3x3 peaks for
  torch work, a numpy/OpenCV kernel for the rest). Each benchmark is read as its time over
  its calibrator's median in the same run, so a machine uniformly slower (a busier or
  smaller cloud host of the same kind) moves nothing.
- A slowdown is a regression only when it is significant (one-sided Mann-Whitney U of the
  normalised samples, p < 0.01) and large (the 95% bootstrap interval of the normalised
  ratio of medians lies wholly above the threshold, 1.10 unless the benchmark's
  ``extra_info["threshold"]`` says otherwise), and the raw times show it too (their ratio's
  interval above the threshold as well). Normalising may excuse a slowdown (the whole
  machine slower), never create one: on a shared host a compute-bound calibrator can run
  faster while memory-bound work runs slower, which read PReNet's latency x1.25 normalised
  against x1.11 raw, confirmed on a rerun, with no code change.
- A benchmark with fewer than 5 rounds or a median under 1 ms, without a calibrator, or
  whose ``extra_info["report_only"]`` gives a reason, is reported only, never judged.
- Speed is judged only against a baseline of the same machine fingerprint (CPU model, core
  count, the ISA flags that change kernels, torch's version).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rdmc.digests import sha256_text

GATE_MIN_ROUNDS = 5
GATE_MIN_MEDIAN_S = 1e-3
DEFAULT_THRESHOLD = 1.10
SIGNIFICANCE = 0.01
RESAMPLES = 2000
# ISA extensions that select other kernels in torch, OpenCV and numpy.
KERNEL_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
# What each calibration benchmark stands for (its extra_info["calibrates"]).
TORCH_FP32, TORCH_BF16, NUMPY_OPENCV = "torch-fp32", "torch-bf16", "numpy-opencv"
NUMPY_OPENCV_SUITES = ("test_metrics_speed.py", "test_rain_speed.py")


class SpeedFileError(ValueError):
    """A pytest-benchmark file that cannot be judged; the message names it."""


@dataclass
class Benchmark:
    name: str  # pytest's full name: benchmarks/test_x.py::test_y[param]
    samples: np.ndarray  # seconds per iteration, one per round
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def iqr(self) -> float:
        q1, q3 = np.percentile(self.samples, [25, 75])
        return float(q3 - q1)

    @property
    def is_calibration(self) -> bool:
        return bool(self.extra.get("calibration"))

    def calibrator_kind(self) -> str:
        """Which calibrator a benchmark is read against: its ``extra_info["calibrator"]``,
        else bf16 work against the bf16 peak, the numpy/OpenCV suites (but their torch
        benchmarks) against the numpy/OpenCV kernel, the rest against the fp32 peak."""
        if isinstance(self.extra.get("calibrator"), str):
            return self.extra["calibrator"]
        if "bf16" in self.name.lower():
            return TORCH_BF16
        file = self.name.partition("::")[0]
        if file.endswith(NUMPY_OPENCV_SUITES) and "torch" not in self.name:
            return NUMPY_OPENCV
        return TORCH_FP32


@dataclass
class SpeedRun:
    path: Path
    fingerprint: str
    benchmarks: dict[str, Benchmark]
    commit: str | None = None

    def calibrator(self, kind: str) -> Benchmark | None:
        return next(
            (
                b
                for b in self.benchmarks.values()
                if b.is_calibration and b.extra.get("calibrates") == kind
            ),
            None,
        )

    def normalised(self, bench: Benchmark) -> float | None:
        """The benchmark's median over its calibrator's (None without one)."""
        calibrator = self.calibrator(bench.calibrator_kind())
        return None if calibrator is None else bench.median / calibrator.median


def fingerprint(cpu: dict, torch_version: str) -> str:
    """One line naming the machine for speed baselines, from py-cpuinfo's ``cpu`` dict."""
    flags = [f for f in KERNEL_FLAGS if f in set(cpu.get("flags", []))]
    brand = cpu.get("brand_raw") or cpu.get("arch") or "unknown CPU"
    return f"{brand} | {cpu.get('count', '?')} cores | {','.join(flags)} | torch {torch_version}"


def baseline_name(machine: str) -> str:
    """The file name of a machine's speed baseline in benchmarks/baselines/."""
    return f"speed-{sha256_text(machine)[:12]}.json"


def is_speed_file(data: object) -> bool:
    return isinstance(data, dict) and "benchmarks" in data


def read_speed(path: Path, data: dict) -> SpeedRun:
    """A pytest-benchmark JSON as a SpeedRun; SpeedFileError naming the file and the entry
    for anything a verdict cannot rest on."""
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list):
        raise SpeedFileError(f"{path}: 'benchmarks' is not a list")
    info = data.get("machine_info") if isinstance(data.get("machine_info"), dict) else {}
    machine = info.get("rdmc_fingerprint")
    if not isinstance(machine, str):
        cpu = info.get("cpu") if isinstance(info.get("cpu"), dict) else {}
        machine = fingerprint(cpu, "unknown")
    runs: dict[str, Benchmark] = {}
    for i, b in enumerate(benchmarks):
        name = b.get("fullname") if isinstance(b, dict) else None
        stats = b.get("stats") if isinstance(b, dict) else None
        samples = stats.get("data") if isinstance(stats, dict) else None
        if not isinstance(name, str) or not _positive_numbers(samples):
            raise SpeedFileError(
                f"{path}: benchmarks[{i}] has no name or no per-round timings "
                "(stats.data of positive numbers)"
            )
        if name in runs:
            raise SpeedFileError(f"{path}: the benchmark {name} appears twice")
        extra = b.get("extra_info") if isinstance(b.get("extra_info"), dict) else {}
        runs[name] = Benchmark(name, np.asarray(samples, np.float64), extra)
    commit = (
        data.get("commit_info", {}).get("id") if isinstance(data.get("commit_info"), dict) else None
    )
    return SpeedRun(path, machine, runs, commit)


def _positive_numbers(values: object) -> bool:
    return (
        isinstance(values, list)
        and len(values) > 0
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for v in values
        )
    )


@dataclass
class Verdict:
    name: str
    baseline: float  # median seconds
    current: float
    regression: bool
    note: str


def _bootstrap_medians(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    draws = rng.integers(0, samples.size, size=(RESAMPLES, samples.size))
    return np.median(samples[draws], axis=1)


def normalised_change(
    base: np.ndarray,
    current: np.ndarray,
    base_cal: np.ndarray,
    current_cal: np.ndarray,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """(ratio, interval low, interval high, p): the ratio of the normalised medians (current
    over baseline, each over its run's calibrator median), its 95% bootstrap interval (every
    sample set resampled), and the one-sided Mann-Whitney U p-value that the current
    normalised samples are slower."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(seed)
    ratio = (np.median(current) / np.median(current_cal)) / (np.median(base) / np.median(base_cal))
    replicates = (_bootstrap_medians(current, rng) / _bootstrap_medians(current_cal, rng)) / (
        _bootstrap_medians(base, rng) / _bootstrap_medians(base_cal, rng)
    )
    low, high = np.percentile(replicates, [2.5, 97.5])
    p = mannwhitneyu(
        current / np.median(current_cal), base / np.median(base_cal), alternative="greater"
    ).pvalue
    return float(ratio), float(low), float(high), float(p)


def raw_interval(base: np.ndarray, current: np.ndarray, seed: int = 1) -> tuple[float, float]:
    """The 95% bootstrap interval of the raw ratio of medians (current over baseline)."""
    rng = np.random.default_rng(seed)
    replicates = _bootstrap_medians(current, rng) / _bootstrap_medians(base, rng)
    low, high = np.percentile(replicates, [2.5, 97.5])
    return float(low), float(high)


def _report_only(base: Benchmark, current: Benchmark) -> str | None:
    """Why a benchmark cannot gate, or None."""
    if isinstance(base.extra.get("report_only"), str):  # the benchmark says why itself
        return base.extra["report_only"]
    rounds = min(base.samples.size, current.samples.size)
    if rounds < GATE_MIN_ROUNDS:
        return f"{rounds} rounds < {GATE_MIN_ROUNDS}"
    if min(base.median, current.median) < GATE_MIN_MEDIAN_S:
        return "median < 1 ms"
    return None


def judge(
    base: SpeedRun,
    current: SpeedRun,
    threshold: float = DEFAULT_THRESHOLD,
    only: set[str] | None = None,
) -> list[Verdict]:
    """Every baseline benchmark (or those in ``only``) against the current run."""
    verdicts = []
    for name, b in base.benchmarks.items():
        if only is not None and name not in only:
            continue
        c = current.benchmarks.get(name)
        if c is None:
            verdicts.append(Verdict(name, b.median, math.nan, False, "not run"))
            continue
        raw = c.median / b.median
        if b.is_calibration:
            note = f"calibrator: this machine x{raw:.2f} the baseline's (report only)"
            verdicts.append(Verdict(name, b.median, c.median, False, note))
            continue
        kind = b.calibrator_kind()
        cal_b, cal_c = base.calibrator(kind), current.calibrator(kind)
        why = _report_only(b, c) or (None if cal_b and cal_c else f"no {kind} calibrator")
        if why:
            note = f"median x{raw:.2f} (report only: {why})"
            verdicts.append(Verdict(name, b.median, c.median, False, note))
            continue
        limit = float(b.extra.get("threshold", threshold))
        ratio, low, high, p = normalised_change(b.samples, c.samples, cal_b.samples, cal_c.samples)
        raw_low = raw_interval(b.samples, c.samples)[0]
        regression = p < SIGNIFICANCE and low > limit and raw_low > limit
        note = (
            f"normalised x{ratio:.2f} [{low:.2f}, {high:.2f}], p={p:.2g}; raw x{raw:.2f} "
            f"[{raw_low:.2f}, ..] (a regression when p<{SIGNIFICANCE} and both intervals lie "
            f"above x{limit:.2f})"
        )
        verdicts.append(Verdict(name, b.median, c.median, regression, note))
    return verdicts


def find_baseline(candidates: list[SpeedRun], machine: str) -> SpeedRun | None:
    """The baseline of this machine among ``candidates``; SpeedFileError if two are."""
    same = [c for c in candidates if c.fingerprint == machine]
    if len(same) > 1:
        names = ", ".join(str(c.path) for c in same)
        raise SpeedFileError(f"two speed baselines for this machine ({names}); keep one")
    return same[0] if same else None


def store_baseline(speed_json: Path, folder: Path) -> Path:
    """Adds (or replaces) this machine's speed baseline in ``folder``, beside the others."""
    from rdmc.imageio import write_bytes_atomic

    data = json.loads(Path(speed_json).read_text())
    run = read_speed(Path(speed_json), data)
    target = Path(folder) / baseline_name(run.fingerprint)
    write_bytes_atomic(target, Path(speed_json).read_bytes())
    return target
