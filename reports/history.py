"""`rdmc history`: every nightly run remembered, one JSON line each, and a page of trends
with the steps in them.

``add`` appends a run (its results.json and pytest-benchmark JSON) to
``HISTORY/history.jsonl``: date, commit, machine fingerprint, each quality record's value
and interval, and each speed benchmark's median and IQR normalised by its calibrator (so
nights on machines of one kind but other speeds line up). ``report`` draws one trend per
quality metric (per derainer, rain and model) and per speed benchmark and fingerprint, and
marks the steps that ruptures' PELT finds (a penalised least-squares change-point search),
each with the commit range it happened in.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdmc.imageio import write_bytes_atomic
from reports.speed import is_speed_file, read_speed
from reports.tables import load_results

HISTORY_FILE = "history.jsonl"
# The quality metrics drawn (per-class APs and IoUs would be hundreds of lines).
TRENDED = ("PSNR", "SSIM", "mAP", "mIoU", "recovery(mAP)", "recovery(mIoU)")
QUALITY_KEY = ("task", "model", "metric", "condition", "rain")
KEY_SEPARATOR = " | "  # model names hold spaces ("Y channel")
MIN_RUNS_FOR_STEPS = 4
# The PELT penalty per step, in units of log(n) noise variances (BIC's is 2; higher keeps
# noisy nights from reading as steps: tests/test_history.py measures both error rates).
PENALTY_PER_LOG_N = 8.0


class HistoryError(ValueError):
    """A run or a history that cannot be read; the message names the file."""


def _run_files(folder: Path) -> tuple[dict | None, Path | None, dict | None]:
    results = folder / "results.json" if (folder / "results.json").is_file() else None
    found = sorted(folder.rglob("results.json")) if results is None else [results]
    data = load_results(found[0]) if found else None  # checked; one line naming a bad file
    speed = None
    for f in sorted(folder.glob("*.json")):
        try:
            candidate = json.loads(f.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if is_speed_file(candidate):
            speed = (f, candidate)
    return data, *(speed or (None, None))


def run_line(folder: Path, date: str | None = None) -> dict:
    """The history line of one run folder (``tox -e bench``'s bench-results/)."""
    results, speed_path, speed = _run_files(Path(folder))
    if results is None and speed is None:
        raise HistoryError(f"{folder}: no results.json and no pytest-benchmark JSON")
    line: dict = {
        "date": date or datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": None,
        "fingerprint": None,
        "quality": {},
        "speed": {},
    }
    if results is not None:
        line["commit"] = results["meta"].get("git_commit")
        for r in results["records"]:
            if r.get("metric") in TRENDED and isinstance(r.get("value"), int | float):
                key = KEY_SEPARATOR.join(str(r.get(k)) for k in QUALITY_KEY)
                line["quality"][key] = {"value": _finite(r["value"]), "ci95": r.get("ci95")}
    if speed is not None:
        run = read_speed(speed_path, speed)
        line["fingerprint"] = run.fingerprint
        line["commit"] = line["commit"] or run.commit
        for name, b in run.benchmarks.items():
            normalised = run.normalised(b)
            if normalised is not None and not b.is_calibration:
                scale = normalised / b.median
                line["speed"][name] = {"normalised_median": normalised, "iqr": b.iqr * scale}
    return line


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def add(folder: Path, history: Path) -> Path:
    """Appends the run in ``folder`` to ``history``/history.jsonl (written atomically)."""
    line = run_line(folder)
    path = Path(history) / HISTORY_FILE
    before = path.read_bytes() if path.is_file() else b""
    if before and not before.endswith(b"\n"):
        before += b"\n"
    write_bytes_atomic(path, before + (json.dumps(line, sort_keys=True) + "\n").encode())
    return path


def read_history(history: Path) -> list[dict]:
    path = Path(history) / HISTORY_FILE
    if not path.is_file():
        raise HistoryError(f"{path}: no history (add runs with `rdmc history add`)")
    lines = []
    for i, text in enumerate(path.read_text().splitlines(), 1):
        if not text.strip():
            continue
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError as e:
            raise HistoryError(f"{path}: line {i} is not JSON ({e.msg})") from e
    return sorted(lines, key=lambda line: str(line.get("date")))


@dataclass
class Step:
    series: str
    index: int  # the first run after the step
    before: float
    after: float
    commits: tuple[str | None, str | None]  # the last run before, the first run after


def steps_in(values: list[float]) -> list[int]:
    """Where the level of ``values`` changes (the index of the first value after each step):
    ruptures' PELT on the series, least squares, each step penalised by
    ``PENALTY_PER_LOG_N`` log(n) times the noise variance (estimated robustly from successive
    differences), so one noisy night is no step."""
    import ruptures

    y = np.asarray(values, np.float64)
    if y.size < MIN_RUNS_FOR_STEPS or np.all(y == y[0]):
        return []
    diffs = np.diff(y)
    sigma = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2)
    sigma = max(sigma, 1e-6 * max(abs(float(np.median(y))), 1e-12))
    penalty = PENALTY_PER_LOG_N * math.log(y.size) * sigma**2
    breaks = ruptures.Pelt(model="l2", min_size=1, jump=1).fit(y).predict(pen=penalty)
    return [b for b in breaks if b < y.size]


