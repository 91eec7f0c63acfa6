"""`rdmc scoreboard`: derainers side by side on the held-out test split or on paired datasets.

For every derainer: PSNR / SSIM (Y channel) against the clean photo under each
rain setting (same rain as ``rdmc bench``: the image's name and the seed fix
it), or on each paired dataset folder (``--dataset Rain100H=ROOT``: the
folder's name is its rain setting, as in deraining papers' tables),
parameters, GFLOPs at 256x256 and the median CPU latency of one 256x256
forward pass. The rainy input itself is the reference row.

The output has the layout of ``rdmc bench``'s results.json (``meta`` and
``records``), so ``rdmc tables`` and ``rdmc compare`` read it. It is rewritten
after every derainer; ``--resume`` keeps the rows whose weights did not change
and that were scored on the same images, rain and latency settings by the same code
(the source of the modules a row depends on and the versions of numpy, OpenCV,
SciPy and torch). A derainer that cannot be loaded is named in one line and skipped.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from downstream.results.intervals import mean_replicates, resample_counts
from downstream.results.provenance import git_commit, machine, versions
from downstream.results.records import (
    REFERENCE_CONDITIONS,
    decode_numbers,
    units_of,
    write_results,
)
from downstream.scoreboard.cases import (
    DatasetSpec,
    digest,
    embedded_cases,
    folder_cases,
    method_outputs,
)
from rdmc.analysis import complexity
from rdmc.code_digest import code_digest
from rdmc.derainer_kinds import prefixed_kind
from rdmc.iqa import METRICS, QUALITY_MODEL, QUALITY_UNIT, per_image_quality, quality_meta
from rdmc.metrics import RESTORATION_UNITS, convention, per_image_scores

RAINY = "rainy"
# What a previous file's rows must share with this run to be kept by --resume.
# What every kept row needs unchanged; each (derainer, dataset or rain setting) cell also
# needs its own images unchanged (meta.dataset.settings).
SAME_SETUP = (
    "seed",
    "restoration_convention",
    "latency",
    "precision",
    "backend",
    "code",
    "quality",
)
# The code a row depends on besides the derainer's weights: this module and everything it
# imports (rain, data, the zoo, inference, metrics, intervals), and the libraries under them.
SCORE_CODE = ("downstream.scoreboard.runner",)


@dataclass(frozen=True)
class Entry:
    label: str  # the row's name
    spec: str  # zoo name or checkpoint path

    @classmethod
    def parse(cls, text: str) -> Entry:
        """``NAME`` (a zoo derainer) or ``LABEL=PATH_OR_NAME``."""
        label, sep, spec = text.partition("=")
        return cls(label, spec) if sep else cls(text, text)


class LabelError(ValueError):
    """A row label used twice or taken from a reference row; the message says which."""


def check_labels(entries: list[Entry]) -> None:
    """Every row's label once, none a reference row's (``rainy``, ``clean``, ``none``):
    LabelError naming the first that is not."""
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.label in REFERENCE_CONDITIONS:
            raise LabelError(
                f"{entry.label}={entry.spec}: the label {entry.label!r} names a "
                "reference row; pick another label"
            )
        if entry.label in seen:
            raise LabelError(
                f"the label {entry.label!r} is used twice ({seen[entry.label]} and "
                f"{entry.spec}); give each derainer its own label"
            )
        seen[entry.label] = entry.spec


def _timed_median_ms(net, size: int, repeats: int) -> float:
    """Median milliseconds of ``net`` (a module or a derainer's derain_tensor) on one image."""
    x = torch.rand(1, 3, size, size)
    times = []
    with torch.inference_mode():
        net(x)  # warm-up: allocator and kernels
        for _ in range(repeats):
            start = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _restoration(label: str, spec: str, rain: str, pairs: list[tuple[np.ndarray, np.ndarray]]):
    return [
        {
            "condition": label,
            "derainer": spec,
            "rain": rain,
            "task": "restoration",
            "model": "Y channel",
            "metric": k,
            "value": float(np.mean(v)),
            "unit": RESTORATION_UNITS[k],
            "gt": "clean image",
            "per_image": v,
        }
        for k, v in per_image_scores(pairs).items()
    ]


def _quality(label: str, spec: str, rain: str, images: list[np.ndarray], metrics: list[str]):
    """No-reference quality (rdmc.iqa) of one row's images under one setting."""
    named = [(f"image {i}", img) for i, img in enumerate(images)]
    values, _ = per_image_quality(named, metrics)
    return [
        {
            "condition": label,
            "derainer": spec,
            "rain": rain,
            "task": "quality",
            "model": QUALITY_MODEL,
            "metric": k,
            "value": float(np.mean(v)),
            "unit": QUALITY_UNIT,
            "gt": "none (no reference)",
            "per_image": v,
        }
        for k, v in values.items()
        if v
    ]


def _scored(
    label: str, spec: str, rain: str, restored: list[np.ndarray], clean: list, metrics: list[str]
) -> list[dict]:
    """A row's records under one setting: PSNR / SSIM against clean, and quality."""
    pairs = list(zip(restored, clean, strict=True))
    return _restoration(label, spec, rain, pairs) + _quality(label, spec, rain, restored, metrics)


def _complexity(label: str, spec: str, derainer, size: int, repeats: int):
    stats = complexity(derainer.net, size)
    values = {
        "params": (stats["params"] / 1e6, "M"),
        # mmengine counts convolutions, matmuls and the like; a derainer built from pooling and
        # morphology (guided-filter) counts 0, which is not its cost: no value, not a zero
        "GFLOPs": (stats["gflops"] or None, "G"),
        "latency": (_timed_median_ms(derainer.derain_tensor, size, repeats), "ms"),
    }
    return [
        {
            "condition": label,
            "derainer": spec,
            "rain": "none",
            "task": "complexity",
            "model": f"{size}x{size}",
            "metric": k,
            "value": v,
            "unit": unit,
            "gt": None,
        }
        for k, (v, unit) in values.items()
    ]


def _training(meta: dict) -> dict:
    """What a checkpoint says about its training run."""
    return {k: meta[k] for k in ("name", "iter", "metrics") if k in meta}


def run_scoreboard(
    entries: list[Entry],
    out: Path,
    rain: list[tuple[str, int]] = (("light", 3), ("heavy", 3)),
    split: str = "test",
    seed: int = 0,
    latency_size: int = 256,
    latency_repeats: int = 5,
    resume: bool = False,
    precision: str = "fp32",
    datasets: list[DatasetSpec] | None = None,
    quality: list[str] = METRICS,
    backend: str = "torch",
) -> tuple[Path, list[str]]:
    """Scores every entry into ``out`` on the embedded split under ``rain``, or on the paired
    ``datasets``; returns its path and the one-line errors of the entries that could not be
    scored. ``quality``: the no-reference metrics of every row (the clean images' too)."""
    quality = list(quality)
    quality_info = quality_meta(quality)
    check_labels(entries)
    previous = json.loads(out.read_text()) if resume and out.is_file() else None
    if previous is not None:
        previous["records"] = decode_numbers(previous["records"])
    dataset, cases = folder_cases(datasets) if datasets else embedded_cases(split, rain, seed)
    settings = list(cases)
    meta = {
        "kind": "scoreboard",
        "dataset": dataset,
        "rain": (
            [{"dataset": name} for name in settings]
            if datasets
            else [{"preset": p, "severities": [s]} for p, s in rain]
        ),
        "seed": seed,
        "derainers": {},
        "derainer_ids": {},
        "restoration_convention": convention(),
        "latency": {"size": latency_size, "repeats": latency_repeats, "statistic": "median"},
        "precision": precision,
        "backend": backend,
        "code": code_digest(SCORE_CODE),
        "quality": quality_info,
        "units": units_of(
            [*RESTORATION_UNITS, "params", "GFLOPs", "latency", *quality_info["metrics"]]
        ),
        "versions": versions(),
        "git_commit": git_commit(),
        "machine": machine("cpu"),
        "complete": False,  # until every derainer is scored
    }
    if previous is not None and any(previous["meta"].get(k) != meta[k] for k in SAME_SETUP):
        previous = None  # another seed, metric convention, latency setting or code: nothing
    if previous is not None:  # keep the cells of datasets / rain settings whose images held
        before = previous["meta"]["dataset"].get("settings", {})
        held = {s for s, d in dataset["settings"].items() if before.get(s) == d} | {"none"}
        previous["records"] = [r for r in previous["records"] if r["rain"] in held]
    records = []
    for s in settings:
        clean = [c.clean for c in cases[s]]
        records += _scored(RAINY, "none", s, [c.rainy for c in cases[s]], clean, quality)
        records += _quality("clean", "none", s, clean, quality)
    errors = []
    for entry in entries:
        try:
            kind = prefixed_kind(entry.spec)
            score = _score_model if kind is None or kind.runs_here else _score_outputs
            info, rows = score(
                entry, cases, previous, precision, latency_size, latency_repeats, quality, backend
            )
            meta["derainers"][entry.label] = info
            meta["derainer_ids"][entry.label] = info["id"]
        except (ValueError, OSError) as e:
            errors.append(f"{entry.label}: {e}")
            print(f"error: {entry.label}: {e}", file=sys.stderr)
            continue
        records += rows
        _write(out, meta, records)
    meta["complete"] = True
    _write(out, meta, records)
    return out, errors


def _score_model(
    entry: Entry,
    cases: dict,
    previous: dict | None,
    precision: str,
    latency_size: int,
    latency_repeats: int,
    quality: list[str],
    backend: str,
) -> tuple[dict, list[dict]]:
    """A zoo derainer or a checkpoint: restoration on every setting, and its costs."""
    from rdmc.zoo import derainer_fingerprint, load_derainer, model_id

    fingerprint = derainer_fingerprint(entry.spec)
    kept = _kept_cells(previous, entry.label, fingerprint)
    if all(s in kept for s in [*cases, "none"]):
        info = previous["meta"]["derainers"][entry.label]
        info = {**info, "id": model_id(fingerprint, info["training"].get("name", entry.label))}
        return info, [r for s in [*cases, "none"] for r in kept[s]]
    derainer = load_derainer(entry.spec, precision=precision, backend=backend)
    rows = []
    for s, group in cases.items():
        rows += kept.get(s) or _scored(
            entry.label,
            entry.spec,
            s,
            [derainer(c.rainy) for c in group],
            [c.clean for c in group],
            quality,
        )
    rows += kept.get("none") or _complexity(
        entry.label, entry.spec, derainer, latency_size, latency_repeats
    )
    training = _training(derainer.meta)
    info = {
        "spec": entry.spec,
        "fingerprint": fingerprint,
        "id": model_id(fingerprint, training.get("name", entry.label)),
        "training": training,
    }
    return info, rows


def _score_outputs(entry: Entry, cases: dict, previous: dict | None, *rest) -> tuple[dict, list]:
    """A method run elsewhere (``outputs:DIR``): restoration and quality, no costs; every
    output required."""
    quality = rest[-2]
    outputs = {s: method_outputs(entry.spec, s, group) for s, group in cases.items()}
    fingerprint = "outputs:" + digest([f"{s} {d}" for s, (_, d) in outputs.items()])
    rows = [
        r
        for s, group in cases.items()
        for r in _scored(
            entry.label, entry.spec, s, outputs[s][0], [c.clean for c in group], quality
        )
    ]
    from rdmc.zoo import model_id

    info = {"spec": entry.spec, "fingerprint": fingerprint, "training": {}}
    return {**info, "id": model_id(fingerprint, entry.label)}, rows


def _kept_cells(previous: dict | None, label: str, fingerprint: str) -> dict[str, list[dict]]:
    """The rows of ``label``'s earlier run that still hold (same weights; run_scoreboard has
    dropped the settings whose images changed), by dataset / rain setting and ``none`` (its
    costs)."""
    info = previous["meta"]["derainers"].get(label) if previous else None
    if not info or info.get("fingerprint") != fingerprint:
        return {}
    kept: dict[str, list[dict]] = {}
    for r in previous["records"]:
        if r["condition"] == label:
            kept.setdefault(r["rain"], []).append(r)
    return kept


def _write(out: Path, meta: dict, records: list[dict]) -> None:
    """Writes the records through the one results writer, every per-image mean with its
    bootstrap replicates (so with a 95 % interval, and a derainer's verdict against rainy)."""
    for r in records:
        if r.get("per_image") and "replicates" not in r:
            counts = resample_counts(len(r["per_image"]))
            r["replicates"] = mean_replicates(r["per_image"], counts).tolist()
    write_results(out, meta, records)
