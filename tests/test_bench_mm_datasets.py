"""`rdmc bench` on datasets MMDetection / MMSegmentation build from a dataset config: images
and ground truth from their loaders, in miniature trees made here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from downstream.annotations import MMSEG_READER, read_label_map
from downstream.bench import BenchError, run_bench
from downstream.datasets import load_dataset
from rdmc.data.samples import sample_image
from rdmc.imageio import write_image

PHOTOS = ("grace_hopper", "coffee")  # YOLOv3-tiny finds a person and a tie, and a cup or so


def suite_file(tmp_path: Path, dataset: dict, **models) -> Path:
    suite = {"name": "mm", "dataset": dataset, "rain": [{"preset": "heavy", "severities": [3]}],
             "derainers": ["identity"], **models}  # fmt: skip
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def test_an_mmdet_coco_dataset_brings_its_images_and_boxes(tmp_path):
    from downstream.detection import Detector

    detector = Detector("yolov3-tiny")
    coco = {"images": [], "annotations": [], "categories": []}
    names = []
    for i, name in enumerate(PHOTOS, 1):
        clean = sample_image(name)
        write_image(tmp_path / "coco" / "images" / f"{name}.png", clean)
        h, w = clean.shape[:2]
        coco["images"].append({"id": i, "file_name": f"{name}.png", "width": w, "height": h})
        found = detector(clean)
        for box, label in zip(found.bboxes[found.scores >= 0.3], found.labels[found.scores >= 0.3],
                              strict=True):  # fmt: skip
            category = detector.classes[label]
            names += [] if category in names else [category]
            x1, y1, x2, y2 = (float(v) for v in box)
            coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": i,
                                        "category_id": names.index(category) + 1, "iscrowd": 0,
                                        "bbox": [x1, y1, x2 - x1, y2 - y1],
                                        "area": (x2 - x1) * (y2 - y1)})  # fmt: skip
    coco["categories"] = [{"id": k + 1, "name": n} for k, n in enumerate(names)]
    (tmp_path / "coco" / "ann.json").write_text(json.dumps(coco))
    config = {"type": "CocoDataset", "data_root": str(tmp_path / "coco"), "ann_file": "ann.json",
              "data_prefix": {"img": "images/"}}  # fmt: skip
    dataset = load_dataset({"type": "mmdet", "dataset": config})
    assert [im.name for im in dataset.images] == [f"{n}.png" for n in PHOTOS]
    assert sum(len(b) for b in dataset.boxes.by_image.values()) == len(coco["annotations"]) > 0
    suite = suite_file(tmp_path, {"type": "mmdet", "dataset": config}, detectors=["yolov3-tiny"])
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    (clean,) = [r for r in records if (r["condition"], r["metric"]) == ("clean", "mAP")]
    assert clean["value"] == pytest.approx(100.0)  # the detector's own boxes, read by mmdet
    assert clean["gt"] == "CocoDataset annotations"


def test_an_mmdet_voc_dataset_is_scored_by_vocmetric(tmp_path):
    """A VOCDataset config: boxes from mmdet's XML reader, mAP by VOCMetric (IoU 0.5)."""
    from downstream.detection import Detector
    from rdmc.imageio import read_image

    detector = Detector("yolov3-tiny")
    voc = tmp_path / "VOCdevkit" / "VOC2007"
    photos = ("basketball1", "friends")  # a person; dogs and cats: classes VOC has
    for name in photos:
        write_image(voc / "JPEGImages" / f"{name}.jpg", sample_image(name))
        image = read_image(voc / "JPEGImages" / f"{name}.jpg")
        found = detector(image)
        objects = "".join(
            f"<object><name>{detector.classes[label]}</name><difficult>0</difficult><bndbox>"
            f"<xmin>{x1 + 1:.0f}"
            f"</xmin><ymin>{y1 + 1:.0f}</ymin><xmax>{x2 + 1:.0f}</xmax><ymax>{y2 + 1:.0f}</ymax>"
            "</bndbox></object>"
            for (x1, y1, x2, y2), label, score in zip(found.bboxes, found.labels, found.scores,
                                                      strict=True)
            if score >= 0.3
        )  # fmt: skip
        h, w = image.shape[:2]
        (voc / "Annotations").mkdir(parents=True, exist_ok=True)
        (voc / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename><size><width>{w}</width><height>{h}"
            f"</height><depth>3</depth></size>{objects}</annotation>"
        )
    (voc / "ImageSets" / "Main").mkdir(parents=True)
    (voc / "ImageSets" / "Main" / "test.txt").write_text("\n".join(photos) + "\n")
    config = {"type": "VOCDataset", "data_root": str(tmp_path / "VOCdevkit"),
              "ann_file": "VOC2007/ImageSets/Main/test.txt",
              "data_prefix": {"sub_data_root": "VOC2007/"}}  # fmt: skip
    dataset = load_dataset({"type": "mmdet", "dataset": config})
    assert (
        dataset.boxes.metric == "voc" and sum(len(b) for b in dataset.boxes.by_image.values()) > 0
    )
    suite = suite_file(tmp_path, {"type": "mmdet", "dataset": config}, detectors=["yolov3-tiny"])
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    clean = {r["metric"]: r["value"] for r in records if r["condition"] == "clean"}
    assert clean["mAP"] == pytest.approx(100.0)
    assert [clean[f"AP[{c}]"] for c in ("person", "dog", "cat")] == pytest.approx([100.0] * 3)
    assert "mAP50" not in clean  # COCO's metrics are not computed on VOC annotations
    rainy = [r for r in records if (r["condition"], r["metric"]) == ("rainy", "mAP")]
    assert rainy[0]["gt"] == "VOCDataset annotations" and len(rainy[0]["ci95"]) == 2

    # an edit to the XML files alone (the image list unchanged) re-keys every detection cell
    before = json.loads((tmp_path / "out" / "results.json").read_text())["meta"]["dataset"]
    moved = "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
    for name in photos:
        xml = voc / "Annotations" / f"{name}.xml"
        xml.write_text(re.sub("<bndbox>.*?</bndbox>", moved, xml.read_text()))
    edited = json.loads(
        run_bench(suite, tmp_path / "edited", progress=False, cache_dir=tmp_path / "c").read_text()
    )
    clean = {r["metric"]: r["value"] for r in edited["records"] if r["condition"] == "clean"}
    assert clean["mAP"] < 1.0
    assert edited["meta"]["dataset"]["sha256"] != before["sha256"]


