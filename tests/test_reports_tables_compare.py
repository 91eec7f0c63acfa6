"""`rdmc tables` and `rdmc compare` on results files built here."""

from __future__ import annotations

import copy
import json
import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rdmc.cli import main
from reports.tables import downstream_table, load_results, render_tables, restoration_table


def record(condition, rain, task, metric, value, unit):
    return {"dataset": "samples:test", "condition": condition, "derainer": condition, "rain": rain,
            "task": task, "model": {"detection": "yolov3-tiny", "segmentation": "selfie-segmentation",
                                    "restoration": "Y channel"}[task],
            "metric": metric, "value": value, "unit": unit, "gt": "pseudo"}  # fmt: skip


def results() -> dict:
    recs = [record("clean", "none", "detection", "mAP", 100.0, "%"),
            record("clean", "none", "segmentation", "mIoU", 100.0, "%")]  # fmt: skip
    table = {"rainy": (13.5, 0.45, 20.0, 40.0), "identity": (13.5, 0.45, 20.0, 40.0),
             "prenet": (24.1, 0.81, 55.0, 70.0), "rdmc-s": (25.3, 0.84, 60.0, 75.0)}  # fmt: skip
    for name, (p, s, ap, iou) in table.items():
        recs += [record(name, "heavy/s3", "restoration", "PSNR", p, "dB"),
                 record(name, "heavy/s3", "restoration", "SSIM", s, "1"),
                 record(name, "heavy/s3", "detection", "mAP", ap, "%"),
                 record(name, "heavy/s3", "segmentation", "mIoU", iou, "%")]  # fmt: skip
        if name != "rainy":
            recs += [record(name, "heavy/s3", "detection", "recovery(mAP)", (ap - 20) / 80, "1"),
                     record(name, "heavy/s3", "segmentation", "recovery(mIoU)", (iou - 40) / 60, "1")]  # fmt: skip
    meta = {"dataset": {"name": "samples:test"}, "restoration_convention": "Y channel (MATLAB rgb2ycbcr)",
            "ground_truth": {"detection": "pseudo: clean predictions", "segmentation": "pseudo: clean predictions"}}  # fmt: skip
    return {"meta": meta, "records": recs}


@pytest.fixture
def results_file(tmp_path):
    path = tmp_path / "base" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(results()))
    return path


def test_tables_mark_best_and_second_among_derainers(results_file):
    data = json.loads(results_file.read_text())
    restoration = restoration_table(data)
    assert [name for name, _ in restoration.rows] == ["rainy", "identity", "prenet", "rdmc-s"]
    ranks = restoration.ranks()[0]  # PSNR column
    names = [name for name, _ in restoration.rows]
    assert {names[i]: r for i, r in ranks.items()} == {"rdmc-s": 1, "prenet": 2}
    downstream = downstream_table(data)
    assert downstream.rows[0][0] == "clean" and downstream.columns[:2] == [
        "heavy/s3 mAP",
        "heavy/s3 rec(mAP)",
    ]
    md = render_tables(results_file, "markdown")
    assert "**25.30**" in md and "<u>24.10</u>" in md and "Y channel" in md and "pseudo" in md


def test_latex_uses_booktabs_and_compiles_if_latex_is_installed(results_file, tmp_path):
    tex = render_tables(results_file, "latex")
    assert "\\toprule" in tex and "\\textbf{25.30}" in tex and "\\underline{24.10}" in tex
    if shutil.which("pdflatex") is None:
        return  # the structure is checked above; compiling needs a TeX installation
    doc = tmp_path / "t.tex"
    doc.write_text(
        "\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}"
    )
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", doc.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]


def test_cli_tables(results_file, capsys):
    assert main(["tables", str(results_file), "--format", "latex", "--metric", "mAP"]) == 0
    out = capsys.readouterr().out
    assert "rec(mAP)" in out and "mIoU" not in out.split("Downstream")[1].split("tabular")[1]


def test_compare_passes_identical_and_fails_20_percent_worse_map(results_file, tmp_path, capsys):
    assert main(["compare", str(results_file), str(results_file)]) == 0
    worse = copy.deepcopy(results())
    for r in worse["records"]:
        if r["metric"] == "mAP" and r["condition"] == "rdmc-s":
            r["value"] *= 0.8
    current = tmp_path / "current" / "results.json"
    current.parent.mkdir()
    current.write_text(json.dumps(worse))
    assert main(["compare", str(results_file.parent), str(current.parent)]) == 1
    out = capsys.readouterr().out
    assert "!!" in out and "rdmc-s heavy/s3 detection yolov3-tiny mAP" in out
    # within a loose tolerance it passes
    assert main(["compare", str(results_file), str(current), "--quality-tol", "15"]) == 0


