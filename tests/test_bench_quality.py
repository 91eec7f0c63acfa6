"""No-reference quality in the benchmark: records per condition, lower-is-better verdicts,
table marks and the regression gate, and the suite's choice of metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from test_bench import make_suite, records

from downstream.bench import BenchError, load_suite, run_bench
from downstream.results.records import add_intervals
from reports.compare import compare
from reports.tables import quality_table


def _record(condition: str, metric: str, replicates: np.ndarray, value: float) -> dict:
    return {
        "dataset": "d",
        "condition": condition,
        "derainer": condition,
        "rain": "heavy/s3",
        "task": "quality",
        "model": "no reference",
        "metric": metric,
        "value": value,
        "unit": "1",
        "gt": "none",
        "replicates": replicates.tolist(),
    }


@pytest.mark.parametrize("metric, expected", [("NIQE", "better"), ("PSNR", "worse")])
def test_a_lower_value_is_better_only_for_no_reference_quality(metric, expected):
    rng = np.random.default_rng(0)
    rainy = 8 + rng.normal(0, 0.1, 1000)
    recs = [_record("rainy", metric, rainy, 8.0), _record("mine", metric, rainy - 2, 6.0)]
    add_intervals(recs)
    assert recs[1]["vs_rainy"]["verdict"] == expected
    assert recs[1]["vs_rainy"]["difference"] == -2.0


def test_the_quality_table_marks_the_lowest_and_keeps_clean_as_a_reference():
    def rec(condition, value, ci):
        return {
            "condition": condition,
            "rain": "none" if condition == "clean" else "heavy/s3",
            "task": "quality",
            "model": "no reference",
            "metric": "NIQE",
            "value": value,
            "ci95": ci,
        }

    data = {
        "meta": {"dataset": {"name": "d"}, "quality": {"variants": {"NIQE": "NIQE, LIVE"}}},
        "records": [
            rec("clean", 3.0, [2.9, 3.1]),
            rec("rainy", 8.0, [7.9, 8.1]),
            rec("a", 5.0, [4.9, 5.1]),
            rec("b", 6.0, [5.9, 6.1]),
            rec("c", 7.0, [6.9, 7.1]),
        ],
    }
    table = quality_table(data)
    assert table.columns == ["heavy/s3 NIQE ↓"]
    assert [name for name, _ in table.rows] == ["clean", "rainy", "a", "b", "c"]
    assert table.ranks() == [{2: 1, 3: 2}]  # a best, b second; clean is no contestant
    assert "NIQE, LIVE" in table.caption and "lower is better" in table.caption


def _results(niqe: float, ci: list[float]) -> dict:
    return {
        "meta": {"dataset": {"name": "d"}, "complete": True},
        "records": [
            {
                "dataset": "d",
                "condition": "mine",
                "derainer": "mine",
                "rain": "heavy/s3",
                "task": "quality",
                "model": "no reference",
                "metric": "NIQE",
                "value": niqe,
                "unit": "1",
                "gt": "none",
                "ci95": ci,
            }
        ],
    }


def test_the_gate_flags_a_rise_of_niqe_and_passes_a_fall(tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(_results(5.0, [4.8, 5.2])))
    for niqe, regression in ((5.5, True), (4.5, False), (5.1, False)):
        current = tmp_path / f"now-{niqe}.json"
        current.write_text(json.dumps(_results(niqe, [niqe - 0.2, niqe + 0.2])))
        (change,) = [c for c in compare(base, current) if c.kind == "quality"]
        assert change.regression is regression, niqe


def test_a_suite_chooses_its_metrics_and_unknown_ones_are_one_line(tmp_path):
    suite = yaml.safe_load(make_suite(tmp_path).read_text())
    assert load_suite(make_suite(tmp_path)).quality == ["niqe", "brisque", "piqe"]
    assert load_suite("default").quality[0] == "niqe"
    suite["quality"] = ["niqe", "ssim"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(suite))
    with pytest.raises(BenchError, match=r"bad.yaml: quality\[1\]: unknown metric 'ssim'"):
        load_suite(path)


def test_bench_records_quality_for_every_condition_and_caches_it(tmp_path, monkeypatch):
    path = make_suite(tmp_path, derainers=("identity", "guided-filter"))
    suite = yaml.safe_load(path.read_text())
    suite["quality"] = ["niqe", "piqe"]
    path.write_text(yaml.safe_dump(suite))
    results = run_bench(path, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache")
    recs = [r for r in records(results) if r["task"] == "quality"]
    conditions = {(r["condition"], r["rain"]) for r in recs}
    assert ("clean", "none") in conditions
    for rain in ("heavy/s3", "heavy/s5"):
        assert {c for c, r in conditions if r == rain} == {"rainy", "identity", "guided-filter"}
    assert {r["metric"] for r in recs} == {"NIQE", "PIQE"}
    for r in recs:
        assert len(r["per_image"]) == 3 and r["unit"] == "1"
        assert r["ci95"][0] <= r["value"] <= r["ci95"][1]
    identity = [r for r in recs if r["condition"] == "identity"]
    assert all(r["vs_rainy"]["verdict"] == "no difference" for r in identity)
    meta = json.loads(results.read_text())["meta"]
    assert meta["quality"]["metrics"] == ["NIQE", "PIQE"]
    assert "LIVE" in meta["quality"]["variants"]["NIQE"]
    assert len(meta["quality"]["model_files"]["niqe-pristine"]) == 64
    from reports.html import render_report

    page = render_report([results], tmp_path / "report.html").read_text()
    assert "NIQE (lower is better) against rain severity" in page
    assert "Spearman &rho; of each metric with PSNR" in page

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached quality value was recomputed")

    monkeypatch.setattr("rdmc.iqa.score", must_not_run)
    again = run_bench(
        path, tmp_path / "out", resume=True, progress=False, cache_dir=tmp_path / "cache"
    )
    assert records(again) == records(results)

    monkeypatch.undo()
    suite["quality"] = []
    path.write_text(yaml.safe_dump(suite))
    none = run_bench(path, tmp_path / "none", progress=False, cache_dir=tmp_path / "cache")
    assert not [r for r in records(none) if r["task"] == "quality"]


def test_agreement_with_psnr_per_image_and_per_condition():
    from reports.agreement import agreement

    rng = np.random.default_rng(1)
    recs = []
    for k, condition in enumerate(["rainy", "a", "b", "c"]):
        psnr = 20 + k + rng.normal(0, 1, 40)
        for metric, values in (("PSNR", psnr), ("NIQE", 30 - psnr), ("PIQE", rng.random(40))):
            task = "restoration" if metric == "PSNR" else "quality"
            recs.append(
                {
                    "condition": condition,
                    "rain": "heavy/s3",
                    "task": task,
                    "metric": metric,
                    "per_image": values.tolist(),
                }
            )
    recs.append(
        {
            "condition": "clean",
            "rain": "none",
            "task": "quality",
            "metric": "NIQE",
            "per_image": [1.0] * 40,
        }
    )  # no PSNR: left out
    rows = {r["metric"]: r for r in agreement(recs)}
    assert rows["NIQE"]["per_image"] == pytest.approx(-1.0)
    assert rows["NIQE"]["per_condition"] == pytest.approx(-1.0)
    assert rows["NIQE"]["points"] == 160 and rows["NIQE"]["conditions"] == 4
    lo, hi = rows["PIQE"]["per_image_ci95"]
    assert lo < rows["PIQE"]["per_image"] < hi and lo < 0 < hi  # unrelated: 0 inside
