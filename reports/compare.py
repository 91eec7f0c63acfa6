"""`rdmc compare BASELINE CURRENT`: the regression gate.

Quality: every record of the baseline's results.json is looked up in the
current one (same dataset, condition, derainer, rain, task, model, metric). For
quality metrics (higher is better; NIQE, BRISQUE and PIQE the other way round) a
drop of more than the absolute tolerance that also falls outside the baseline's
95% bootstrap interval (where it has one),
a value that became NaN, or a missing record, is a regression. Default
tolerances per unit: 0.5 points for percentages, 0.1 dB for PSNR, 0.005 for
unit-less values. Latency (ms) is lower-is-better but a median without its
samples: listed, never judged; so are parameters and GFLOPs.
Two files made on other images, rain settings, rain seed or PSNR convention,
a record twice, a value that is not a number, or a baseline value of NaN
cannot be compared (exit 2).

Speed (reports.speed): per-round timings, each benchmark normalised by its
calibrator in the same run; a regression only when significant (one-sided
Mann-Whitney U, p < 0.01) and large (the 95% bootstrap interval of the
normalised ratio of medians wholly above 1 + ``speed_tol``, 10 % by default).
Judged only against the baseline of the same machine fingerprint: the baseline
side may hold one speed file per machine; with none for this machine one line
says so and speed does not gate. With ``rerun``, flagged benchmarks are run
once more (with their calibrators) and fail only if flagged again.

BASELINE and CURRENT are files or folders (searched for results.json and for
pytest-benchmark JSON). A kind of file the baseline has must be on the current
side too, a folder may hold at most one results file (and the current side one
speed file), and an incomplete run
(``meta.complete`` false) is refused: each is a :class:`CompareError` (exit 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from downstream.results.records import LOWER_IS_BETTER, decode_numbers
from reports.speed import (
    SpeedFileError,
    SpeedRun,
    find_baseline,
    is_speed_file,
    judge,
    read_speed,
)
from reports.tables import is_incomplete

DEFAULT_QUALITY_TOL = {"%": 0.5, "dB": 0.1, "1": 0.005}
DEFAULT_SPEED_TOL = 10.0
_KEY = ("dataset", "condition", "derainer", "rain", "task", "model", "metric")
LOWER_IS_BETTER_UNITS = ("ms", "s")
REPORT_ONLY = ("params", "GFLOPs")


@dataclass
class Change:
    kind: str  # "quality", "speed", or "note" (a line about the comparison itself)
    name: str
    baseline: float | None
    current: float | None
    regression: bool
    note: str


class CompareError(ValueError):
    """A side that cannot be compared (missing, ambiguous, incomplete): exit code 2."""


def _json_files(path: Path) -> list[tuple[Path, dict]]:
    files = [path] if path.is_file() else sorted(path.rglob("*.json"))
    found = []
    for f in files:
        try:
            found.append((f, json.loads(f.read_text())))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            if path.is_file():
                raise CompareError(f"{f}: not a readable JSON file ({type(e).__name__})") from e
    if not found:
        raise CompareError(f"{path}: no readable JSON results")
    return found


def _collect(path: Path) -> tuple[tuple[Path, dict] | None, list[SpeedRun]]:
    """The one results file and the speed files of a side (either may be absent); two
    results files in one folder are ambiguous, an interrupted run is refused."""
    results, speed = [], []
    for f, data in _json_files(path):
        if isinstance(data, dict) and "records" in data and "meta" in data:
            results.append((f, data))
        elif is_speed_file(data):
            try:
                speed.append(read_speed(f, data))
            except SpeedFileError as e:
                raise CompareError(str(e)) from e
    if len(results) > 1:
        names = ", ".join(str(f) for f, _ in results)
        raise CompareError(f"{path}: {len(results)} results files ({names}); name one file")
    found = results[0] if results else None
    if found is not None:
        found = (found[0], _checked_results(*found))
        if is_incomplete(found[1]):
            raise CompareError(
                f"{found[0]}: an incomplete run (interrupted before its last "
                "cell); finish it with --resume first"
            )
    return found, speed


def _name(key: tuple) -> str:
    return " ".join(str(v) for v in key[1:] if v is not None)


def _checked_results(path: Path, data: dict) -> dict:
    """The results with their records by key; CompareError naming the file and the record
    for anything a verdict cannot rest on (a missing field, a value that is not a number, a
    record twice)."""
    meta, records = data["meta"], data["records"]
    if not isinstance(meta, dict) or not isinstance(records, list):
        raise CompareError(f"{path}: 'meta' must be an object and 'records' a list")
    by_key: dict[tuple, dict] = {}
    for i, r in enumerate(decode_numbers(records)):
        if not isinstance(r, dict):
            raise CompareError(f"{path}: records[{i}] is not an object")
        missing = [k for k in ("condition", "metric", "value", "unit") if k not in r]
        if missing:
            raise CompareError(f"{path}: records[{i}] has no {missing[0]!r}")
        key = tuple(r.get(k) for k in _KEY)
        if not all(v is None or isinstance(v, str) for v in (*key, r["unit"])):
            raise CompareError(f"{path}: records[{i}]: its {', '.join(_KEY)} and unit must be text")
        value = r["value"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise CompareError(
                f"{path}: records[{i}] ({_name(key)}): value {value!r:.40} is not a number"
            )
        if key in by_key:
            raise CompareError(
                f"{path}: the record {_name(key)} appears twice; a results file "
                "holds one record per cell"
            )
        by_key[key] = r
    return {"meta": meta, "records": by_key}


def direction(metric: str, unit: str) -> str:
    """How a metric is judged: "higher" (quality), "lower-quality" (NIQE, BRISQUE, PIQE:
    judged as quality, the other way round), "lower" (latency) or "report" (a network's
    size: a change is listed, never a regression)."""
    if metric in REPORT_ONLY:
        return "report"
    if metric in LOWER_IS_BETTER:
        return "lower-quality"
    return "lower" if unit in LOWER_IS_BETTER_UNITS else "higher"


def _judge(r: dict, now: float, limit: float) -> tuple[bool, str]:
    """(regression, note) for a value that differs from the baseline's record ``r``."""
    base, unit, way = r["value"], r["unit"], direction(r["metric"], r["unit"])
    if math.isnan(now):
        return way != "report", "not a number in current"
    worse = now < base if way == "higher" else now > base
    sign = -1 if way == "lower-quality" else 1  # a rise of NIQE is a drop of quality
    if not (math.isfinite(base) and math.isfinite(now)):
        return worse and way != "report", f"{base} -> {now} {unit}"
    if way == "lower":  # one median, no samples: no significance to judge by
        ratio = now / base if base else math.inf
        return False, f"x{ratio:.2f} (report only: a median without its samples)"
    delta = now - base
    if way == "report":
        return False, f"{delta:+.4g} {unit} (reported, not judged)"
    ci = r.get("ci95")
    ci = (
        ci
        if isinstance(ci, list) and len(ci) == 2 and all(isinstance(v, int | float) for v in ci)
        else None
    )
    outside = ci is None or (now < ci[0] if sign > 0 else now > ci[1])
    worse = sign * delta < -limit and outside
    note = f"{delta:+.4g} {unit} (tolerance {limit:g}"
    note += f"; baseline 95% CI [{ci[0]:.4g}, {ci[1]:.4g}])" if ci else ")"
    return worse, note


