"""Bootstrap intervals: a hand-computed case, pycocotools and mmseg agreement, verdicts."""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest

from downstream.results.intervals import interval, mean_replicates, resample_counts, verdict
from downstream.results.records import add_intervals
from downstream.scoring import (
    _coco_metric,
    detection_scores,
    segmentation_scores,
    voc_detection_scores,
)


def test_resamples_are_seeded_and_draw_every_image_count_times():
    counts = resample_counts(7)
    assert counts.shape == (1000, 7)
    assert (counts.sum(axis=1) == 7).all()
    assert np.array_equal(counts, resample_counts(7))
    assert not np.array_equal(counts[0], counts[1])


def test_mean_replicates_and_interval_by_hand():
    # two images scoring 0 and 10: a resample draws (a, a), (a, b) or (b, b)
    counts = np.array([[2, 0], [1, 1], [1, 1], [0, 2]])
    assert mean_replicates([0.0, 10.0], counts).tolist() == [0.0, 5.0, 5.0, 10.0]
    # numpy's linear percentile of [0, 5, 5, 10]: 2.5% -> 0.375, 97.5% -> 9.625
    assert interval(np.array([0.0, 5.0, 5.0, 10.0])) == pytest.approx([0.375, 9.625])
    assert interval(np.array([np.inf, np.nan])) is None


def test_verdicts_of_paired_differences():
    assert verdict(np.linspace(0.1, 1.0, 100))[1] == "better"
    assert verdict(-np.linspace(0.1, 1.0, 100))[1] == "worse"
    assert verdict(np.linspace(-1.0, 1.0, 100))[1] == "no difference"


def _detection_case(seed: int = 0, n: int = 12):
    rng = np.random.default_rng(seed)
    classes = ("person", "car", "dog")
    gts, preds = [], []
    for _ in range(n):
        boxes = rng.uniform(0, 200, (rng.integers(0, 4), 2))
        boxes = np.concatenate([boxes, boxes + rng.uniform(20, 80, boxes.shape)], axis=1)
        labels = rng.integers(0, len(classes), len(boxes))
        gts.append([{"bbox": b.tolist(), "bbox_label": int(lab), "ignore_flag": 0}
                    for b, lab in zip(boxes, labels, strict=True)])  # fmt: skip
        jitter = boxes + rng.normal(0, 6, boxes.shape)
        extra = rng.uniform(0, 250, (rng.integers(0, 3), 4))
        extra[:, 2:] = extra[:, :2] + 30
        all_boxes = np.concatenate([jitter, extra]).astype(np.float32)
        preds.append({
            "bboxes": all_boxes,
            "scores": rng.uniform(0.05, 1.0, len(all_boxes)).astype(np.float32),
            "labels": np.concatenate([labels, rng.integers(0, 3, len(extra))]).astype(np.int64),
        })  # fmt: skip
    return preds, gts, [(300, 300)] * n, classes


def _accumulate_on_resample(coco_eval, row: np.ndarray) -> tuple[float, float]:
    """pycocotools' own accumulate + summarize on the images of one resample (duplicates as
    distinct images): the reference the vectorised replicates must equal."""
    from mmdet.datasets.api_wrappers import COCOeval

    p = coco_eval.params
    n, areas = len(p.imgIds), len(p.areaRng)
    boot = COCOeval()
    boot.params = copy.deepcopy(p)
    boot.params.imgIds = list(range(int(row.sum())))
    boot._paramsEval = copy.deepcopy(boot.params)
    drawn = np.repeat(np.arange(n), row)
    boot.evalImgs = [coco_eval.evalImgs[k * areas * n + a * n + i]
                     for k in range(len(p.catIds)) for a in range(areas) for i in drawn]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        boot.accumulate()
        boot.summarize()
    return boot.stats[0] * 100, boot.stats[1] * 100


def test_coco_replicates_equal_pycocotools_on_each_resample():
    preds, gts, shapes, classes = _detection_case()
    counts = resample_counts(len(preds), resamples=25)
    counts[0] = 1  # the identity resample: the point estimate itself
    scores, replicates = detection_scores(preds, gts, shapes, classes, counts)
    per_class = [k for k in scores if k.startswith("AP[")]
    assert per_class and set(per_class) <= set(replicates)
    for metric in ("mAP", "mAP50", "mAP75", *per_class):  # mmdet rounds to 0.1 points
        assert replicates[metric][0] == pytest.approx(scores[metric], abs=0.05), metric
    coco_eval = _coco_metric(preds, gts, shapes, classes)[2]
    for row, ap, ap50 in zip(counts, replicates["mAP"], replicates["mAP50"], strict=True):
        assert (ap, ap50) == pytest.approx(_accumulate_on_resample(coco_eval, row), abs=1e-9)


