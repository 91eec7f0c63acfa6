"""`rdmc tables`: paper-style tables from results.json (LaTeX with booktabs, or Markdown).

- Restoration: methods x rain settings, PSNR / SSIM of each copy against clean.
- No-reference quality: methods x rain settings, NIQE / BRISQUE / PIQE (lower is better),
  the clean row included; on real rain the only image-quality figures.
- Downstream: methods x (mAP, mIoU, recovery) per rain setting.
- Scoreboard (``rdmc scoreboard``): methods x (PSNR / SSIM per rain setting, parameters,
  GFLOPs, CPU latency).

Where results carry 95% bootstrap intervals a cell reads ``29.6 ±0.4`` (half the
interval's width). Best value per column in bold, second underlined, among the
derainers (the clean and rainy rows are references, not contestants), and only
where it beats the next one beyond both intervals; for parameters, GFLOPs and
latency the lowest is best. The caption states the PSNR/SSIM convention and the
kind of ground truth.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from downstream.results.records import LOWER_IS_BETTER, decode_numbers
from rdmc.choices import RainSetting

REFERENCE_ROWS = ("clean", "rainy")


REQUIRED_FIELDS = ("condition", "rain", "task", "metric", "value", "unit")


def results_path(path: str | Path) -> Path:
    """A results file given as itself or as its run's folder."""
    path = Path(path)
    return path / "results.json" if path.is_dir() else path