def compare_quality(base: dict, current: dict, tol: float | None) -> list[Change]:
    """Every record of ``base`` against ``current`` (both as :func:`_checked_results` gives
    them)."""
    now = current["records"]
    changes = []
    for key, r in base["records"].items():
        if r["value"] is None:
            continue
        name = _name(key)
        if math.isnan(r["value"]):
            raise CompareError(
                f"the baseline's {name} is not a number: nothing to compare it "
                "with; refresh the baseline"
            )
        limit = tol if tol is not None else DEFAULT_QUALITY_TOL.get(r["unit"], 0.005)
        other = now.get(key)
        if other is None or other["value"] is None:
            changes.append(Change("quality", name, r["value"], None, True, "missing in current"))
            continue
        value = float(other["value"])
        if value == r["value"]:
            continue
        if math.isfinite(value) and math.isfinite(r["value"]) and abs(value - r["value"]) <= 1e-12:
            continue
        worse, note = _judge(r, value, limit)
        changes.append(Change("quality", name, r["value"], value, worse, note))
    return changes


def compare_speed(
    bases: list[SpeedRun],
    current: SpeedRun,
    tol_percent: float,
    rerun: Callable[[list[str]], Path] | None = None,
) -> list[Change]:
    """The current run against this machine's baseline among ``bases``; with ``rerun``
    (node ids -> the JSON of a new run of them), flagged benchmarks must be flagged again."""
    try:
        base = find_baseline(bases, current.fingerprint)
    except SpeedFileError as e:
        raise CompareError(str(e)) from e
    if base is None:
        line = f"no speed baseline for this machine ({current.fingerprint})"
        return [Change("note", line, None, None, False, "")]
    threshold = 1 + tol_percent / 100
    verdicts = judge(base, current, threshold)
    flagged = [v.name for v in verdicts if v.regression]
    if flagged and rerun is not None:
        again = _confirm(base, current, flagged, threshold, rerun)
        for v in verdicts:
            if v.name in again:
                v.regression, v.note = (
                    again[v.name].regression,
                    (
                        f"{v.note}; on rerun: {again[v.name].note.split(' (')[0]}"
                        f" ({'confirmed' if again[v.name].regression else 'not confirmed'})"
                    ),
                )
    return [Change("speed", v.name, v.baseline, v.current, v.regression, v.note) for v in verdicts]


