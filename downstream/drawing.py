"""Pictures for the report: detections and person masks drawn on an image."""

from __future__ import annotations

import cv2
import numpy as np

from downstream.scoring import PSEUDO_GT_SCORE

PANEL_WIDTH = 320
_BOX = (255, 200, 0)
_MASK = np.array([0, 160, 255], np.float32)


def draw_panel(
    rgb: np.ndarray,
    detections: dict | None,
    segmentation: dict | None,
    classes: list[str],
    width: int = PANEL_WIDTH,
) -> np.ndarray:
    """The image scaled to ``width``, the mask tinted, boxes above the pseudo-GT score drawn."""
    scale = width / rgb.shape[1]
    out = cv2.resize(rgb, (width, round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    if segmentation is not None:
        labels = cv2.resize(
            segmentation["labels"].astype(np.uint8),
            out.shape[1::-1],
            interpolation=cv2.INTER_NEAREST,
        )
        tinted = out.astype(np.float32)
        tinted[labels > 0] = 0.55 * tinted[labels > 0] + 0.45 * _MASK
        out = tinted.astype(np.uint8)
    if detections is not None:
        for box, score, label in zip(
            detections["bboxes"], detections["scores"], detections["labels"], strict=True
        ):
            if score < PSEUDO_GT_SCORE:
                continue
            x1, y1, x2, y2 = (int(round(v * scale)) for v in box)
            cv2.rectangle(out, (x1, y1), (x2, y2), _BOX, 2)
            text = f"{classes[int(label)] if classes else int(label)} {score:.2f}"
            cv2.putText(
                out, text, (x1 + 2, max(12, y1 + 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _BOX, 1
            )
    return np.ascontiguousarray(out)