def load_results(path: str | Path) -> dict:
    """A results file (``rdmc bench`` or ``rdmc scoreboard``), checked: every record has the
    fields the tables read and a numeric (or null) value; one line naming the file if not."""
    path = results_path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable results.json ({type(e).__name__})") from e
    if not isinstance(data, dict) or "records" not in data or "meta" not in data:
        raise ValueError(f"{path}: not a results.json (no 'meta' and 'records')")
    meta, records = data["meta"], data["records"]
    if (
        not isinstance(meta, dict)
        or not isinstance(meta.get("dataset"), dict)
        or not isinstance(meta["dataset"].get("name"), str)
    ):
        raise ValueError(f"{path}: meta.dataset.name is missing")
    if not isinstance(records, list):
        raise ValueError(f"{path}: 'records' is not a list")
    records = data["records"] = decode_numbers(records)
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise ValueError(f"{path}: records[{i}] is not an object")
        missing = [k for k in REQUIRED_FIELDS if k not in r]
        if missing:
            raise ValueError(f"{path}: records[{i}] has no {missing[0]!r}")
        if not all(isinstance(r[k], str) for k in REQUIRED_FIELDS if k != "value"):
            raise ValueError(
                f"{path}: records[{i}]: condition, rain, task, metric and unit must be strings"
            )
        value = r["value"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{path}: records[{i}].value is not a number: {value!r:.40}")
    return data


def is_incomplete(data: dict) -> bool:
    """A run interrupted before its last cell (files without the flag predate it)."""
    return data["meta"].get("complete") is False


INCOMPLETE = "INCOMPLETE RUN (interrupted before its last cell; finish it with --resume)"


@dataclass
class Table:
    caption: str
    columns: list[str]  # header cells after the first ("method")
    rows: list[tuple[str, list[float | None]]]
    decimals: list[int]
    lower_is_better: list[bool] | None = None  # per column; default: higher is better
    intervals: list[list[list[float] | None]] | None = None  # per row and column: 95% CI

    def interval(self, i: int, j: int) -> list[float] | None:
        return self.intervals[i][j] if self.intervals else None

    def ranks(self) -> list[dict[int, int]]:
        """Per column: row index -> 1 (best) or 2 (second), among non-reference rows. Ties share
        a rank; a column where every contestant has the same value marks nobody. With
        intervals, best is marked only where its interval clears the runner-up's, and second
        only after a marked best and where it clears the third's."""
        ranks = []
        lower = self.lower_is_better or [False] * len(self.columns)
        for j in range(len(self.columns)):
            values = {
                i: round(v[j], self.decimals[j])
                for i, (name, v) in enumerate(self.rows)
                if name not in REFERENCE_ROWS and v[j] is not None
            }
            distinct = sorted(set(values.values()), reverse=not lower[j])
            groups = [[i for i, v in values.items() if v == d] for d in distinct]
            marked: dict[int, int] = {}
            if len(groups) >= 2 and self._beats(groups[0], groups[1], j, lower[j]):
                marked.update({i: 1 for i in groups[0]})
                if len(groups) == 2 or self._beats(groups[1], groups[2], j, lower[j]):
                    marked.update({i: 2 for i in groups[1]})
            ranks.append(marked)
        return ranks

    def _beats(self, ahead: list[int], behind: list[int], j: int, lower: bool) -> bool:
        """Without intervals (a cost column, an older results file) the order counts; with
        them, every interval of ``ahead`` must clear every interval of ``behind``."""
        spans = [self.interval(i, j) for i in ahead + behind]
        if None in spans:
            return True
        if lower:
            return max(s[1] for s in spans[: len(ahead)]) < min(s[0] for s in spans[len(ahead) :])
        return min(s[0] for s in spans[: len(ahead)]) > max(s[1] for s in spans[len(ahead) :])


def _main_rain_settings(records: list[dict]) -> list[str]:
    """Of synthetic rain, severity 3 of every preset (the presets as calibrated) when the sweep
    has it, else every severity; of datasets that are their own rain (Rain100L, ...), each."""
    named = [r["rain"] for r in records if r["rain"] != "none"]
    sweep = sorted({s for s in named if RainSetting.from_label(s)})
    if not sweep:
        return list(dict.fromkeys(named))
    middle = [s for s in sweep if s.endswith("/s3")]
    return middle or sweep


def _methods(records: list[dict]) -> list[str]:
    """clean, rainy, then the derainers in the order they appear."""
    seen: list[str] = [m for m in REFERENCE_ROWS if any(r["condition"] == m for r in records)]
    for r in records:
        if r["condition"] not in seen:
            seen.append(r["condition"])
    return seen


def _find(records, condition, rain, task, metric, model=None) -> dict:
    for r in records:
        if (
            (r["condition"], r["task"], r["metric"]) == (condition, task, metric)
            and (r["rain"] == rain or (condition == "clean" and r["rain"] == "none"))
            and model in (None, r["model"])
        ):
            return r
    return {}


def _value(records, condition, rain, task, metric, model=None) -> float | None:
    return _find(records, condition, rain, task, metric, model).get("value")


def _interval(records, condition, rain, task, metric, model=None) -> list[float] | None:
    return _find(records, condition, rain, task, metric, model).get("ci95")


def _cells(records, methods, keys) -> tuple[list, list | None]:
    """Rows of values and of intervals (None when the results carry no interval at all)."""
    rows = [(m, [_value(records, m, *k) for k in keys]) for m in methods]
    intervals = [[_interval(records, m, *k) for k in keys] for m in methods]
    return rows, _if_any(intervals)


def _if_any(intervals: list[list]) -> list[list] | None:
    """The intervals, or None when the results carry none (an older file, a cost column)."""
    return intervals if any(ci is not None for row in intervals for ci in row) else None


def restoration_table(data: dict, rain: Sequence[str] | None = None) -> Table:
    records = data["records"]
    settings = list(rain or _main_rain_settings(records))
    methods = [m for m in _methods(records) if m != "clean"]
    columns = [f"{s} {m}" for s in settings for m in ("PSNR", "SSIM")]
    keys = [(s, "restoration", metric) for s in settings for metric in ("PSNR", "SSIM")]
    rows, intervals = _cells(records, methods, keys)
    caption = (
        f"Restoration on {data['meta']['dataset']['name']}: PSNR (dB) / SSIM against the clean "
        f"image, {data['meta'].get('restoration_convention', 'Y channel')}." + _ci_note(intervals)
    )
    return Table(caption, columns, rows, [2, 4] * len(settings), intervals=intervals)


def _ci_note(intervals: list | None) -> str:
    if intervals is None:
        return ""
    return (
        " ± is half the 95% bootstrap interval over images; best (bold) and second "
        "(underlined) only where beyond the intervals."
    )


def quality_table(data: dict, rain: Sequence[str] | None = None) -> Table:
    """No-reference quality (NIQE / BRISQUE / PIQE, lower is better) of every copy: the
    clean row too, so a reader sees how far the metric is from a clean photo; on real rain
    the only image-quality columns."""
    records = [r for r in data["records"] if r["task"] == "quality"]
    metrics = list(dict.fromkeys(r["metric"] for r in records))
    settings = list(rain or _main_rain_settings(records))
    columns = [f"{s} {m} ↓" for s in settings for m in metrics]
    keys = [(s, "quality", m) for s in settings for m in metrics]
    rows, intervals = _cells(records, _methods(records), keys)
    variants = data["meta"].get("quality", {}).get("variants", {})
    named = "; ".join(variants.get(m, m) for m in metrics)
    caption = (
        f"No-reference quality on {data['meta']['dataset']['name']} ({named}); lower is better, "
        "no clean image is used." + _ci_note(intervals)
    )
    lower = [m in LOWER_IS_BETTER for _, _, m in keys]
    return Table(caption, columns, rows, [2] * len(columns), lower, intervals)


def downstream_table(
    data: dict, metrics: Sequence[str] = ("mAP", "mIoU"), rain: Sequence[str] | None = None
) -> Table:
    records = data["records"]
    settings = list(rain or _main_rain_settings(records))
    tasks = {"mAP": "detection", "mAP50": "detection", "mAP75": "detection", "mIoU": "segmentation"}
    # Without a clean image (real rain) the change against rainy stands where recovery would.
    has_clean = any(r["condition"] == "clean" for r in records)
    derived, short = ("recovery", "rec") if has_clean else ("change", "change")
    columns, keys = [], []
    for s in settings:
        for metric in metrics:
            task = tasks.get(metric, "detection")
            models = list(dict.fromkeys(r["model"] for r in records if r["task"] == task))
            for model in models:
                label = f"{s} {model}" if len(models) > 1 else s
                columns += [f"{label} {metric}", f"{label} {short}({metric})"]
                keys += [(s, task, metric, model), (s, task, f"{derived}({metric})", model)]
    rows, intervals = _cells(records, _methods(records), keys)
    present = {r["task"] for r in records}
    gt = {t: k for t, k in data["meta"].get("ground_truth", {}).items() if t in present}
    explained = (
        "recovery = (derained - rainy) / (clean - rainy)"
        if has_clean
        else "change = derained - rainy (real rain: no clean image)"
    )
    caption = (
        f"Downstream on {data['meta']['dataset']['name']}: {', '.join(metrics)} in percent and "
        f"{explained}. Ground truth: "
        + "; ".join(f"{task}: {kind}" for task, kind in gt.items())
        + "."
        + _ci_note(intervals)
    )
    return Table(caption, columns, rows, [1, 2] * (len(columns) // 2), intervals=intervals)


def scoreboard_table(data: dict) -> Table:
    """One row per derainer (the rainy input first), as ``rdmc scoreboard`` writes them."""
    records = data["records"]
    settings = _main_rain_settings(records)
    latency = data["meta"].get("latency", {})
    size = latency.get("size", 256)
    costs = [
        ("params", "params (M)", 3),
        ("GFLOPs", f"GFLOPs@{size}", 1),
        ("latency", f"CPU ms@{size}", 0),
    ]
    # Across several datasets a paper's table ends in their average (of the per-dataset means).
    average = len(settings) > 1 and all("/s" not in s for s in settings)
    groups = settings + (["average"] if average else [])
    columns = [f"{s} {m}" for s in groups for m in ("PSNR", "SSIM")] + [c[1] for c in costs]
    rows, intervals = [], []
    for m in [m for m in _methods(records) if m != "clean"]:  # clean has quality rows only
        values = [
            _value(records, m, s, "restoration", metric)
            for s in settings
            for metric in ("PSNR", "SSIM")
        ]
        spans = [
            _interval(records, m, s, "restoration", metric)
            for s in settings
            for metric in ("PSNR", "SSIM")
        ]
        intervals.append(spans + [None] * (len(columns) - len(spans)))
        if average:
            for k in range(2):
                per_dataset = values[k : 2 * len(settings) : 2]
                known = None not in per_dataset
                values.append(sum(per_dataset) / len(per_dataset) if known else None)
        values += [_value(records, m, "none", "complexity", c[0]) for c in costs]
        rows.append((m, values))
    threads = data["meta"].get("machine", {}).get("torch_threads")
    caption = (
        f"Derainers on {data['meta']['dataset']['name']}: PSNR (dB) / SSIM against the clean "
        f"image, {data['meta'].get('restoration_convention', 'Y channel')}; parameters, GFLOPs "
        f"(one multiply-add = one FLOP) and median CPU latency of one {size}x{size} forward pass"
        + (f" ({threads} threads)." if threads else ".")
    )
    intervals = _if_any(intervals)
    caption += _ci_note(intervals)
    lower = [False] * (2 * len(groups)) + [True] * len(costs)
    decimals = [2, 4] * len(groups) + [c[2] for c in costs]
    return Table(caption, columns, rows, decimals, lower, intervals)


def _cell(
    value: float | None, decimals: int, rank: int | None, latex: bool, ci: list[float] | None = None
) -> str:
    if value is None:
        return "--" if latex else "–"
    if not math.isfinite(value):  # PSNR of an exact restoration
        sign = "-" if value < 0 else ""
        text = "NaN" if math.isnan(value) else (f"${sign}\\infty$" if latex else f"{sign}∞")
        ci = None
    else:
        text = f"{value:.{decimals}f}"
    if ci is not None and not all(math.isfinite(v) for v in ci):
        ci = None
    if ci is not None:
        half = f"{(ci[1] - ci[0]) / 2:.{decimals}f}"
        text += f" $\\pm${half}" if latex else f" ±{half}"
    if rank == 1:
        return f"\\textbf{{{text}}}" if latex else f"**{text}**"
    if rank == 2:
        return f"\\underline{{{text}}}" if latex else f"<u>{text}</u>"
    return text


# Every character LaTeX gives a meaning to in text, replaced in one pass (so the braces of
# one replacement are never escaped again).
_LATEX_SPECIAL = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "$": r"\$",
        "&": r"\&",
        "#": r"\#",
        "%": r"\%",
        "_": r"\_",
        "^": r"\textasciicircum{}",
        "~": r"\textasciitilde{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
    }
)


def _latex_escape(text: str) -> str:
    return text.translate(_LATEX_SPECIAL)


def _markdown_escape(text: str) -> str:
    """A table cell's text: a ``|`` would start a new column, a line break end the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table) -> str:
    ranks = table.ranks()
    columns = [_markdown_escape(c) for c in table.columns]
    lines = [
        f"**{_markdown_escape(table.caption)}**",
        "",
        "| method | " + " | ".join(columns) + " |",
    ]
    lines.append("|" + " --- |" * (len(table.columns) + 1))
    for i, (name, values) in enumerate(table.rows):
        cells = [
            _cell(v, d, ranks[j].get(i), False, table.interval(i, j))
            for j, (v, d) in enumerate(zip(values, table.decimals, strict=True))
        ]
        lines.append(f"| {_markdown_escape(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_latex(table: Table) -> str:
    ranks = table.ranks()
    spec = "l" + "c" * len(table.columns)
    header = "Method & " + " & ".join(_latex_escape(c) for c in table.columns) + " \\\\"
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{_latex_escape(table.caption)}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        header,
        "\\midrule",
    ]
    for i, (name, values) in enumerate(table.rows):
        cells = [
            _cell(v, d, ranks[j].get(i), True, table.interval(i, j))
            for j, (v, d) in enumerate(zip(values, table.decimals, strict=True))
        ]
        lines.append(f"{_latex_escape(name)} & " + " & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines)


def tables_for(
    data: dict, metrics: Sequence[str] = ("mAP", "mIoU"), rain: Sequence[str] | None = None
) -> list[Table]:
    """The tables of a results file: a scoreboard's one, or a bench run's two."""
    tasks = {r["task"] for r in data["records"]}
    if data["meta"].get("kind") == "scoreboard":
        tables = [scoreboard_table(data)]
    else:
        tables = [restoration_table(data, rain)] if "restoration" in tasks else []  # real rain
    if "quality" in tasks:
        tables.append(quality_table(data, rain))
    if data["meta"].get("kind") != "scoreboard":
        tables.append(downstream_table(data, metrics, rain))
    ids = model_ids_sentence(data["meta"])
    for table in tables:
        table.caption += ids
    if is_incomplete(data):
        for table in tables:
            table.caption = f"{INCOMPLETE}. {table.caption}"
    return tables


def model_ids_sentence(meta: dict) -> str:
    """`` Models: LABEL = ID, ...`` for the rows named otherwise than their model id
    (NAME@SHA7, docs/models.md), or nothing for a file written before ids."""
    ids = meta.get("derainer_ids") or {}
    named = [f"{label} = {model}" for label, model in ids.items() if label != model]
    return f" Models: {', '.join(named)}." if named else ""


def render_tables(
    path: str | Path,
    fmt: str = "markdown",
    metrics: Sequence[str] = ("mAP", "mIoU"),
    rain: Sequence[str] | None = None,
) -> str:
    tables = tables_for(load_results(path), metrics, rain)
    render = to_latex if fmt == "latex" else to_markdown
    return "\n\n".join(render(t) for t in tables) + "\n"