def _confirm(
    base: SpeedRun,
    current: SpeedRun,
    flagged: list[str],
    threshold: float,
    rerun: Callable[[list[str]], Path],
) -> dict:
    """The verdicts of a second run of the flagged benchmarks with their calibrators (which
    run first in every session, so a rerun holds them in the same state as the nightly
    run: each gating benchmark rerun so on its own read x0.75-1.02 of its in-session
    time)."""
    kinds = {current.benchmarks[n].calibrator_kind() for n in flagged}
    calibrators = [current.calibrator(kind).name for kind in sorted(kinds)]
    path = rerun(calibrators + flagged)
    try:
        again = read_speed(path, json.loads(Path(path).read_text()))
    except (OSError, ValueError) as e:
        raise CompareError(
            f"{path}: the rerun of the flagged benchmarks gave no speed file ({type(e).__name__})"
        ) from e
    return {v.name: v for v in judge(base, again, threshold, only=set(flagged))}


# What must be the same for two results files to measure the same thing: the images and
# ground truth (meta.dataset.sha256), the rain's settings and seed, the PSNR/SSIM convention.
SAME_DATA = (
    ("rain", "rain settings"),
    ("seed", "rain seed"),
    ("restoration_convention", "PSNR/SSIM convention"),
)


def _refuse_other_data(base: dict, current: dict, base_path: Path, current_path: Path) -> None:
    """Results made on other images, ground truth or rain are not a regression signal."""
    metas = [r["meta"] for r in (base, current)]
    digests = [
        m.get("dataset", {}).get("sha256") if isinstance(m.get("dataset"), dict) else None
        for m in metas
    ]
    if None not in digests and digests[0] != digests[1]:
        raise CompareError(
            f"{current_path}: made on other data than the baseline {base_path} (dataset "
            f"SHA-256 {str(digests[1])[:12]} against {str(digests[0])[:12]}): compare runs on "
            "the same images"
        )
    for field, what in SAME_DATA:
        if field in metas[0] and field in metas[1] and metas[0][field] != metas[1][field]:
            raise CompareError(
                f"{current_path}: made with another {what} than the baseline "
                f"{base_path} ({_short(metas[1][field])} against "
                f"{_short(metas[0][field])}): not the same data"
            )


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(
    baseline: Path,
    current: Path,
    quality_tol: float | None = None,
    speed_tol: float = DEFAULT_SPEED_TOL,
    rerun: Callable[[list[str]], Path] | None = None,
) -> list[Change]:
    base_results, base_speed = _collect(Path(baseline))
    cur_results, cur_speed = _collect(Path(current))
    if base_results is None and not base_speed:
        raise CompareError(f"{baseline}: neither a results.json nor a pytest-benchmark JSON")
    if base_results is not None and cur_results is None:
        raise CompareError(f"{current}: no results.json to compare with the baseline's")
    if base_speed and not cur_speed:
        raise CompareError(f"{current}: no pytest-benchmark JSON to compare with the baseline's")
    if len(cur_speed) > 1:
        names = ", ".join(str(r.path) for r in cur_speed)
        raise CompareError(f"{current}: {len(cur_speed)} speed files ({names}); name one file")
    changes = []
    if base_results is not None:
        (base_path, base_data), (cur_path, cur_data) = base_results, cur_results
        _refuse_other_data(base_data, cur_data, base_path, cur_path)
        changes += compare_quality(base_data, cur_data, quality_tol)
    if base_speed:
        changes += compare_speed(base_speed, cur_speed[0], speed_tol, rerun)
    return changes


def format_changes(changes: list[Change]) -> str:
    notes = [c.name for c in changes if c.kind == "note"]
    shown = [
        c
        for c in changes
        if c.kind != "note" and (c.regression or c.kind == "quality" or "x1.00" not in c.note)
    ]
    if not shown:
        return "\n".join([*notes, "no change"])
    width = max(len(c.name) for c in shown)
    lines = [f"{'':2}{'kind':<8}{'what':<{width}}  {'baseline':>12}  {'current':>12}  note"]
    for c in shown:
        mark = "!!" if c.regression else "  "
        fmt = lambda v: "-" if v is None else f"{v:.5g}"  # noqa: E731
        lines.append(
            f"{mark}{c.kind:<8}{c.name:<{width}}  "
            f"{fmt(c.baseline):>12}  {fmt(c.current):>12}  {c.note}"
        )
    regressions = sum(c.regression for c in changes)
    lines.append(f"{regressions} regression(s)")
    return "\n".join([*notes, *lines])
