"""Does no-reference quality agree with PSNR? Spearman rank correlations on one run.

Over every derived copy of a run (rainy and each derainer, every rain setting; not the
clean photo, whose PSNR is infinite):

- per image: one point per (copy, image), PSNR against the metric;
- per condition: one point per (condition, rain setting), the means over the images.

PSNR rises with quality and NIQE, BRISQUE and PIQE fall, so full agreement is
rho = -1. The 95% intervals resample the images (every copy of a drawn image comes
along, as the run's other intervals do: downstream.results.intervals).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import spearmanr

from downstream.results.intervals import interval, resample_counts
from downstream.results.records import LOWER_IS_BETTER


def _cells(records: list[dict]) -> tuple[list[str], dict[tuple, dict[str, list[float]]]]:
    """The quality metrics of the run, and per (condition, rain) the per-image values of
    PSNR and of each metric, where both cover the same images."""
    metrics = list(dict.fromkeys(r["metric"] for r in records if r["metric"] in LOWER_IS_BETTER))
    cells: dict[tuple, dict[str, list[float]]] = {}
    for r in records:
        wanted = (r["task"], r["metric"]) == ("restoration", "PSNR") or r["metric"] in metrics
        if wanted and r.get("per_image") and r["condition"] != "clean":
            cells.setdefault((r["condition"], r["rain"]), {})[r["metric"]] = r["per_image"]
    complete = {
        key: values
        for key, values in cells.items()
        if "PSNR" in values and all(len(values.get(m, ())) == len(values["PSNR"]) for m in metrics)
    }
    return metrics, complete


def _rho(x: np.ndarray, y: np.ndarray) -> float:
    finite = np.isfinite(x) & np.isfinite(y)
    if finite.sum() < 3 or np.ptp(x[finite]) == 0 or np.ptp(y[finite]) == 0:
        return math.nan
    return float(spearmanr(x[finite], y[finite]).statistic)


def agreement(records: list[dict]) -> list[dict]:
    """One row per quality metric: rho per image and per condition, each with its 95%
    interval, and how many points each has."""
    metrics, cells = _cells(records)
    if not cells or not metrics:
        return []
    n = len(next(iter(cells.values()))["PSNR"])
    if any(len(v["PSNR"]) != n for v in cells.values()):
        return []
    psnr = np.array([v["PSNR"] for v in cells.values()], np.float64)  # (cells, images)
    counts = resample_counts(n)
    rows = []
    for metric in metrics:
        values = np.array([v[metric] for v in cells.values()], np.float64)
        per_image = _rho(psnr.ravel(), values.ravel())
        per_condition = _rho(psnr.mean(axis=1), values.mean(axis=1))
        image_replicates, condition_replicates = [], []
        for weights in counts:
            drawn = np.repeat(np.arange(n), weights)
            image_replicates.append(_rho(psnr[:, drawn].ravel(), values[:, drawn].ravel()))
            condition_replicates.append(
                _rho(psnr[:, drawn].mean(axis=1), values[:, drawn].mean(axis=1))
            )
        rows.append(
            {
                "metric": metric,
                "per_image": per_image,
                "per_image_ci95": interval(np.array(image_replicates)),
                "points": int(psnr.size),
                "per_condition": per_condition,
                "per_condition_ci95": interval(np.array(condition_replicates)),
                "conditions": len(cells),
            }
        )
    return rows
