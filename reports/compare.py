"""`rdmc compare BASELINE CURRENT`: the regression gate.

Quality: every record of the baseline's results.json is looked up in the
current one (same dataset, condition, derainer, rain, task, model, metric); all
metrics here are higher-is-better, so a drop of more than the absolute
tolerance that also falls below the baseline's 95% bootstrap interval (where it
has one), or a missing record, is a regression. Default tolerances per unit:
0.5 points for percentages, 0.1 dB for PSNR, 0.005 for unit-less values.

Speed: pytest-benchmark JSON files; a benchmark whose median grows by more than
the relative tolerance (default 25 %) is a regression. Time only; quality has
its own comparison above.

BASELINE and CURRENT are files or folders (searched for results.json and for
pytest-benchmark JSON). A kind of file the baseline has must be on the current
side too, a folder may hold at most one of each kind, and an incomplete run
(``meta.complete`` false) is refused: each is a :class:`CompareError` (exit 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reports.tables import is_incomplete

DEFAULT_QUALITY_TOL = {"%": 0.5, "dB": 0.1, "1": 0.005}
DEFAULT_SPEED_TOL = 25.0
_KEY = ("dataset", "condition", "derainer", "rain", "task", "model", "metric")


@dataclass
class Change:
    kind: str  # "quality" or "speed"
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
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            if path.is_file():
                raise CompareError(f"{f}: not a readable JSON file ({type(e).__name__})") from e
    if not found:
        raise CompareError(f"{path}: no readable JSON results")
    return found


def _collect(path: Path) -> tuple[dict | None, dict | None]:
    """The one results file and the one pytest-benchmark file of a side (either may be
    absent); two of a kind in one folder is ambiguous, an interrupted run is refused."""
    found: dict[str, list[tuple[Path, dict]]] = {"results": [], "speed": []}
    for f, data in _json_files(path):
        if isinstance(data, dict) and "records" in data and "meta" in data:
            found["results"].append((f, data))
        elif isinstance(data, dict) and "benchmarks" in data:
            found["speed"].append((f, data))
    for kind, files in found.items():
        if len(files) > 1:
            names = ", ".join(str(f) for f, _ in files)
            raise CompareError(f"{path}: {len(files)} {kind} files ({names}); name one file")
    results = found["results"][0] if found["results"] else None
    if results is not None and is_incomplete(results[1]):
        raise CompareError(f"{results[0]}: an incomplete run (interrupted before its last cell); "
                           "finish it with --resume first")  # fmt: skip
    speed = found["speed"][0][1] if found["speed"] else None
    return (results[1] if results else None), speed


def compare_quality(base: dict, current: dict, tol: float | None) -> list[Change]:
    now = {tuple(r[k] for k in _KEY): r for r in current["records"]}
    changes = []
    for r in base["records"]:
        if r["value"] is None:
            continue
        key = tuple(r[k] for k in _KEY)
        name = " ".join(str(v) for v in key[1:])
        limit = tol if tol is not None else DEFAULT_QUALITY_TOL.get(r["unit"], 0.005)
        other = now.get(key)
        if other is None or other["value"] is None:
            changes.append(Change("quality", name, r["value"], None, True, "missing in current"))
            continue
        delta = other["value"] - r["value"]
        if abs(delta) > 1e-12:
            ci = r.get("ci95")
            worse = delta < -limit and (ci is None or other["value"] < ci[0])
            note = f"{delta:+.4g} {r['unit']} (tolerance {limit:g}"
            note += f"; baseline 95% CI [{ci[0]:.4g}, {ci[1]:.4g}])" if ci else ")"
            changes.append(Change("quality", name, r["value"], other["value"], worse, note))
    return changes


def compare_speed(base: dict, current: dict, tol_percent: float) -> list[Change]:
    now = {b["fullname"]: b for b in current["benchmarks"]}
    changes = []
    for b in base["benchmarks"]:
        other = now.get(b["fullname"])
        if other is None:
            changes.append(
                Change("speed", b["fullname"], b["stats"]["median"], None, False, "not run")
            )
            continue
        ratio = other["stats"]["median"] / b["stats"]["median"]
        worse = ratio > 1 + tol_percent / 100
        note = f"median x{ratio:.2f} (tolerance +{tol_percent:g}%)"
        changes.append(
            Change(
                "speed", b["fullname"], b["stats"]["median"], other["stats"]["median"], worse, note
            )
        )
    return changes


def _refuse_other_data(base: dict, current: dict, base_path: Path, current_path: Path) -> None:
    """Results made on other images or ground truth are not a regression signal."""
    digests = [r["meta"]["dataset"].get("sha256") for r in (base, current)]
    if None not in digests and digests[0] != digests[1]:
        raise CompareError(
            f"{current_path}: made on other data than the baseline {base_path} (dataset "
            f"SHA-256 {digests[1][:12]} against {digests[0][:12]}): compare runs on the same images"
        )


def compare(baseline: Path, current: Path, quality_tol: float | None = None,
            speed_tol: float = DEFAULT_SPEED_TOL) -> list[Change]:  # fmt: skip
    base_results, base_speed = _collect(Path(baseline))
    cur_results, cur_speed = _collect(Path(current))
    if base_results is None and base_speed is None:
        raise CompareError(f"{baseline}: neither a results.json nor a pytest-benchmark JSON")
    if base_results is not None and cur_results is None:
        raise CompareError(f"{current}: no results.json to compare with the baseline's")
    if base_speed is not None and cur_speed is None:
        raise CompareError(f"{current}: no pytest-benchmark JSON to compare with the baseline's")
    changes = []
    if base_results is not None:
        _refuse_other_data(base_results, cur_results, baseline, current)
        changes += compare_quality(base_results, cur_results, quality_tol)
    if base_speed is not None:
        changes += compare_speed(base_speed, cur_speed, speed_tol)
    return changes


def format_changes(changes: list[Change]) -> str:
    shown = [c for c in changes if c.regression or c.kind == "quality" or "x1.00" not in c.note]
    if not shown:
        return "no change"
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
    return "\n".join(lines)
