"""Validation curves of training runs, from the logs mmengine wrote (``rdmc train``'s
console log or the ``<timestamp>.log`` in its work dir), as a Markdown table: one row per
run, one column per validated iteration, and for runs named ``...-seedN`` the mean over
their seeds.

    python reports/studies/learning-curves/learning_curves.py OUT/*-seed?.log \\
        [--metric derain/psnr_heavy]

A validation's iteration is the last training iteration logged before it, rounded up to
the config's ``val_interval`` (mmengine logs every tenth iteration by default).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from pathlib import Path

_TRAIN = re.compile(r"Iter\(train\) \[\s*(\d+)/\d+\]")
_VAL_INTERVAL = re.compile(r"\bval_interval=(\d+)")
_VAL_DONE = re.compile(r"Iter\(val\) \[(\d+)/\1\]\s+(.*)")
_METRIC = re.compile(r"(\S+): (-?[0-9.]+)")


def validations(log: Path) -> dict[int, dict[str, float]]:
    """{iteration: {metric: value}} for every validation the log holds."""
    interval, last_train, curve = 1, 0, {}
    for line in log.read_text(errors="replace").splitlines():
        if match := _VAL_INTERVAL.search(line):
            interval = int(match[1])
        elif match := _TRAIN.search(line):
            last_train = int(match[1])
        elif match := _VAL_DONE.search(line):
            iteration = math.ceil(last_train / interval) * interval
            curve[iteration] = {k: float(v) for k, v in _METRIC.findall(match[2])}
    return curve


def curves_table(logs: list[Path], metric: str) -> str:
    curves = {log.stem: validations(log) for log in logs}
    iterations = sorted({i for curve in curves.values() for i in curve})
    groups: dict[str, list[str]] = {}
    for run in curves:
        groups.setdefault(re.sub(r"-seed\d+$", "", run), []).append(run)

    def row(label: str, values: list[float | None]) -> str:
        cells = ["" if v is None else f"{v:.2f}" for v in values]
        return "| " + " | ".join([label, *cells]) + " |"

    lines = [
        "| run | " + " | ".join(f"it {i}" for i in iterations) + " |",
        "| --- |" + " --- |" * len(iterations),
    ]
    for group, runs in groups.items():
        for run in runs:
            lines.append(row(run, [curves[run].get(i, {}).get(metric) for i in iterations]))
        if len(runs) > 1:
            means = []
            for i in iterations:
                values = [curves[r][i][metric] for r in runs if metric in curves[r].get(i, {})]
                means.append(statistics.fmean(values) if len(values) == len(runs) else None)
            lines.append(row(f"{group}, mean of {len(runs)} seeds", means))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--metric", default="derain/psnr")
    args = parser.parse_args(argv)
    for log in args.logs:
        if not log.is_file():
            print(f"error: {log}: no such log file", file=sys.stderr)
            return 2
        if not validations(log):
            print(f"error: {log}: no validation in this log", file=sys.stderr)
            return 2
    print(curves_table(args.logs, args.metric))
    return 0


if __name__ == "__main__":
    sys.exit(main())
