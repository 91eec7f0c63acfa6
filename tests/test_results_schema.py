"""The results file's one schema and one writer, shared by `rdmc bench` and `rdmc scoreboard`."""

from __future__ import annotations

import json

import downstream.bench.runner
import downstream.scoreboard.runner
from downstream.results import records
from rdmc.iqa import QUALITY_UNIT, RECORD_NAMES
from rdmc.metrics import RESTORATION_UNITS


def test_units_agree_with_the_metrics_that_make_the_figures():
    assert {k: records.UNITS[k] for k in RESTORATION_UNITS} == RESTORATION_UNITS
    assert {records.UNITS[name] for name in RECORD_NAMES.values()} == {QUALITY_UNIT}
    assert set(RECORD_NAMES.values()) == records.LOWER_IS_BETTER


def test_bench_and_scoreboard_write_through_the_one_writer():
    assert downstream.bench.runner.write_results is records.write_results
    assert downstream.scoreboard.runner.write_results is records.write_results


def test_the_writer_adds_intervals_and_leaves_the_replicates_out(tmp_path):
    base = dict(dataset="d", derainer="none", rain="heavy/s3", task="restoration", gt="clean")
    rainy = dict(base, condition="rainy", model="m", metric="PSNR", value=10.0, unit="dB")
    derained = dict(rainy, condition="rdmc-s", derainer="rdmc-s", value=12.0)
    rainy["replicates"] = [9.0 + i / 100 for i in range(100)]
    derained["replicates"] = [11.5 + i / 100 for i in range(100)]
    stale = dict(derained, ci95=[0.0, 1.0])
    path = tmp_path / "results.json"
    records.write_results(path, {"kind": "test"}, [rainy, stale])
    written = json.loads(path.read_text())["records"]
    assert all("replicates" not in r for r in written)
    assert written[1]["ci95"] != [0.0, 1.0] and written[1]["vs_rainy"]["verdict"] == "better"
    assert "replicates" in rainy  # the caller's records keep theirs for the next write
    records.write_results(path, {"kind": "test"}, [rainy, stale], intervals=False)
    partial = json.loads(path.read_text())["records"]  # a long run's per-cell writes
    assert all("ci95" not in r and "vs_rainy" not in r and "replicates" not in r for r in partial)
