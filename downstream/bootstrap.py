"""Bootstrap replicates of the downstream metrics (see downstream.results.intervals for the
resamples, intervals and verdicts).

- mIoU: mmseg's IoUMetric totals of the resampled images' areas.
- VOC mAP: mmdet matches each image once (tpfp_default); a resample weights the matches.
- COCO mAP: pycocotools matches each image once (COCOeval.evaluate); a resample
  re-accumulates those matches, weighting each image by how often it was drawn.
  ``_weighted_precision`` is pycocotools' accumulate with image weights, vectorised
  over the resamples (1000 resamples of a cell in about a second instead of about
  5 s through COCOeval.accumulate); a test checks it against accumulate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def iou_replicates(
    areas: Sequence[Sequence], counts: np.ndarray, classes: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """mIoU and per-class IoU (``IoU[name]``) in % of each resample from per-image IoUMetric
    results (intersection, union, prediction and label areas per class), through mmseg's own
    total-to-metric step; a class absent from a resample is NaN there."""
    import torch
    from mmseg.evaluation import IoUMetric

    totals = [np.stack([np.asarray(r[k], np.float64) for r in areas]) for k in range(4)]
    per_class = np.empty((len(counts), totals[0].shape[1]))
    for i, row in enumerate(counts):
        summed = [torch.from_numpy(row @ t) for t in totals]
        per_class[i] = IoUMetric.total_area_to_metrics(*summed, ["mIoU"])["IoU"]
    out = {"mIoU": np.nanmean(per_class, axis=1) * 100}
    for c, name in enumerate(classes):
        out[f"IoU[{name}]"] = per_class[:, c] * 100
    return out


def coco_replicates(
    coco_eval, counts: np.ndarray, classes: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """mAP, mAP50, mAP75 and per-class AP (``AP[name]``, for the ``classes`` named in
    category order) in % of each resample, from a COCOeval that has run evaluate()."""
    p = coco_eval.params
    n_img, n_area = len(p.imgIds), len(p.areaRng)
    max_det = p.maxDets[-1]
    precisions = {}  # category index with ground truth -> (resamples, T, R) precision
    for k in range(len(p.catIds)):
        evals = [coco_eval.evalImgs[k * n_area * n_img + i] for i in range(n_img)]  # area "all"
        curve = _weighted_precision(evals, counts, p.iouThrs, p.recThrs, max_det)
        if curve is not None:
            precisions[k] = curve
    if not precisions:
        nan = np.full(len(counts), np.nan)
        return {"mAP": nan, "mAP50": nan, "mAP75": nan}
    stacked = np.stack(list(precisions.values()), axis=-1)  # resamples, T, R, K; -1: no gt
    valid = stacked > -1

    def mean_ap(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        axes = tuple(range(1, values.ndim))
        total = np.where(mask, values, 0).sum(axis=axes)
        number = mask.sum(axis=axes)
        return np.where(number > 0, total / np.maximum(number, 1) * 100, np.nan)

    t50 = int(np.argmin(np.abs(p.iouThrs - 0.5)))
    t75 = int(np.argmin(np.abs(p.iouThrs - 0.75)))
    out = {
        "mAP": mean_ap(stacked, valid),
        "mAP50": mean_ap(stacked[:, t50], valid[:, t50]),
        "mAP75": mean_ap(stacked[:, t75], valid[:, t75]),
    }
    for k, curve in precisions.items():
        if k < len(classes):
            out[f"AP[{classes[k]}]"] = mean_ap(curve, curve > -1)
    return out


def _weighted_precision(
    evals: list, counts: np.ndarray, iou_thrs: np.ndarray, rec_thrs: np.ndarray, max_det: int
) -> np.ndarray | None:
    """pycocotools' accumulate for one category and area range, each image weighted by its
    count in each resample: (resamples, T, R) precision, -1 where a resample has no gt."""
    present = [(i, e) for i, e in enumerate(evals) if e is not None]
    if not present:
        return None
    scores = np.concatenate([e["dtScores"][:max_det] for _, e in present])
    image = np.concatenate([np.full(len(e["dtScores"][:max_det]), i) for i, e in present])
    matched = np.concatenate([e["dtMatches"][:, :max_det] for _, e in present], axis=1)
    ignored = np.concatenate([e["dtIgnore"][:, :max_det] for _, e in present], axis=1)
    gt_real = np.zeros(len(evals))
    for i, e in present:
        gt_real[i] = np.count_nonzero(np.logical_not(e["gtIgnore"]))
    if not gt_real.any():
        return None  # no ground truth: pycocotools leaves the class out (-1)
    npig = counts @ gt_real  # (resamples,)
    order = np.argsort(-scores, kind="mergesort")
    weights = counts[:, image[order]].astype(np.float64)  # (resamples, D)
    tps = np.logical_and(matched[:, order], np.logical_not(ignored[:, order]))
    fps = np.logical_and(np.logical_not(matched[:, order]), np.logical_not(ignored[:, order]))
    # Zero-weight detections (images not drawn) repeat the previous point of the curve and
    # change neither the envelope nor where a recall threshold is first reached.
    out = np.full((len(counts), len(iou_thrs), len(rec_thrs)), -1.0)
    has_gt = npig > 0
    if scores.size == 0:
        out[has_gt] = 0.0
        return out
    for t in range(len(iou_thrs)):
        tp = np.cumsum(weights * tps[t], axis=1)
        fp = np.cumsum(weights * fps[t], axis=1)
        recall = tp / np.maximum(npig, 1)[:, None]
        precision = tp / (fp + tp + np.spacing(1))
        envelope = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
        first = _searchsorted_rows(recall, rec_thrs)
        inside = first < recall.shape[1]
        read = np.take_along_axis(envelope, np.minimum(first, recall.shape[1] - 1), axis=1)
        out[has_gt, t] = np.where(inside, read, 0.0)[has_gt]
    return out


def _searchsorted_rows(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.searchsorted(row, values, side="left")`` (how many of the row's entries are below
    each value) for every row, exactly and in a few vectorised calls: each entry is placed
    among the sorted ``values`` by one searchsorted on real numbers; an entry is below value
    k exactly when at most k values are <= it; counting those per row answers every k."""
    n, k = rows.shape[0], len(values)
    placed = np.searchsorted(values, rows, side="right")  # values <= entry, 0..k
    flat = (np.arange(n)[:, None] * (k + 1) + placed).ravel()
    per_place = np.bincount(flat, minlength=n * (k + 1)).reshape(n, k + 1)
    return np.cumsum(per_place, axis=1)[:, :k]


