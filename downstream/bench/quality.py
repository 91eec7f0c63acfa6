"""No-reference quality cells of a run: NIQE / BRISQUE / PIQE (rdmc.iqa) of every condition's
images, clean included, one cell per condition; on real rain the only image-quality figures.

A cell's key hashes the condition's image keys, the metrics, the code of rdmc.iqa (with what
it imports) and the bytes of the model files it reads (a local override included)."""

from __future__ import annotations

from collections.abc import Iterator

from downstream.bench.cells import Cell, record
from downstream.bench.conditions import Condition, ConditionImages
from downstream.datasets import Dataset
from downstream.results.intervals import mean_replicates, resample_counts
from rdmc.code_digest import code_digest, content_hash

QUALITY_VERSION = "quality-v1"
NO_REFERENCE = "none (no reference)"


def quality_code(metrics: list[str]) -> str:
    """The version of what turns images into quality values: rdmc.iqa's import closure and
    the model files the metrics read."""
    from rdmc.iqa import quality_meta

    files = quality_meta(metrics)["model_files"]
    return content_hash(QUALITY_VERSION, code_digest(("rdmc.iqa",)), metrics, files)


def quality_cells(
    dataset: Dataset, conditions: list[Condition], images: ConditionImages, metrics: list[str]
) -> Iterator[Cell]:
    """(cache key, computation) of the quality cell of every condition."""
    if not metrics:
        return
    code = quality_code(metrics)
    for c in conditions:
        inputs = [images.key(im, c) for im in dataset.images]
        key = content_hash(code, f"quality:{c.label}", inputs, dataset.name)
        yield key, lambda c=c: quality_records(dataset, c, images, metrics)


def quality_records(
    dataset: Dataset, c: Condition, images: ConditionImages, metrics: list[str]
) -> list[dict]:
    from rdmc.iqa import QUALITY_MODEL, QUALITY_UNIT, per_image_quality

    pairs = [(im.name, images.get(im, c)) for im in dataset.images]
    values, skipped = per_image_quality(pairs, metrics)
    records = []
    for metric, per_image in values.items():
        if not per_image:
            continue
        mean = sum(per_image) / len(per_image)
        r = record(dataset, c, "quality", QUALITY_MODEL, metric, mean, QUALITY_UNIT, NO_REFERENCE)
        r["per_image"] = per_image
        r["replicates"] = mean_replicates(per_image, resample_counts(len(per_image))).tolist()
        if skipped:
            r["skipped"] = skipped
        records.append(r)
    return records