def _series(lines: list[dict]) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """(figure, line label) -> [(run index, value)] for every quality key and speed benchmark."""
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for i, line in enumerate(lines):
        for key, entry in line.get("quality", {}).items():
            task, model, metric, condition, rain = key.split(KEY_SEPARATOR)
            if isinstance(entry.get("value"), int | float):
                figure = f"{task} {model} {metric}"
                series.setdefault((figure, f"{condition} @ {rain}"), []).append((i, entry["value"]))
        for name, entry in line.get("speed", {}).items():
            figure = f"speed {name}"
            label = f"{line.get('fingerprint')}"
            series.setdefault((figure, label), []).append((i, entry["normalised_median"]))
    return series


def find_steps(lines: list[dict]) -> list[Step]:
    found = []
    for (figure, label), points in _series(lines).items():
        values = [v for _, v in points]
        for k in steps_in(values):
            previous = points[k - 1][0]
            found.append(
                Step(
                    f"{figure}: {label}",
                    points[k][0],
                    float(np.mean(values[:k])),
                    float(np.mean(values[k:])),
                    (lines[previous].get("commit"), lines[points[k][0]].get("commit")),
                )
            )
    return found


def _figure_png(figure: str, lines: list[dict], series: dict, steps: list[Step]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    for (name, label), points in sorted(series.items()):
        if name == figure:
            ax.plot([i for i, _ in points], [v for _, v in points], marker="o", ms=3, label=label)
    for step in steps:
        if step.series.startswith(f"{figure}: "):
            ax.axvline(step.index - 0.5, color="red", alpha=0.5, lw=1)
    ax.set_title(figure, fontsize=9)
    ax.set_xlabel("run")
    ax.set_ylabel("normalised median" if figure.startswith("speed ") else figure.split(" ")[-1])
    if len({label for name, label in series if name == figure}) <= 12:
        ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def report(history: Path, out: Path) -> Path:
    """Writes the history page (trends and steps, self-contained HTML) and returns its path."""
    import jinja2

    lines = read_history(history)
    series, steps = _series(lines), find_steps(lines)
    figures = sorted({name for name, _ in series}, key=lambda f: (f.startswith("speed "), f))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
    )
    page = env.get_template("history.html.j2").render(
        runs=[
            {
                "date": line.get("date"),
                "commit": line.get("commit"),
                "fingerprint": line.get("fingerprint"),
            }
            for line in lines
        ],
        steps=steps,
        figures=[{"name": f, "png": _figure_png(f, lines, series, steps)} for f in figures],
    )
    write_bytes_atomic(Path(out), page.encode())
    return Path(out)
