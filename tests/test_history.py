"""`rdmc history`: runs appended one JSON line each; trends with their steps and commits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rdmc.cli import main
from reports.history import read_history, run_line, steps_in


def _night(folder, commit: str, psnr: float, speed: float, calibrator: float = 0.01):
    folder.mkdir(parents=True)
    record = {"dataset": "d", "condition": "rdmc-s", "derainer": "rdmc-s", "rain": "heavy/s3",
              "task": "restoration", "model": "Y channel", "metric": "PSNR", "value": psnr,
              "unit": "dB", "gt": "clean image", "ci95": [psnr - 1, psnr + 1]}  # fmt: skip
    results = {"meta": {"git_commit": commit, "dataset": {"name": "d"}}, "records": [record]}
    (folder / "results.json").write_text(json.dumps(results))
    bench = [
        {"fullname": "benchmarks/test_peak_speed.py::test_conv3x3_peak[fp32]",
         "extra_info": {"calibration": True, "calibrates": "torch-fp32"},
         "stats": {"data": [calibrator] * 9}},
        {"fullname": "benchmarks/test_x.py::test_a", "extra_info": {},
         "stats": {"data": [speed * f for f in (0.9, 1.0, 1.1)]}},
    ]  # fmt: skip
    speed_file = {"machine_info": {"rdmc_fingerprint": "CPU | 2 cores | avx2 | torch 2.13.0"},
                  "benchmarks": bench}  # fmt: skip
    (folder / "speed.json").write_text(json.dumps(speed_file))
    return folder


def test_a_run_line_holds_quality_and_normalised_speed(tmp_path):
    line = run_line(_night(tmp_path / "n", "c1", 25.0, 0.5, calibrator=0.02), date="2026-12-01")
    assert line["commit"] == "c1" and line["fingerprint"].startswith("CPU | 2 cores")
    (key,) = line["quality"]
    assert key == "restoration | Y channel | PSNR | rdmc-s | heavy/s3"
    assert line["quality"][key] == {"value": 25.0, "ci95": [24.0, 26.0]}
    speed = line["speed"]["benchmarks/test_x.py::test_a"]
    assert speed["normalised_median"] == 25.0  # 0.5 s over a 0.02 s calibrator
    assert speed["iqr"] == pytest.approx(2.5)


def test_history_add_and_report_mark_the_step_with_its_commits(tmp_path, capsys):
    history = tmp_path / "history"
    rng = np.random.default_rng(0)
    for night in range(12):
        psnr = 25.0 + rng.normal(0, 0.02) - (1.0 if night >= 7 else 0.0)
        folder = _night(tmp_path / f"n{night}", f"commit{night:02d}", psnr, 0.5)
        assert main(["history", "add", str(folder), "--to", str(history)]) == 0
    lines = read_history(history)
    assert len(lines) == 12 and [line["commit"] for line in lines][:2] == ["commit00", "commit01"]
    out = tmp_path / "history.html"
    assert main(["history", "report", str(history), "-o", str(out)]) == 0
    page = out.read_text()
    assert "restoration Y channel PSNR: rdmc-s @ heavy/s3" in page
    assert "<code>commit06</code> .. <code>commit07</code>" in page
    assert page.count("<tr><td>restoration") == 1  # the one step; speed held still
    assert "data:image/png;base64," in page


def test_steps_error_rates_on_simulated_series():
    """200 series of 20 nights with 2% noise: at most 2 with a step found; a 10% step in the
    middle: found, at the right night, in at least 95% of them."""
    rng = np.random.default_rng(7)
    false = found = 0
    for _ in range(200):
        noise = 1 + rng.normal(0, 0.02, 20)
        false += bool(steps_in(list(noise)))
        stepped = noise * np.where(np.arange(20) >= 10, 1.10, 1.0)
        found += steps_in(list(stepped)) == [10]
    assert false <= 2
    assert found / 200 >= 0.95


def test_history_errors_are_one_line(tmp_path, capsys):
    assert main(["history", "report", str(tmp_path), "-o", str(tmp_path / "h.html")]) == 1
    assert "no history" in capsys.readouterr().err
    assert main(["history", "add", str(tmp_path), "--to", str(tmp_path / "h")]) == 1
    assert "no results.json and no pytest-benchmark JSON" in capsys.readouterr().err


def test_a_broken_results_file_is_one_line_naming_it(tmp_path, capsys):
    run = _night(tmp_path / "n", "c1", 25.0, 0.5)
    (run / "results.json").write_text("{not json")
    assert main(["history", "add", str(run), "--to", str(tmp_path / "h")]) == 1
    err = capsys.readouterr().err.strip()
    assert f"{run / 'results.json'}: not a readable results.json" in err and "\n" not in err
    assert not (tmp_path / "h" / "history.jsonl").exists()
