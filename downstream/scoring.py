"""Scores with the ecosystem's own metrics, and the derived robustness figures.

- Detection: MMDetection's CocoMetric (pycocotools) on bbox: mAP, mAP50, mAP75
  and per-class AP, reported in percent; boxes from Pascal VOC annotations by its
  VOCMetric instead: mAP at IoU 0.5 (11-point AP, VOC2012's area under the curve where
  the dataset says VOC2012) and per-class AP.
- Segmentation: MMSegmentation's IoUMetric: mIoU and per-class IoU, in percent.
- Without labels, ground truth is pseudo: the same model's predictions on the
  clean image (boxes scoring at least ``PSEUDO_GT_SCORE``; the label map as is).
- recovery = (m_derained - m_rainy) / (m_clean - m_rainy); where there is no clean image
  (real rain), change = m_derained - m_rainy instead;
  mPC = mean performance over the severities of a rain preset; rPC = mPC / P_clean
  (MMDetection's robustness benchmark, Michaelis et al. 2019).
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
from collections.abc import Sequence
from unittest import mock

import numpy as np
import torch

from downstream.bootstrap import coco_replicates, iou_replicates, voc_replicates

PSEUDO_GT_SCORE = 0.3


def _quiet() -> None:
    """The metrics log their tables through mmengine's logger; the runner prints its own."""
    from mmengine.logging import MMLogger

    MMLogger.get_current_instance().setLevel(logging.WARNING)


