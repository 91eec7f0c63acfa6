"""`rdmc report`: one self-contained HTML file from one or more results.json.

Everything is inline (plots as PNG, gallery panels as JPEG, CSS in the page, no
script, no external URL), rendered with jinja2. Several results files (two
commits, two machines) appear side by side: one summary and provenance block
each, and one colour or line style per run in the plots.
"""

from __future__ import annotations

import base64
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2

from rdmc.imageio import write_bytes_atomic
from reports.agreement import agreement
from reports.tables import INCOMPLETE, is_incomplete, load_results, results_path, tables_for

TEMPLATES = Path(__file__).parent / "templates"
MAIN_METRICS = (
    ("restoration", "PSNR", "PSNR (dB)"),
    ("quality", "NIQE", "NIQE (lower is better)"),
    ("detection", "mAP", "mAP (%)"),
    ("segmentation", "mIoU", "mIoU (%)"),
)


@dataclass
class Run:
    label: str
    data: dict
    folder: Path


def _label(path: Path, data: dict, taken: set[str]) -> str:
    commit = (data["meta"].get("git_commit") or "")[:8]
    label = f"{path.parent.name or path.stem}" + (f"@{commit}" if commit else "")
    while label in taken:
        label += "'"
    taken.add(label)
    return label


def _frame(runs: list[Run]):
    import pandas as pd

    rows = []
    for run in runs:
        for r in run.data["records"]:
            preset, _, severity = r["rain"].partition("/s")
            level = int(severity) if severity.isdigit() else None
            fields = {k: v for k, v in r.items() if k != "per_image"}
            rows.append(
                {
                    **fields,
                    "run": run.label,
                    "preset": preset,
                    "severity": level,
                    "per_image": r.get("per_image"),
                }
            )
    return pd.DataFrame(rows)


def _interval_bands(grid, part, palette: dict) -> None:
    """Each curve's 95% bootstrap interval as a translucent band (results that carry one)."""
    if "ci95" not in part:
        return
    for preset, ax in grid.axes_dict.items():
        facet = part[(part["preset"] == preset) & part["ci95"].notna()]
        for (condition, _), curve in facet.groupby(["condition", "run"], sort=False):
            curve = curve.sort_values("severity")
            lo, hi = zip(*curve["ci95"], strict=True)
            ax.fill_between(
                curve["severity"], lo, hi, color=palette[condition], alpha=0.15, linewidth=0
            )


def _clean_level(grid, clean) -> None:
    """A dashed line per run at the clean photos' value (no-reference metrics score them too)."""
    for value in clean["value"].dropna():
        for ax in grid.axes.flat:
            ax.axhline(value, color="0.35", linestyle="--", linewidth=1)
            ax.annotate(
                "clean",
                (1, value),
                xycoords=("axes fraction", "data"),
                ha="right",
                va="bottom",
                fontsize=8,
                color="0.35",
            )


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _plots(runs: list[Run]) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    df = _frame(runs)
    if df.empty:
        return []
    multi = len(runs) > 1
    plots = []
    sweep = df[df["severity"].notna() & df["value"].notna()]
    for task, metric, axis in MAIN_METRICS:
        part = sweep[(sweep["task"] == task) & (sweep["metric"] == metric)]
        if part["severity"].nunique() > 1:
            order = list(dict.fromkeys(part["condition"]))
            palette = dict(zip(order, sns.color_palette(n_colors=len(order)), strict=True))
            grid = sns.relplot(
                data=part,
                x="severity",
                y="value",
                hue="condition",
                col="preset",
                style="run" if multi else None,
                kind="line",
                marker="o",
                palette=palette,
                hue_order=order,
                errorbar=None,
                height=3.2,
                aspect=1.3,
                facet_kws={"sharey": True},
            )
            _interval_bands(grid, part, palette)
            if task == "quality":  # the clean photos' level: where a derainer may overshoot
                _clean_level(grid, df[(df["metric"] == metric) & (df["condition"] == "clean")])
            grid.set_axis_labels("rain severity", axis)
            plots.append(
                {"title": f"{axis} against rain severity, per method", "png": _png(grid.figure)}
            )
    recovery = df[df["metric"].str.startswith("recovery(") & df["value"].notna()]
    if not recovery.empty:
        grid = sns.catplot(
            data=recovery,
            x="rain",
            y="value",
            hue="condition",
            col="metric",
            row="run" if multi else None,
            kind="bar",
            height=3.2,
            aspect=1.6,
        )
        grid.set_axis_labels("rain", "recovery")
        for ax in grid.axes.flat:
            ax.tick_params(axis="x", rotation=45)
        plots.append(
            {
                "title": "Recovery of the downstream metric by each derainer",
                "png": _png(grid.figure),
            }
        )
    per_class = df[df["metric"].str.startswith("AP[") & (df["condition"] != "clean")]
    if not per_class.empty:
        import matplotlib.pyplot as plt

        table = per_class.assign(
            row=per_class["run"] + " " + per_class["condition"] + "@" + per_class["rain"],
            cls=per_class["metric"].str[3:-1],
        ).pivot_table(index="row", columns="cls", values="value")
        fig, ax = plt.subplots(figsize=(1.2 + 0.7 * table.shape[1], 0.9 + 0.32 * table.shape[0]))
        sns.heatmap(
            table,
            annot=True,
            fmt=".0f",
            cmap="viridis",
            vmin=0,
            vmax=100,
            ax=ax,
            cbar_kws={"label": "AP (%)"},
        )
        ax.set_xlabel("COCO class")
        ax.set_ylabel("")
        plots.append(
            {
                "title": "Per-class AP (pseudo or real ground truth, see provenance)",
                "png": _png(fig),
            }
        )
    psnr = df[(df["task"] == "restoration") & (df["metric"] == "PSNR") & df["per_image"].notna()]
    if not psnr.empty:
        long = psnr.explode("per_image").astype({"per_image": float})
        grid = sns.catplot(
            data=long,
            x="rain",
            y="per_image",
            hue="condition",
            col="run" if multi else None,
            kind="box",
            height=3.4,
            aspect=2.2,
        )
        grid.set_axis_labels("rain", "PSNR per image (dB)")
        for ax in grid.axes.flat:
            ax.tick_params(axis="x", rotation=45)
        plots.append({"title": "PSNR distributions over the images", "png": _png(grid.figure)})
    return plots


