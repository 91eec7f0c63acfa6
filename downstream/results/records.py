"""The results file: its record schema and its one writer.

``rdmc bench`` (results.json) and ``rdmc scoreboard`` both write ``{"meta": ..., "records":
[...]}`` through :func:`write_results`. A record is one figure: ``condition`` (clean, rainy or
a derainer's label), ``derainer``, ``rain``, ``task``, ``model``, ``metric``, ``value`` and
``unit``, with ``ci95`` and, for a derainer, a paired ``vs_rainy`` verdict where it has
bootstrap replicates. Files are strict JSON: a non-finite number (the PSNR of two identical
images is +inf) is written as the string ``"Infinity"``, ``"-Infinity"`` or ``"NaN"``, which
every JSON parser reads, and read back as a float by :func:`decode_numbers`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from downstream.results.intervals import interval, paired_difference, verdict
from rdmc.imageio import write_bytes_atomic

# The rows every results file has besides its derainers' (the clean and rainy references, and
# "none", the derainer field of those): no derainer may take one of these names, or its rows
# would merge into theirs.
REFERENCE_CONDITIONS = ("clean", "rainy", "none")
# Metrics where a lower value is the better one (no-reference quality, rdmc.iqa); every
# other quality figure is higher-is-better. Verdicts, table marks and `rdmc compare` read it.
LOWER_IS_BETTER = frozenset({"NIQE", "BRISQUE", "PIQE"})
NON_FINITE = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
# The fields every record has.
RECORD_FIELDS = (
    "dataset",
    "condition",
    "derainer",
    "rain",
    "task",
    "model",
    "metric",
    "value",
    "unit",
    "gt",
)
# The unit of every metric a results file can hold (meta.units lists those it holds). Spelled
# out so that reading results needs neither torch nor the metrics' code; a test ties it to
# rdmc.metrics.RESTORATION_UNITS and rdmc.iqa's units.
UNITS = {
    "mAP": "%",
    "mIoU": "%",
    "PSNR": "dB",
    "SSIM": "1",
    "recovery": "1",
    "rPC": "1",
    "params": "M",
    "GFLOPs": "G",
    "latency": "ms",
    "NIQE": "1",
    "BRISQUE": "1",
    "PIQE": "1",
}
# Record fields that hold text, never a number written as text: every field but the value,
# and the optional ones.
TEXT_FIELDS = frozenset(RECORD_FIELDS) - {"value"} | {"note", "kind", "derainer_id"}


def _finite_or_token(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite_or_token(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_token(v) for v in value]
    return value


def dumps(data: dict) -> bytes:
    """``data`` as strict JSON (no bare ``Infinity`` or ``NaN``), indented."""
    return (json.dumps(_finite_or_token(data), indent=1, allow_nan=False) + "\n").encode()


def _number(value: object) -> object:
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def decode_numbers(records: list) -> list:
    """The records with the non-finite numbers :func:`dumps` wrote as text made floats again
    (in number fields only: a derainer may be called "NaN")."""
    return [
        {k: v if k in TEXT_FIELDS else _number(v) for k, v in r.items()}
        if isinstance(r, dict)
        else r
        for r in records
    ]


def units_of(metrics: Iterable[str]) -> dict[str, str]:
    """``meta.units`` of a file holding ``metrics``."""
    return {m: UNITS[m] for m in metrics}


def write_results(path: Path, meta: dict, records: list[dict], intervals: bool = True) -> None:
    """Writes a results file atomically: every derainer's record names its model id
    (``derainer_id``, from ``meta["derainer_ids"]``); with ``intervals``, every record with
    bootstrap ``replicates`` gets its 95 % interval and, for a derainer, its paired verdict
    against rainy (recomputed from the replicates on each write); the replicates stay out
    of the file."""
    ids = meta.get("derainer_ids", {})
    fresh = [
        {k: v for k, v in r.items() if k not in ("ci95", "vs_rainy", "derainer_id")}
        | ({"derainer_id": ids[r["condition"]]} if r["condition"] in ids else {})
        for r in records
    ]
    if intervals:
        add_intervals(fresh)
    written = [{k: v for k, v in r.items() if k != "replicates"} for r in fresh]
    write_bytes_atomic(path, dumps({"meta": meta, "records": written}))


def add_intervals(records: list[dict]) -> None:
    """Adds ``ci95`` to every record with bootstrap ``replicates``, and to each derainer's
    record a paired ``vs_rainy`` verdict against the rainy record of the same rain, model
    and metric (not for recovery, which is already relative to rainy)."""

    def key(r: dict) -> tuple:
        return r.get("dataset"), r["task"], r["model"], r["metric"], r["rain"]

    rainy = {key(r): r for r in records if r["condition"] == "rainy" and "replicates" in r}
    for r in records:
        if "replicates" not in r:
            continue
        replicates = np.asarray(r["replicates"], np.float64)
        r["ci95"] = interval(replicates)
        base = rainy.get(key(r))
        relative = r["metric"].startswith("recovery")
        if r["condition"] in ("clean", "rainy") or base is None or relative:
            continue
        ci, word = verdict(
            paired_difference(replicates, np.asarray(base["replicates"], np.float64)),
            lower_is_better=r["metric"] in LOWER_IS_BETTER,
        )
        difference = None
        if r["value"] is not None and base["value"] is not None:
            difference = float(paired_difference(np.float64(r["value"]), np.float64(base["value"])))
        r["vs_rainy"] = {"difference": difference, "ci95": ci, "verdict": word}