def pseudo_detection_gt(bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> list[dict]:
    keep = scores >= PSEUDO_GT_SCORE
    return [
        {"bbox": [float(v) for v in box], "bbox_label": int(label), "ignore_flag": 0}
        for box, label in zip(bboxes[keep], labels[keep], strict=True)
    ]


def detection_scores(
    predictions: Sequence[dict],
    ground_truth: Sequence[list[dict]],
    shapes: Sequence[tuple[int, int]],
    classes: Sequence[str],
    counts: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """COCO bbox metrics in percent, and their bootstrap replicates over the resamples
    ``counts`` (see downstream.bootstrap) when given. ``predictions[i]`` has bboxes (x1y1x2y2),
    scores, labels; ``ground_truth[i]`` is a list of {"bbox", "bbox_label", "ignore_flag"}."""
    metric, raw, matched = _coco_metric(predictions, ground_truth, shapes, classes)
    out = {
        "mAP": raw["bbox_mAP"] * 100,
        "mAP50": raw["bbox_mAP_50"] * 100,
        "mAP75": raw["bbox_mAP_75"] * 100,
    }
    for name in classes:
        value = raw.get(f"{name}_precision")
        if value is not None and not math.isnan(value):
            out[f"AP[{name}]"] = float(value) * 100
    if counts is None:
        return out, {}
    return out, coco_replicates(matched, counts, [classes[i] for i in metric.cat_ids])


def _coco_metric(
    predictions: Sequence[dict],
    ground_truth: Sequence[list[dict]],
    shapes: Sequence[tuple[int, int]],
    classes: Sequence[str],
) -> tuple[object, dict, object]:
    """mmdet's CocoMetric fed with the samples, what it computed, and the pycocotools
    COCOeval it matched the detections with (its per-image matches feed the bootstrap)."""
    from mmdet.evaluation import CocoMetric
    from mmdet.evaluation.metrics import coco_metric

    metric = CocoMetric(metric="bbox", classwise=True, prefix="det")
    metric.dataset_meta = {"classes": tuple(classes)}
    _quiet()
    samples = []
    for i, (pred, gt, shape) in enumerate(zip(predictions, ground_truth, shapes, strict=True)):
        samples.append(
            {
                "img_id": i,
                "ori_shape": shape,
                "instances": gt,
                "pred_instances": _prediction(pred),
            }
        )
    metric.process({}, samples)
    made: list = []

    class Kept(coco_metric.COCOeval):  # CocoMetric builds one and drops it; keep it
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    quiet = contextlib.redirect_stdout(io.StringIO())  # pycocotools prints its summary
    with mock.patch.object(coco_metric, "COCOeval", Kept), quiet:
        raw = metric.compute_metrics(metric.results)
    (matched,) = made
    return metric, raw, matched


def voc_detection_scores(
    predictions: Sequence[dict],
    ground_truth: Sequence[list[dict]],
    classes: Sequence[str],
    eval_mode: str = "11points",
    counts: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Pascal VOC mAP (IoU 0.5) and per-class AP in percent by mmdet's VOCMetric, and their
    bootstrap replicates over ``counts`` when given; arguments as detection_scores'."""
    from mmdet.evaluation import VOCMetric
    from mmdet.evaluation.metrics import voc_metric

    metric = VOCMetric(metric="mAP", eval_mode=eval_mode, prefix="det")
    metric.dataset_meta = {"classes": tuple(classes)}
    _quiet()
    samples = []
    for pred, gt in zip(predictions, ground_truth, strict=True):
        kept = [a for a in gt if not a["ignore_flag"]]
        ignored = [a for a in gt if a["ignore_flag"]]
        samples.append(
            {
                "gt_instances": _instances(kept),
                "ignored_instances": _instances(ignored),
                "pred_instances": _prediction(pred),
            }
        )
    metric.process({}, samples)
    per_class: list = []
    original = voc_metric.eval_map

    def eval_map(*args, **kwargs):  # in this process (mmdet's default forks four), and kept
        mean_ap, results = original(*args, **kwargs, nproc=1)
        per_class.extend(results)
        return mean_ap, results

    with mock.patch.object(voc_metric, "eval_map", eval_map):
        raw = metric.compute_metrics(metric.results)
    out = {"mAP": float(raw["mAP"]) * 100}
    for name, result in zip(classes, per_class, strict=True):
        if result["num_gts"] > 0:
            out[f"AP[{name}]"] = float(result["ap"]) * 100
    if counts is None:
        return out, {}
    dets = [result[1] for result in metric.results]
    gts = [result[0] for result in metric.results]
    return out, voc_replicates(dets, gts, classes, counts, eval_mode)


def _instances(boxes: list[dict]) -> dict[str, torch.Tensor]:
    bboxes = torch.tensor([a["bbox"] for a in boxes], dtype=torch.float32).reshape(-1, 4)
    labels = torch.tensor([a["bbox_label"] for a in boxes], dtype=torch.int64)
    return {"bboxes": bboxes, "labels": labels}


def _prediction(pred: dict) -> dict[str, torch.Tensor]:
    return {
        "bboxes": torch.as_tensor(pred["bboxes"], dtype=torch.float32).reshape(-1, 4),
        "scores": torch.as_tensor(pred["scores"], dtype=torch.float32),
        "labels": torch.as_tensor(pred["labels"], dtype=torch.int64),
    }


def segmentation_scores(
    predictions: Sequence[np.ndarray],
    ground_truth: Sequence[np.ndarray],
    classes: Sequence[str],
    counts: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """mIoU and per-class IoU in percent, by mmseg's IoUMetric (classes absent from both the
    prediction and the ground truth of every image are left out of the mean, as mmseg does),
    and mIoU's bootstrap replicates over the resamples ``counts`` when given."""
    from mmseg.evaluation import IoUMetric

    metric = IoUMetric(iou_metrics=["mIoU"], prefix="seg")
    metric.dataset_meta = {"classes": tuple(classes)}
    _quiet()
    samples = [
        {
            "pred_sem_seg": {"data": torch.as_tensor(pred)[None]},
            "gt_sem_seg": {"data": torch.as_tensor(gt)[None]},
        }
        for pred, gt in zip(predictions, ground_truth, strict=True)
    ]
    metric.process({}, samples)
    raw = metric.compute_metrics(metric.results)
    out = {"mIoU": float(raw["mIoU"])}
    areas = [sum(r[k] for r in metric.results) for k in range(2)]  # intersections, unions
    for i, name in enumerate(classes):
        union = float(areas[1][i])
        if union > 0:
            out[f"IoU[{name}]"] = float(areas[0][i]) / union * 100
    replicates = {} if counts is None else iou_replicates(metric.results, counts, classes)
    return out, replicates


def recovery(derained: float, rainy: float, clean: float) -> float | None:
    """Share of the performance lost to rain that deraining wins back (None if rain cost
    nothing)."""
    lost = clean - rainy
    return None if abs(lost) < 1e-9 else (derained - rainy) / lost


def mpc_rpc(per_severity: Sequence[float], clean: float) -> tuple[float, float | None]:
    mpc = float(np.mean(per_severity))
    return mpc, (mpc / clean if clean else None)


def derived_records(records: list[dict]) -> list[dict]:
    """From a run's records: recovery per derainer and rain setting (without a clean image:
    the change against rainy), and mPC / rPC per condition over each severity sweep of a
    preset (as MMDetection's robustness_eval does apart from its test run)."""
    from rdmc.choices import PRESETS

    main_metrics = {"detection": "mAP", "segmentation": "mIoU", "restoration": "PSNR"}
    table = {
        (r["task"], r["model"], r["metric"], r["condition"], r["rain"]): r
        for r in records
        if r["metric"] == main_metrics.get(r["task"])
    }
    derived = []
    for (task, model, metric, condition, rain), r in table.items():
        clean = table.get((task, model, metric, "clean", "none"))
        rainy = table.get((task, model, metric, "rainy", rain))
        if task == "restoration" or rainy is None or condition in ("clean", "rainy"):
            continue
        if clean is None:
            record = {**r, "metric": f"change({metric})", "value": r["value"] - rainy["value"]}
            derived.append(_with_replicates(record, np.subtract, r, rainy))
        else:
            value = recovery(r["value"], rainy["value"], clean["value"])
            record = {**r, "metric": f"recovery({metric})", "value": value, "unit": "1"}
            derived.append(_with_replicates(record, _recovery_replicates, r, rainy, clean))
    for task, model, metric, condition in sorted({k[:4] for k in table}):
        clean = table.get((task, model, metric, "clean", "none"))
        if task == "restoration" or condition == "clean" or clean is None:
            continue
        for preset in PRESETS:
            sweep = [
                r
                for k, r in table.items()
                if k[:4] == (task, model, metric, condition) and k[4].startswith(f"{preset}/")
            ]
            if len(sweep) > 1:
                mpc, rpc = mpc_rpc([r["value"] for r in sweep], clean["value"])
                base = {
                    **sweep[0],
                    "rain": f"{preset}/s1-5" if len(sweep) == 5 else f"{preset}/sweep",
                }
                base.pop("replicates", None)
                mpc_record = {**base, "metric": f"mPC({metric})", "value": mpc, "unit": "%"}
                rpc_record = {**base, "metric": f"rPC({metric})", "value": rpc, "unit": "1"}
                derived.append(_with_replicates(mpc_record, _mean_replicates, *sweep))
                derived.append(_with_replicates(rpc_record, _ratio_replicates, mpc_record, clean))
    return derived


def _with_replicates(record: dict, combine, *sources: dict) -> dict:
    """``record`` with replicates combined from its sources' (same resamples), where all have
    them; the result's non-finite replicates (division by no loss) are dropped later."""
    record.pop("replicates", None)
    if all("replicates" in s for s in sources):
        arrays = [np.asarray(s["replicates"], np.float64) for s in sources]
        with np.errstate(divide="ignore", invalid="ignore"):
            record["replicates"] = combine(*arrays).tolist()
    return record


def _recovery_replicates(derained: np.ndarray, rainy: np.ndarray, clean: np.ndarray):
    return (derained - rainy) / (clean - rainy)


def _mean_replicates(*sweep: np.ndarray):
    return np.mean(sweep, axis=0)


def _ratio_replicates(mpc: np.ndarray, clean: np.ndarray):
    return mpc / clean
