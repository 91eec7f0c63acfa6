"""Latency of the embedded downstream models, each next to OpenCV running the same file
(the in-process baseline), and end-to-end images per second of derain + detect + segment."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from downstream.detection import Detector
from downstream.segmentation import Segmenter
from rdmc.data.samples import sample_image
from rdmc.weights import resolve_weights


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return sample_image("astronaut")


@pytest.fixture(scope="module")
def detector():
    return Detector("yolov3-tiny")


@pytest.fixture(scope="module")
def segmenter(photo):
    segmenter = Segmenter("selfie-segmentation")
    segmenter(photo)  # traces its graph once, as the first image of a run does
    return segmenter


def test_yolov3_tiny_mmdet(benchmark, detector, photo):
    benchmark.group = "detector-512"
    benchmark(detector, photo)


def test_yolov3_tiny_mmdet_contiguous_baseline(benchmark, photo):
    """The same detector in PyTorch's default memory format, which channels-last replaces."""
    import torch

    detector = Detector("yolov3-tiny")
    detector.model.to(memory_format=torch.contiguous_format)
    benchmark.group = "detector-512"
    benchmark(detector, photo)


def test_yolov3_tiny_opencv_baseline(benchmark, photo):
    benchmark.group = "detector-512"
    net = cv2.dnn.readNetFromDarknet(
        str(resolve_weights("yolov3-tiny-cfg")), str(resolve_weights("yolov3-tiny-weights"))
    )
    names = net.getUnconnectedOutLayersNames()

    def run():
        net.setInput(cv2.dnn.blobFromImage(photo, 1 / 255.0, (416, 416), swapRB=False, crop=False))
        return net.forward(names)

    benchmark(run)


def test_selfie_segmentation_mmseg(benchmark, segmenter, photo):
    benchmark.group = "segmenter-512"
    benchmark(segmenter, photo)


def test_selfie_segmentation_mmseg_argmax_baseline(benchmark, segmenter, photo, monkeypatch):
    """mmseg's generic post-processing (argmax over both class maps), which ours replaces."""
    from mmseg.models.segmentors.base import BaseSegmentor

    from downstream.models.selfie_segmentor import TFLiteSegmentor

    monkeypatch.setattr(TFLiteSegmentor, "postprocess_result", BaseSegmentor.postprocess_result)
    benchmark.group = "segmenter-512"
    benchmark(segmenter, photo)


def test_selfie_segmentation_mmseg_op_by_op_baseline(benchmark, segmenter, photo, monkeypatch):
    """The TFLite graph op by op in Python (no trace), which the traced graph replaces."""
    from downstream.models.tflite_graph import TFLiteGraph

    monkeypatch.setattr(TFLiteGraph, "forward", TFLiteGraph.run_ops)
    benchmark.group = "segmenter-512"
    benchmark(segmenter, photo)


def opencv_selfie(photo: np.ndarray) -> Callable[[], np.ndarray]:
    """OpenCV's TFLite reader running the same file on the photo, resized as mmseg does."""
    net = cv2.dnn.readNetFromTFLite(str(resolve_weights("selfie-segmentation")))

    def run():
        x = cv2.resize(photo, (256, 256), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
        net.setInput(x.transpose(2, 0, 1)[None].copy())
        return net.forward()

    return run


def test_selfie_segmentation_opencv_baseline(benchmark, photo):
    benchmark.group = "segmenter-512"
    benchmark(opencv_selfie(photo))


def test_selfie_segmentation_interleaved_with_opencv(benchmark, segmenter, photo):
    """The segmenter and OpenCV one after the other in every round, so that both see the same
    machine: on a shared CPU two separate loops drift apart (OpenCV's own median has moved
    by almost 2x between runs). ``extra_info`` holds both medians and their ratio."""
    benchmark.group = "segmenter-512-interleaved"
    runs = {"opencv": opencv_selfie(photo), "mmseg": lambda: segmenter(photo)}
    times: dict[str, list[float]] = {name: [] for name in runs}

    def both():
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    warmup = 10
    benchmark.pedantic(both, rounds=100, iterations=1, warmup_rounds=warmup)
    medians = {name: statistics.median(t[warmup:]) for name, t in times.items()}
    benchmark.extra_info.update({f"{name}_ms": 1000 * m for name, m in medians.items()})
    benchmark.extra_info["mmseg_vs_opencv"] = medians["mmseg"] / medians["opencv"]


@pytest.mark.parametrize("derainer_name", ["identity"])
def test_end_to_end_images_per_second(benchmark, detector, segmenter, photo, derainer_name):
    """One image: derain, detect, segment (ops = images per second)."""
    from rdmc import load_derainer

    benchmark.group = "end-to-end-512"
    derainer = load_derainer(derainer_name)

    def run():
        clean = derainer(photo)
        return detector(clean), segmenter(clean)

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
