"""The embedded YOLOv3-tiny against OpenCV's Darknet runtime; any mmdet config; `rdmc detect`."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from downstream.checkpoints import DownstreamModelError
from downstream.detection import Detector
from rdmc.cli import main
from rdmc.data.samples import load_manifest, sample_image
from rdmc.imageio import write_image
from rdmc.weights import resolve_weights

THR = 0.25  # OpenCV's Darknet layer zeroes class scores below 0.2; compare clearly above it
MARGIN = 0.02


@pytest.fixture(scope="module", params=["yolov3-tiny", "yolov4-tiny"])
def detector(request):
    return Detector(request.param)


@functools.cache
def _opencv_net(name: str):
    return cv2.dnn.readNetFromDarknet(
        str(resolve_weights(f"{name}-cfg")), str(resolve_weights(f"{name}-weights"))
    )


def opencv_darknet(
    rgb: np.ndarray, name: str = "yolov3-tiny"
) -> list[tuple[np.ndarray, float, int]]:
    net = _opencv_net(name)
    net.setInput(cv2.dnn.blobFromImage(rgb, 1 / 255.0, (416, 416), swapRB=False, crop=False))
    h, w = rgb.shape[:2]
    boxes, scores, labels = [], [], []
    for out in net.forward(net.getUnconnectedOutLayersNames()):
        for row in out:  # every class above the threshold, as Darknet and mmdet's head keep
            for label in np.flatnonzero(row[5:] >= THR - MARGIN):
                cx, cy, bw, bh = row[:4] * [w, h, w, h]
                boxes.append([cx - bw / 2, cy - bh / 2, bw, bh])
                scores.append(float(row[5 + label]))
                labels.append(int(label))
    found = []
    for label in set(labels):  # class-wise NMS, as mmdet's batched NMS
        idx = [i for i, lab in enumerate(labels) if lab == label]
        keep = cv2.dnn.NMSBoxes(
            [boxes[i] for i in idx], [scores[i] for i in idx], THR - MARGIN, 0.45
        )
        for k in np.array(keep).flatten():
            x, y, bw, bh = boxes[idx[k]]
            found.append((np.array([x, y, x + bw, y + bh]), scores[idx[k]], label))
    return found


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def has_match(box, score, label, others) -> bool:
    return any(
        lab == label and iou(box, b) >= 0.9 and abs(score - s) <= MARGIN for b, s, lab in others
    )


def test_embedded_yolos_match_opencv_darknet(detector):
    """Channels-last (how the embedded detectors run) keeps OpenCV's boxes: every box above
    0.25 has a twin of the same class, IoU >= 0.9 and score within 0.02, both ways."""
    first_conv = next(m for m in detector.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert first_conv.weight.is_contiguous(memory_format=torch.channels_last)
    compared = 0
    for entry in [e for e in load_manifest()["images"] if e["split"] == "test"]:
        rgb = sample_image(entry["name"])
        ours = detector(rgb)
        mine = [(b, float(s), int(lab)) for b, s, lab in zip(ours.bboxes, ours.scores, ours.labels, strict=True)
                if s >= THR - MARGIN]  # fmt: skip
        reference = opencv_darknet(rgb, detector.name)
        for box, score, label in reference:
            if score >= THR:
                assert has_match(box, score, label, mine), (entry["name"], label, score)
                compared += 1
        for box, score, label in mine:
            if score >= THR:
                assert has_match(box, score, label, reference), (entry["name"], label, score)
    assert compared >= 5, "too few detections to compare"


def test_any_mmdet_config_with_a_local_checkpoint(tmp_path, photos):
    """An mmdet model-zoo config (RTMDet-tiny, shipped with mmdet) runs unchanged."""
    import mmdet
    from mmdet.apis import init_detector

    config = Path(mmdet.__file__).parent / ".mim/configs/rtmdet/rtmdet_tiny_8xb32-300e_coco.py"
    model = init_detector(str(config), None, device="cpu")
    checkpoint = tmp_path / "rtmdet_tiny.pth"
    torch.save({"meta": {}, "state_dict": model.state_dict()}, checkpoint)
    found = Detector(config=config, checkpoint=checkpoint)(photos["coffee"])
    assert found.bboxes.shape[1] == 4 and len(found.scores) == len(found.labels)


def test_a_checkpoint_that_does_not_fit_its_config(tmp_path, detector):
    import mmdet

    config = Path(mmdet.__file__).parent / ".mim/configs/rtmdet/rtmdet_tiny_8xb32-300e_coco.py"
    with pytest.raises(DownstreamModelError, match="does not fit"):
        Detector(config=config, checkpoint=detector.checkpoint)


def test_unknown_detector_and_missing_files(tmp_path):
    with pytest.raises(DownstreamModelError, match="unknown detector"):
        Detector("yolo-huge")
    with pytest.raises(DownstreamModelError, match="no such detector config"):
        Detector(config=tmp_path / "nope.py", checkpoint=tmp_path / "x.pth")


def test_cli_detect_json(tmp_path, capsys):
    photo = sample_image("grace_hopper")
    write_image(tmp_path / "hopper.png", photo)
    assert main(["detect", str(tmp_path / "hopper.png"), "--json", "--score-thr", "0.5"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and {"file", "bbox", "score", "label"} == set(records[0])
    tie = records[0]
    assert tie["label"] == "tie" and tie["score"] > 0.8
    x, y, w, h = tie["bbox"]
    assert 0 <= x < photo.shape[1] and 0 <= y < photo.shape[0] and w > 0 and h > 0


def test_cli_detect_bad_arguments(tmp_path, capsys):
    assert main(["detect", str(tmp_path), "--config", str(tmp_path / "c.py")]) == 1
    assert "--config and --checkpoint go together" in capsys.readouterr().err
    assert main(["detect", str(tmp_path), "--detector", "nope"]) == 1
    err = capsys.readouterr().err
    assert "unknown detector" in err and "Traceback" not in err


def test_a_truncated_converted_checkpoint_is_rebuilt(tmp_path, capsys):
    from downstream.detection import darknet_checkpoint

    path = darknet_checkpoint("yolov3-tiny", tmp_path)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 3])
    assert darknet_checkpoint("yolov3-tiny", tmp_path) == path
    assert path.read_bytes() == good
    assert "does not match its recorded SHA-256; rebuilding" in capsys.readouterr().err


def test_cli_detect_refuses_a_pickle_in_one_line(tmp_path, capsys):
    import pickle

    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"state_dict": Payload()}))
    config = Path(__file__).parents[1] / "downstream" / "configs" / "yolov3_tiny_coco.py"
    photo = tmp_path / "x.png"
    write_image(photo, sample_image("coffee"))
    argv = [
        "detect",
        str(photo),
        "--config",
        str(config),
        "--checkpoint",
        str(tmp_path / "evil.pth"),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert f"{tmp_path / 'evil.pth'}: not a readable checkpoint" in err and "\n" not in err
    assert not (tmp_path / "pwned").exists()


def test_the_test_split_holds_80_objects_of_8_classes(detector):
    """The embedded test photos are chosen for COCO objects: on the clean photos each
    embedded detector finds at least 80 boxes of at least 8 classes at score >= 0.3."""
    boxes, classes = 0, set()
    for entry in [e for e in load_manifest()["images"] if e["split"] == "test"]:
        found = detector(sample_image(entry["name"]))
        kept = found.scores >= 0.3
        boxes += int(kept.sum())
        classes |= set(found.labels[kept].tolist())
    assert boxes >= 80 and len(classes) >= 8, (boxes, sorted(classes))
