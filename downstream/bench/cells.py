"""The scored cells of a run: one per (task, model, condition), each a list of records,
cached under a key that hashes everything the cell reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np

from downstream.annotations import model_class, read_label_map
from downstream.bench.conditions import CLEAN, Condition, ConditionImages
from downstream.bench.task_models import TaskModel, predict
from downstream.cache import Cache
from downstream.datasets import Dataset, Image
from downstream.results.intervals import mean_replicates, resample_counts
from downstream.results.records import RECORD_FIELDS
from rdmc.code_digest import code_digest, content_hash
from rdmc.metrics import RESTORATION_UNITS, per_image_scores

# Bump when the runner changes how a cell's records are computed from its inputs.
SCORING_VERSION = "cells-v4"


def scoring_code() -> str:
    """The version of everything that turns predictions into scores, for cell keys: the
    runner's version, the code of this module and the scoring module with everything they
    import (metric settings, pseudo ground truth, dataset loaders) and the versions of the
    metric libraries (pycocotools runs under mmdet's CocoMetric)."""
    modules = ("downstream.bench.cells", "downstream.scoring")
    return content_hash(SCORING_VERSION, code_digest(modules, ("pycocotools",)))


def valid_cell(value: object) -> bool:
    """A cached cell is a list of complete records."""
    return isinstance(value, list) and all(
        isinstance(r, dict) and all(k in r for k in RECORD_FIELDS) for r in value
    )


def record(
    dataset: Dataset,
    c: Condition,
    task: str,
    model: str,
    metric: str,
    value: float | None,
    unit: str,
    gt: str,
) -> dict:
    return {
        "dataset": dataset.name,
        "condition": c.name,
        "derainer": c.derainer or "none",
        "rain": c.rain,
        "task": task,
        "model": model,
        "metric": metric,
        "value": value,
        "unit": unit,
        "gt": gt,
    }


Cell = tuple[str, Callable[[], list[dict]]]


def scored_images(dataset: Dataset, m: TaskModel) -> tuple[list[Image], str]:
    """The images ``m`` is scored on, and the rule that picked them. A detector: all. A
    segmenter: all where the dataset has label maps or does not know what its images show;
    else those showing one of its classes (a person segmenter on photos of fruit paints the
    fruit as "person" on the clean photo too, and pseudo ground truth would score that)."""
    if m.task != "segmentation" or dataset.labels is not None:
        return dataset.images, "every image"
    if dataset.shows is None:
        return dataset.images, "every image (what each shows is not known)"
    classes = [c for c in m.model.classes if c != "background"]
    scored = [
        im
        for im in dataset.images
        if any(model_class(c, classes) for c in dataset.shows.by_image[im.name])
    ]
    return scored, f"the images showing one of its classes ({dataset.shows.source})"


def cells(
    dataset: Dataset,
    conditions: list[Condition],
    models: list[TaskModel],
    images: ConditionImages,
    cache: Cache,
) -> Iterator[Cell]:
    """(cache key, computation) of every scored cell. A key hashes everything the cell reads:
    the condition's and the dataset's images' keys, the model's fingerprint, the dataset, the
    ground truth (kind, annotation or label-map bytes, pseudo-GT threshold) and the version
    of the scoring code (metric settings included). No clean image, no restoration cell."""
    gt = [im.key for im in dataset.images]
    code = scoring_code()
    truth = {
        task: dataset.ground_truth_identity(task)
        for task in ("restoration", *{m.task for m in models})
    }

    def key(cell: str, c: Condition, model: str, task: str, scored: list[Image]) -> str:
        inputs = [images.key(im, c) for im in dataset.images]
        names = [im.name for im in scored]
        return content_hash(code, cell, inputs, gt, model, dataset.name, truth[task], names)

    for c in conditions if dataset.has_clean else []:
        if c != CLEAN:
            yield (
                key(f"restoration:{c.label}", c, "", "restoration", dataset.images),
                lambda c=c: restoration_records(dataset, c, images),
            )
    for m in models:
        scored = scored_images(dataset, m)[0]
        for c in conditions if scored else []:
            yield (
                key(f"{m.task}:{m.name}:{c.label}", c, m.fingerprint, m.task, scored),
                lambda m=m, c=c, s=scored: task_records(dataset, m, c, images, cache, s),
            )


def restoration_records(dataset: Dataset, c: Condition, images: ConditionImages) -> list[dict]:
    pairs = [(images.get(im, c), images.get(im, CLEAN)) for im in dataset.images]
    counts = resample_counts(len(dataset.images))
    return [
        {
            **record(
                dataset,
                c,
                "restoration",
                "Y channel",
                k,
                float(np.mean(v)),
                RESTORATION_UNITS[k],
                "clean image",
            ),
            "per_image": v,
            "replicates": mean_replicates(v, counts).tolist(),
        }
        for k, v in per_image_scores(pairs).items()
    ]


def box_ground_truth(dataset: Dataset, classes: list[str]) -> list[list[dict]]:
    """The dataset's boxes as mmdet ground truth for a detector with ``classes``: categories
    matched by name (VOC's ``motorbike`` is COCO's ``motorcycle``); others left out."""
    gts = []
    for im in dataset.images:
        kept = [(a, model_class(a["category"], classes)) for a in dataset.boxes.by_image[im.name]]
        gts.append(
            [
                {
                    "bbox": a["bbox"],
                    "bbox_label": classes.index(name),
                    "ignore_flag": a["ignore_flag"],
                }
                for a, name in kept
                if name
            ]
        )
    return gts


def unmapped_classes(dataset: Dataset, classes: list[str]) -> Counter:
    """Boxes per annotation category the detector has no class for."""
    return Counter(
        a["category"]
        for boxes in (dataset.boxes.by_image if dataset.boxes else {}).values()
        for a in boxes
        if model_class(a["category"], classes) is None
    )


def task_records(
    dataset: Dataset,
    m: TaskModel,
    c: Condition,
    images: ConditionImages,
    cache: Cache,
    scored: list[Image],
) -> list[dict]:
    from downstream.scoring import (
        detection_scores,
        pseudo_detection_gt,
        segmentation_scores,
        voc_detection_scores,
    )

    def predictions(condition: Condition) -> list[dict]:
        return [
            predict(m, images.key(im, condition), lambda im=im: images.get(im, condition), cache)
            for im in scored
        ]

    preds = predictions(c)
    counts = resample_counts(len(scored))
    classes = m.model.classes
    if m.task == "detection":
        if dataset.boxes is not None:
            gts = box_ground_truth(dataset, classes)
        else:
            gts = [
                pseudo_detection_gt(p["bboxes"], p["scores"], p["labels"])
                for p in predictions(CLEAN)
            ]
        if dataset.boxes is not None and dataset.boxes.metric.startswith("voc"):
            mode = "area" if dataset.boxes.metric == "voc-area" else "11points"
            scores, replicates = voc_detection_scores(preds, gts, classes, mode, counts)
        else:
            shapes = [im.shape for im in dataset.images]
            scores, replicates = detection_scores(preds, gts, shapes, classes, counts)
    else:
        if dataset.labels is not None:
            gts = [
                read_label_map(dataset.labels.by_image[im.name], dataset.labels.reader)
                for im in scored
            ]
        else:
            gts = [p["labels"].astype(np.int64) for p in predictions(CLEAN)]
        scores, replicates = segmentation_scores(
            [p["labels"].astype(np.int64) for p in preds], gts, classes, counts
        )
    gt_kind = dataset.ground_truth(m.task)
    records = [
        record(dataset, c, m.task, m.name, k, float(v), "%", gt_kind) for k, v in scores.items()
    ]
    for r in records:
        if r["metric"] in replicates:
            r["replicates"] = replicates[r["metric"]].tolist()
    return records