@pytest.mark.parametrize("mode", ["11points", "area"])
def test_voc_replicates_equal_vocmetric_on_each_resample(mode):
    """VOC mAP per resample equals mmdet's VOCMetric on the drawn images (duplicates as
    distinct images); difficult (ignored) boxes neither count nor penalise."""
    preds, gts, _, classes = _detection_case(seed=3)
    for gt in gts[::4]:
        for box in gt[:1]:
            box["ignore_flag"] = 1
    counts = resample_counts(len(preds), resamples=12)
    counts[0] = 1
    scores, replicates = voc_detection_scores(preds, gts, classes, mode, counts)
    assert [k for k in scores if k.startswith("AP[")] == [f"AP[{c}]" for c in classes]
    for row, value in zip(counts, replicates["mAP"], strict=True):
        drawn = np.repeat(np.arange(len(preds)), row)
        again, _ = voc_detection_scores([preds[i] for i in drawn], [gts[i] for i in drawn],
                                        classes, mode)  # fmt: skip
        assert value == pytest.approx(again["mAP"], abs=1e-4)
    assert replicates["mAP"][0] == pytest.approx(scores["mAP"], abs=1e-4)
    for name in classes:
        assert replicates[f"AP[{name}]"][0] == pytest.approx(scores[f"AP[{name}]"], abs=1e-4)
    perfect = [{"bboxes": np.array([a["bbox"] for a in gt], np.float32).reshape(-1, 4),
                "scores": np.ones(len(gt), np.float32),
                "labels": np.array([a["bbox_label"] for a in gt], np.int64)} for gt in gts]  # fmt: skip
    assert voc_detection_scores(perfect, gts, classes, mode)[0]["mAP"] == pytest.approx(100)


def test_iou_replicates_equal_mmseg_on_the_identity_resample():
    rng = np.random.default_rng(1)
    gts = [rng.integers(0, 3, (16, 16)) for _ in range(5)]
    preds = [np.where(rng.random(g.shape) < 0.7, g, rng.integers(0, 3, g.shape)) for g in gts]
    counts = np.vstack([np.ones(5, np.int64), resample_counts(5, resamples=10)])
    scores, replicates = segmentation_scores(preds, gts, ("a", "b", "c"), counts)
    assert replicates["mIoU"][0] == pytest.approx(scores["mIoU"], abs=0.005)  # mmseg rounds
    for name in ("a", "b", "c"):
        assert replicates[f"IoU[{name}]"][0] == pytest.approx(scores[f"IoU[{name}]"], abs=1e-6)
    for row, value in zip(counts[1:], replicates["mIoU"][1:], strict=True):
        drawn = np.repeat(np.arange(5), row)
        again, _ = segmentation_scores(
            [preds[i] for i in drawn], [gts[i] for i in drawn], ("a", "b", "c")
        )
        assert value == pytest.approx(again["mIoU"], abs=0.005)


def test_add_intervals_gives_paired_verdicts_against_rainy():
    counts = resample_counts(6)
    rainy_images = [10.0, 12.0, 11.0, 13.0, 9.0, 12.0]
    better = [v + 2.0 for v in rainy_images]

    def record(condition, values):
        return {"dataset": "d", "task": "restoration", "model": "Y channel", "metric": "PSNR",
                "rain": "heavy/s3", "condition": condition, "value": float(np.mean(values)),
                "replicates": mean_replicates(values, counts).tolist()}  # fmt: skip

    records = [record("rainy", rainy_images), record("mine", better), record("same", rainy_images)]
    add_intervals(records)
    for r in records:
        assert r["ci95"][0] <= r["value"] <= r["ci95"][1]
    assert records[1]["vs_rainy"]["verdict"] == "better"
    assert records[1]["vs_rainy"]["difference"] == pytest.approx(2.0)
    assert records[2]["vs_rainy"]["verdict"] == "no difference"
    assert "vs_rainy" not in records[0]