def voc_replicates(
    dets: Sequence[list[np.ndarray]],
    gts: Sequence[dict],
    classes: Sequence[str],
    counts: np.ndarray,
    eval_mode: str = "11points",
) -> dict[str, np.ndarray]:
    """mAP and per-class AP (``AP[name]``) in % of each resample, as mmdet's VOCMetric
    computes them (eval_map at IoU 0.5, legacy coordinates): each image's detections are
    matched once by mmdet's tpfp_default, a resample weights them by the image's count, and
    mmdet's average_precision reads every resample's curve at once. ``dets[i][c]``: image
    i's (n, 5) boxes and scores of class c; ``gts[i]``: VOCMetric's annotation dict."""
    from mmdet.evaluation.functional.mean_ap import average_precision, tpfp_default

    per_class = np.full((len(counts), len(classes)), np.nan)
    for c in range(len(classes)):
        boxes, matches, image = [], [], []
        n_gts = np.zeros(len(gts))
        for i, (det, gt) in enumerate(zip(dets, gts, strict=True)):
            own = gt["labels"] == c
            ignored = gt["bboxes_ignore"][gt["labels_ignore"] == c]
            tp, fp = tpfp_default(
                det[c], gt["bboxes"][own], ignored, 0.5, use_legacy_coordinate=True
            )
            boxes.append(det[c])
            matches.append(np.stack([tp[0], fp[0]]))
            image.append(np.full(len(det[c]), i))
            n_gts[i] = own.sum()
        n_gt = counts @ n_gts  # (resamples,)
        has_gt = n_gt > 0
        scores = np.vstack(boxes)[:, -1]
        order = np.argsort(-scores)  # as eval_map orders them
        weights = counts[:, np.concatenate(image)[order]].astype(np.float64)
        tp, fp = np.concatenate(matches, axis=1)[:, order]
        tp, fp = np.cumsum(weights * tp, axis=1), np.cumsum(weights * fp, axis=1)
        eps = np.finfo(np.float32).eps
        recalls = tp / np.maximum(n_gt, eps)[:, None]
        precisions = tp / np.maximum(tp + fp, eps)
        ap = average_precision(recalls, precisions, eval_mode) if len(scores) else 0.0
        per_class[has_gt, c] = np.broadcast_to(ap, len(counts))[has_gt]
    valid = ~np.isnan(per_class)
    number = valid.sum(axis=1)
    total = np.where(valid, per_class, 0).sum(axis=1)
    out = {"mAP": np.where(number > 0, total / np.maximum(number, 1) * 100, np.nan)}
    for c, name in enumerate(classes):
        out[f"AP[{name}]"] = per_class[:, c] * 100
    return out
