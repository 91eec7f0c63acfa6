"""The downstream models on images: detect, segment."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rdmc.cli.common import (
    CommandError,
    add_inputs,
    add_max_pixels,
    add_model_choice,
    add_overwrite,
    check_model_args,
    check_outputs,
    collect,
    for_each_image,
    to_rgb,
)


def add_detect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="run a COCO detector (MMDetection) on images",
        description="Runs the embedded YOLOv3-tiny (COCO) or any mmdet config + checkpoint.",
    )
    add_inputs(p)
    add_model_choice(p, "detector", "yolov3-tiny")
    p.add_argument("--score-thr", type=float, default=0.3, metavar="T")
    p.add_argument("--json", action="store_true", help="print a JSON list of detections")
    add_max_pixels(p)
    p.set_defaults(func=_run_detect)


def _run_detect(args: argparse.Namespace) -> int:
    from downstream.detection import Detector
    from rdmc.imageio import read_image

    check_model_args(args, args.detector)
    if not 0 <= args.score_thr <= 1:
        raise CommandError(f"--score-thr must be in [0, 1], got {args.score_thr}")
    images, problems = collect(args.inputs)
    detector = Detector(args.detector, args.config, args.checkpoint, args.device)
    records = []

    def detect(path: Path) -> None:
        found = detector(to_rgb(read_image(path)))
        for box, score, label in zip(found.bboxes, found.scores, found.labels, strict=True):
            if score >= args.score_thr:
                x1, y1, x2, y2 = (float(v) for v in box)
                label_name = detector.classes[int(label)]
                bbox = [x1, y1, x2 - x1, y2 - y1]
                records.append(
                    {"file": str(path), "bbox": bbox, "score": float(score), "label": label_name}
                )

    _, failed = for_each_image(images, detect, problems)
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        for r in records:
            x, y, w, h = r["bbox"]
            print(
                f"{r['file']}  {r['label']:<14} {r['score']:.3f}  "
                f"x={x:.0f} y={y:.0f} w={w:.0f} h={h:.0f}"
            )
    return 1 if failed else 0


def add_segment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="run a semantic segmenter (MMSegmentation) on images",
        description="Runs the embedded MediaPipe selfie segmentation (0 = background, "
        "1 = person) or any mmseg config + checkpoint; writes one label-map PNG per image "
        "(pixel value = class index) under the input's name.",
    )
    add_inputs(p)
    add_model_choice(p, "segmenter", "selfie-segmentation")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for the label maps")
    add_max_pixels(p)
    add_overwrite(p)
    p.set_defaults(func=_run_segment)


def _run_segment(args: argparse.Namespace) -> int:
    import numpy as np

    from downstream.segmentation import Segmenter
    from rdmc.imageio import read_image, write_image

    check_model_args(args, args.segmenter)
    images, problems = collect(args.inputs)
    check_outputs([(p, args.output / f"{p.stem}.png") for p in images], args.overwrite)
    segmenter = Segmenter(args.segmenter, args.config, args.checkpoint, args.device)

    def segment(path: Path) -> None:
        labels = segmenter(to_rgb(read_image(path)))
        write_image(args.output / f"{path.stem}.png", labels.astype(np.uint8))

    written, failed = for_each_image(images, segment, problems)
    classes = ", ".join(f"{i} = {c}" for i, c in enumerate(segmenter.classes))
    print(f"wrote {written} label map(s) to {args.output} ({classes})")
    return 1 if failed or not written else 0
