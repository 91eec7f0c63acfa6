"""``rdmc iqa``: no-reference quality of a set of images, one row per image and the mean."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rdmc.iqa import VARIANTS, score
from rdmc.iqa.nss import IqaError


@dataclass
class IqaReport:
    metrics: list[str]
    per_image: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def mean(self, metric: str) -> float:
        values = [r[metric] for r in self.per_image]
        return float(np.mean(values)) if values else math.nan

    def to_json(self) -> dict:
        """Strict JSON: a mean of no image is null."""
        means = {m: self.mean(m) for m in self.metrics}
        return {
            "metrics": self.metrics,
            "variants": {m: VARIANTS[m] for m in self.metrics},
            "n": len(self.per_image),
            "per_image": self.per_image,
            "mean": {m: v if math.isfinite(v) else None for m, v in means.items()},
            "failures": self.failures,
        }


def score_files(paths: Sequence[Path], metrics: Sequence[str]) -> IqaReport:
    """Scores every image; one that cannot be read or scored is named in ``failures``."""
    from rdmc.imageio import ImageError, read_image

    report = IqaReport(list(metrics))
    for path in paths:
        try:
            values = score(read_image(path), metrics)
        except (ImageError, IqaError) as e:
            message = str(e)
            report.failures.append(message if str(path) in message else f"{path}: {message}")
            continue
        report.per_image.append({"file": str(path), **values})
    return report


def format_table(report: IqaReport) -> str:
    """Per-image rows, then the mean; lower is better for every column."""
    names = [Path(r["file"]).name for r in report.per_image]
    width = max([len("image"), len("mean"), *map(len, names)])
    header = f"{'image':<{width}}" + "".join(f"{m.upper() + ' ↓':>11}" for m in report.metrics)
    lines = [header, "-" * len(header)]
    for name, row in zip(names, report.per_image, strict=True):
        lines.append(f"{name:<{width}}" + "".join(f"{row[m]:>11.4f}" for m in report.metrics))
    lines.append("-" * len(header))
    means = "".join(f"{report.mean(m):>11.4f}" for m in report.metrics)
    count = len(report.per_image)
    lines.append(f"{'mean':<{width}}{means}   ({count} image{'' if count == 1 else 's'})")
    return "\n".join(lines)