def test_compare_missing_record_is_a_regression(results_file, tmp_path):
    fewer = results()
    fewer["records"] = [r for r in fewer["records"] if r["condition"] != "prenet"]
    (tmp_path / "fewer.json").write_text(json.dumps(fewer))
    assert main(["compare", str(results_file), str(tmp_path / "fewer.json")]) == 1


def _speed(median: float) -> dict:
    return {
        "benchmarks": [
            {"fullname": "benchmarks/test_x.py::test_a", "stats": {"data": [median] * 5}}
        ]
    }


def test_compare_refuses_a_missing_speed_side(results_file, tmp_path, capsys):
    base, current = tmp_path / "b", tmp_path / "c"
    for side in (base, current):
        side.mkdir()
        shutil.copy(results_file, side / "results.json")
    (base / "speed.json").write_text(json.dumps(_speed(1.0)))
    assert main(["compare", str(base), str(current)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{current}: no pytest-benchmark JSON" in err and "\n" not in err


def test_compare_refuses_an_ambiguous_folder(results_file, tmp_path, capsys):
    current = tmp_path / "c"
    for sub in ("x", "y"):
        (current / sub).mkdir(parents=True)
        shutil.copy(results_file, current / sub / "results.json")
    assert main(["compare", str(results_file), str(current)]) == 2
    err = capsys.readouterr().err.strip()
    assert "2 results files" in err and "x/results.json" in err and "y/results.json" in err


def test_incomplete_results_are_refused_by_compare_and_marked_by_tables(results_file, tmp_path,
                                                                        capsys):  # fmt: skip
    partial = results()
    partial["meta"]["complete"] = False
    (tmp_path / "partial.json").write_text(json.dumps(partial))
    assert main(["compare", str(results_file), str(tmp_path / "partial.json")]) == 2
    assert "incomplete run" in capsys.readouterr().err
    for fmt in ("markdown", "latex"):
        assert "INCOMPLETE RUN" in render_tables(tmp_path / "partial.json", fmt)
    assert "INCOMPLETE" not in render_tables(results_file)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d["records"][3].pop("rain"), "records[3] has no 'rain'"),
        (lambda d: d["records"][0].update(value="high"), "records[0].value is not a number"),
        (lambda d: d["meta"].pop("dataset"), "meta.dataset.name is missing"),
        (lambda d: d.update(records={}), "'records' is not a list"),
    ],
)
def test_malformed_records_are_one_line_in_tables_and_report(tmp_path, capsys, damage, message):
    data = results()
    damage(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    for argv in (["tables", str(path)], ["report", str(path), "-o", str(tmp_path / "r.html")]):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip()
        assert f"{path}: {message}" in err and "\n" not in err


def test_compare_refuses_results_made_on_other_data(tmp_path, capsys):
    base, other = results(), results()
    base["meta"]["dataset"]["sha256"] = "a" * 64
    other["meta"]["dataset"]["sha256"] = "b" * 64
    paths = []
    for name, data in (("base", base), ("other", other)):
        path = tmp_path / name / "results.json"
        path.parent.mkdir()
        path.write_text(json.dumps(data))
        paths.append(str(path))
    assert main(["compare", *paths]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "made on other data than the baseline" in err
    assert "bbbbbbbbbbbb against aaaaaaaaaaaa" in err
    assert main(["compare", paths[0], paths[0]]) == 0


def _with_intervals(data: dict, half_widths: dict[str, float]) -> dict:
    data = copy.deepcopy(data)
    for r in data["records"]:
        if r["metric"] == "PSNR":
            half = half_widths[r["condition"]]
            r["ci95"] = [r["value"] - half, r["value"] + half]
    return data


def test_tables_show_intervals_and_mark_best_only_beyond_them():
    # rdmc-s 25.3 and prenet 24.1: overlapping intervals mark nobody, separated ones mark both
    wide = restoration_table(_with_intervals(results(), {"rainy": 0.2, "identity": 0.2,
                                                          "prenet": 1.0, "rdmc-s": 1.0}))  # fmt: skip
    assert wide.ranks()[0] == {}
    assert "25.30 ±1.00" in render_tables_of(wide)
    narrow = restoration_table(_with_intervals(results(), {"rainy": 0.2, "identity": 0.2,
                                                            "prenet": 0.3, "rdmc-s": 0.3}))  # fmt: skip
    names = [name for name, _ in narrow.rows]
    assert {names[i]: r for i, r in narrow.ranks()[0].items()} == {"rdmc-s": 1, "prenet": 2}
    assert "**25.30 ±0.30**" in render_tables_of(narrow)
    # best clears the runner-up, but the runner-up does not clear the third: no underline
    close = restoration_table(_with_intervals(results(), {"rainy": 0.2, "identity": 0.2,
                                                           "prenet": 5.0, "rdmc-s": 0.3}))  # fmt: skip
    assert {names[i]: r for i, r in close.ranks()[0].items()} == {}


def render_tables_of(table) -> str:
    from reports.tables import to_markdown

    return to_markdown(table)


def test_compare_flags_a_drop_only_beyond_tolerance_and_the_baseline_interval(tmp_path):
    from reports.compare import compare

    base = results()
    for r in base["records"]:
        if r["metric"] == "mAP" and r["condition"] == "rdmc-s":
            r["ci95"] = [50.0, 70.0]
    (tmp_path / "base.json").write_text(json.dumps(base))
    for new_value, flagged in ((55.0, False), (45.0, True)):
        current = copy.deepcopy(base)
        for r in current["records"]:
            if r["metric"] == "mAP" and r["condition"] == "rdmc-s":
                r["value"] = new_value
        (tmp_path / "cur.json").write_text(json.dumps(current))
        changes = compare(tmp_path / "base.json", tmp_path / "cur.json")
        [change] = [c for c in changes if "rdmc-s" in c.name and c.name.endswith("mAP")]
        assert change.regression is flagged, change
        assert "baseline 95% CI [50, 70]" in change.note


def test_downstream_table_has_columns_per_model_of_a_task():
    data = results()
    second = [dict(r, model="yolov4-tiny", value=r["value"] / 2) for r in data["records"]
              if r["task"] == "detection"]  # fmt: skip
    data["records"] += second
    table = downstream_table(data, metrics=("mAP",))
    assert table.columns[:4] == ["heavy/s3 yolov3-tiny mAP", "heavy/s3 yolov3-tiny rec(mAP)",
                                 "heavy/s3 yolov4-tiny mAP", "heavy/s3 yolov4-tiny rec(mAP)"]  # fmt: skip
    rdmc_row = dict(table.rows)["rdmc-s"]
    assert rdmc_row[0] == 60.0 and rdmc_row[2] == 30.0


# ---------------------------------------------------------------- verdicts that cannot lie


def _compare(tmp_path, base: dict, current: dict, capsys) -> tuple[int, str, str]:
    paths = []
    for name, data in (("base", base), ("current", current)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))  # Python writes NaN / Infinity as a careless tool would
        paths.append(str(path))
    code = main(["compare", *paths])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _set(data: dict, condition: str, metric: str, value) -> dict:
    for r in data["records"]:
        if (r["condition"], r["metric"]) == (condition, metric):
            r["value"] = value
    return data


def test_compare_flags_a_value_that_became_nan(tmp_path, capsys):
    code, out, _ = _compare(
        tmp_path, results(), _set(results(), "rdmc-s", "PSNR", math.nan), capsys
    )
    assert code == 1 and "!!quality" in out and "not a number in current" in out


def test_compare_cannot_judge_against_a_nan_baseline(tmp_path, capsys):
    code, out, err = _compare(
        tmp_path, _set(results(), "prenet", "mAP", math.nan), results(), capsys
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "prenet heavy/s3 detection yolov3-tiny mAP is not a number" in err


def test_compare_refuses_a_duplicated_record(tmp_path, capsys):
    doubled = results()
    doubled["records"].append(copy.deepcopy(doubled["records"][-1]))
    for base, current in ((results(), doubled), (doubled, results())):
        code, _, err = _compare(tmp_path, base, current, capsys)
        assert code == 2 and "appears twice" in err and len(err.strip().splitlines()) == 1


def test_compare_refuses_another_rain_seed(tmp_path, capsys):
    base, other = results(), results()
    base["meta"]["seed"], other["meta"]["seed"] = 0, 1
    code, _, err = _compare(tmp_path, base, other, capsys)
    assert code == 2 and "another rain seed" in err


def _scoreboard_results(latency: float, params: float = 1.5) -> dict:
    def row(condition, metric, value, unit, rain="light/s3"):
        return {
            "condition": condition,
            "derainer": condition,
            "rain": rain,
            "task": "restoration" if unit != "ms" and metric not in ("params",) else "complexity",
            "model": "Y channel",
            "metric": metric,
            "value": value,
            "unit": unit,
            "gt": "clean image",
        }

    records = [
        row("rainy", "PSNR", 20.0, "dB"),
        row("mine", "PSNR", 25.0, "dB"),
        row("mine", "latency", latency, "ms", "none"),
        row("mine", "params", params, "M", "none"),
    ]
    meta = {
        "kind": "scoreboard",
        "dataset": {"name": "samples:test", "sha256": "c" * 64},
        "seed": 0,
        "complete": True,
    }
    return {"meta": meta, "records": records}


def test_compare_reads_scoreboards_and_reports_latency_without_judging_it(tmp_path, capsys):
    """Scoreboard records have no 'dataset' field (it once crashed compare with exit 1).
    Latency is one median without its samples: listed (lower is better), never a verdict."""
    code, out, _ = _compare(tmp_path, _scoreboard_results(10.0), _scoreboard_results(5.0), capsys)
    assert code == 0 and "x0.50" in out
    code, out, _ = _compare(tmp_path, _scoreboard_results(10.0), _scoreboard_results(20.0), capsys)
    assert code == 0 and "x2.00 (report only: a median without its samples)" in out
    code, out, _ = _compare(
        tmp_path, _scoreboard_results(10.0), _scoreboard_results(10.0, params=3.0), capsys
    )
    assert code == 0 and "reported, not judged" in out
    code, out, _ = _compare(
        tmp_path,
        _scoreboard_results(10.0),
        _set(_scoreboard_results(10.0), "mine", "PSNR", 20.0),
        capsys,
    )
    assert code == 1 and "!!quality mine mine light/s3 restoration Y channel PSNR" in out


def test_results_files_are_strict_json_and_infinity_reads_back(tmp_path):
    from downstream.results import records as results_file

    data = results()
    _set(data, "rdmc-s", "PSNR", math.inf)
    text = results_file.dumps(data).decode()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    path = tmp_path / "results.json"
    path.write_text(text)
    assert math.isinf(value_of(load_results(path), "rdmc-s", "PSNR"))
    assert "∞" in render_tables(path) and "$\\infty$" in render_tables(path, "latex")


def value_of(data: dict, condition: str, metric: str) -> float:
    (r,) = [r for r in data["records"] if (r["condition"], r["metric"]) == (condition, metric)]
    return r["value"]


def test_an_infinite_paired_difference_is_better_without_a_warning():
    import warnings

    import numpy as np

    from downstream.results.records import add_intervals

    rainy = {
        "condition": "rainy",
        "task": "restoration",
        "model": "Y",
        "metric": "PSNR",
        "rain": "r",
        "value": 20.0,
        "replicates": [20.0] * 50,
    }
    exact = {**rainy, "condition": "identity", "value": math.inf, "replicates": [math.inf] * 50}
    same = {**rainy, "condition": "copy", "value": math.inf, "replicates": [math.inf] * 50}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        add_intervals([rainy, exact])
        add_intervals([{**exact, "condition": "rainy"}, same])
    assert exact["vs_rainy"]["verdict"] == "better" and exact["vs_rainy"]["difference"] == np.inf
    assert same["vs_rainy"]["verdict"] == "no difference" and same["vs_rainy"]["difference"] == 0


def test_latex_and_markdown_escape_every_special_character(tmp_path):
    data = results()
    for r in data["records"]:
        if r["condition"] == "prenet":
            r["condition"] = r["derainer"] = "a}b{c$d^e~f_g|h"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    latex = render_tables(path, "latex")
    assert r"a\}b\{c\$d\textasciicircum{}e\textasciitilde{}f\_g\textbar{}h" in latex
    markdown = render_tables(path, "markdown")
    row = next(line for line in markdown.splitlines() if "a}b{c" in line)
    assert row.count(" | ") == markdown.splitlines()[2].count(" | ")  # no extra column
    assert "g\\|h" in row


_VALUES = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=3),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def _damaged_results(draw) -> dict:
    data = results()
    data["meta"]["seed"] = draw(st.sampled_from([0, 1]))
    for r in data["records"]:
        if draw(st.booleans()):
            r["value"] = draw(_VALUES)
        if draw(st.integers(0, 9)) == 0:
            r.pop(draw(st.sampled_from(sorted(r))))
    if draw(st.booleans()):
        data["records"].append(copy.deepcopy(draw(st.sampled_from(data["records"]))))
    if draw(st.integers(0, 9)) == 0:
        data["meta"] = draw(st.sampled_from([[], "x", {}, {"dataset": 3}]))
    if draw(st.integers(0, 9)) == 0:
        data["records"] = draw(st.sampled_from([{}, None, [1], "r"]))
    return data


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(base=_damaged_results(), current=_damaged_results())
def test_compare_fuzz_gives_a_verdict_or_one_line_exit_2(tmp_path, capsys, base, current):
    code, out, err = _compare(tmp_path, base, current, capsys)
    assert code in (0, 1, 2)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    else:
        assert err == "" and out.strip()