def test_an_mmseg_dataset_brings_label_maps_read_by_its_loader(tmp_path):
    from downstream.segmentation import Segmenter

    segmenter = Segmenter("selfie-segmentation")
    for name in PHOTOS:
        clean = sample_image(name)
        write_image(tmp_path / "seg" / "img" / f"{name}.png", clean)
        write_image(tmp_path / "seg" / "ann" / f"{name}.png", segmenter(clean).astype(np.uint8))
    config = {"type": "BaseSegDataset", "data_root": str(tmp_path / "seg"),
              "data_prefix": {"img_path": "img", "seg_map_path": "ann"}, "img_suffix": ".png",
              "seg_map_suffix": ".png", "metainfo": {"classes": ["background", "person"]}}  # fmt: skip
    suite = suite_file(tmp_path, {"type": "mmseg", "dataset": config},
                       segmenters=["selfie-segmentation"])  # fmt: skip
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    (clean,) = [r for r in records if (r["condition"], r["metric"]) == ("clean", "mIoU")]
    assert clean["value"] == pytest.approx(100.0) and clean["gt"] == "label maps"


def test_reduce_zero_label_is_applied_as_mmseg_applies_it(tmp_path):
    write_image(tmp_path / "a.png", np.array([[0, 1, 2], [2, 1, 0]], np.uint8))
    settings = json.dumps({"reduce_zero_label": True, "label_map": None}, sort_keys=True)
    assert read_label_map(tmp_path / "a.png", MMSEG_READER + settings).tolist() == [
        [255, 0, 1],
        [1, 0, 255],
    ]


def test_a_config_mmdet_cannot_build_is_one_line(tmp_path):
    suite = suite_file(tmp_path, {"type": "mmdet", "dataset": {"type": "CocoDataset",
                                                             "ann_file": "nope.json"}})  # fmt: skip
    with pytest.raises(BenchError, match="dataset: mmdet cannot build 'CocoDataset'") as error:
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c")
    assert "\n" not in str(error.value)