def _html_table(table) -> dict:
    ranks = table.ranks()
    rows = []
    for i, (name, values) in enumerate(table.rows):
        cells = []
        for j, (v, decimals) in enumerate(zip(values, table.decimals, strict=True)):
            rank = ranks[j].get(i)
            cells.append(
                {
                    "text": "–" if v is None else f"{v:.{decimals}f}",
                    "css": {1: "best", 2: "second"}.get(rank, ""),
                }
            )
        rows.append({"name": name, "cells": cells})
    return {"caption": table.caption, "columns": table.columns, "rows": rows}


def _agreement_rows(data: dict) -> list[dict]:
    """The Spearman correlations of each quality metric with PSNR, as table text."""

    def text(rho: float, ci: list[float] | None) -> str:
        shown = "–" if rho != rho else f"{rho:+.2f}"
        return shown + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "")

    return [
        {
            "metric": row["metric"],
            "per_image": text(row["per_image"], row["per_image_ci95"]),
            "points": row["points"],
            "per_condition": text(row["per_condition"], row["per_condition_ci95"]),
            "conditions": row["conditions"],
        }
        for row in agreement(data["records"])
    ]


def _inside(folder: Path, name: str) -> Path | None:
    """``folder / name`` if it is a file inside ``folder`` (links resolved), else None: a
    results file may only embed its own gallery, never another file of the machine."""
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        print(
            f"warning: gallery file {name!r} is not a file inside {folder}; not embedded",
            file=sys.stderr,
        )
        return None
    return path


def _gallery(run: Run) -> list[dict]:
    items = []
    for item in run.data["meta"].get("gallery", []):
        panels = []
        for panel in item.get("panels", []) if isinstance(item, dict) else []:
            if not isinstance(panel, dict) or not isinstance(panel.get("file"), str):
                continue
            path = _inside(run.folder, panel["file"])
            if path is not None:
                panels.append(
                    {
                        "condition": panel.get("condition", ""),
                        "jpeg": base64.b64encode(path.read_bytes()).decode(),
                    }
                )
        if panels:
            items.append(
                {
                    "image": item.get("image"),
                    "rain": item.get("rain"),
                    "credit": item.get("credit"),
                    "panels": panels,
                }
            )
    return items


def _provenance(meta: dict) -> list[tuple[str, str]]:
    rows = [
        ("suite", f"{meta.get('suite')} ({meta.get('suite_file', '')})"),
        ("git commit", meta.get("git_commit") or "unknown"),
        ("ground truth", "; ".join(f"{k}: {v}" for k, v in meta.get("ground_truth", {}).items())),  # noqa: E501
        ("restoration convention", meta.get("restoration_convention", "")),
    ]
    rows += [(f"version {k}", v) for k, v in meta.get("versions", {}).items()]
    rows += [(f"model id {k}", v) for k, v in meta.get("derainer_ids", {}).items()]
    rows += [(f"derainer {k}", v) for k, v in meta.get("derainers", {}).items()]
    rows += [(f"model {k}", v) for k, v in meta.get("models", {}).items()]
    rows += [(f"machine {k}", str(v)) for k, v in meta.get("machine", {}).items()]
    rows += [
        (f"timing {k}", f"{v:.1f}" if isinstance(v, float) else str(v))
        for k, v in meta.get("timings", {}).items()
    ]
    rows.append(("images", ", ".join(meta.get("dataset", {}).get("images", []))))
    for model, scored in meta.get("scored_images", {}).items():
        if isinstance(scored, dict) and isinstance(scored.get("images"), list):
            rows.append(
                (
                    f"scored on ({model})",
                    f"{len(scored['images'])} images, "
                    f"{scored.get('rule', '')}: " + ", ".join(map(str, scored["images"])),
                )
            )
    skipped = meta.get("dataset", {}).get("skipped", [])
    if skipped:
        rows.append(("skipped images", "; ".join(skipped)))
    return rows


def render_report(results: list[str | Path], out: str | Path, history: str | None = None) -> Path:
    """Writes the report for one or more results.json (or their folders) and returns its path."""
    runs, taken = [], set()
    for item in results:
        path = results_path(item)
        data = load_results(path)
        runs.append(Run(_label(path, data, taken), data, path.parent))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    page = env.get_template("report.html.j2").render(
        title=", ".join(r.label for r in runs),
        runs=[
            {
                "label": r.label,
                "dataset": r.data["meta"]["dataset"]["name"],
                "incomplete": INCOMPLETE if is_incomplete(r.data) else "",
                "tables": [_html_table(t) for t in tables_for(r.data)],
                "gallery": _gallery(r),
                "agreement": _agreement_rows(r.data),
                "provenance": _provenance(r.data["meta"]),
            }
            for r in runs
        ],
        plots=_plots(runs),
        history=history,
    )
    out = Path(out)
    write_bytes_atomic(out, page.encode())
    return out
