"""The embedded selfie segmenter against OpenCV's TFLite runtime; any mmseg config; `rdmc segment`."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from downstream.checkpoints import DownstreamModelError
from downstream.models.tflite_graph import TFLiteGraph
from downstream.segmentation import Segmenter
from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.imageio import read_image, write_image
from rdmc.weights import resolve_weights

PEOPLE = ("astronaut", "grace_hopper", "cameraman")


INPUT_SIZES = {"selfie-segmentation": (256, 256), "selfie-segmentation-landscape": (256, 144)}


@pytest.fixture(scope="module", params=list(INPUT_SIZES))
def segmenter(request):
    return Segmenter(request.param)


def opencv_person_probability(rgb: np.ndarray, name: str = "selfie-segmentation") -> np.ndarray:
    net = cv2.dnn.readNetFromTFLite(str(resolve_weights(name)))
    width, height = INPUT_SIZES[name]
    x = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    net.setInput(x.transpose(2, 0, 1)[None].copy())
    return net.forward().reshape(height, width)


@pytest.mark.parametrize("model", list(INPUT_SIZES))
def test_tflite_graph_matches_opencv_at_the_network_output(model):
    graph = TFLiteGraph(resolve_weights(model)).eval()
    width, height = INPUT_SIZES[model]
    for name in PEOPLE:
        rgb = sample_image(name)
        x = (
            cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            / 255
        )
        with torch.no_grad():
            ours = graph(torch.from_numpy(x).permute(2, 0, 1)[None])[0, 0].numpy()
        assert np.abs(ours - opencv_person_probability(rgb, model)).max() < 1e-3, name


def test_traced_graph_equals_the_op_by_op_run_for_each_input_signature():
    """Without autograd the graph runs through a trace made per input shape, dtype and
    device; it gives the op-by-op result, a new shape gets its own trace, and a copy or a
    device/dtype move drops the traces (they hold the former tensors)."""
    import copy

    graph = TFLiteGraph(resolve_weights("selfie-segmentation")).eval()
    one, two = torch.rand(1, 3, 256, 256), torch.rand(2, 3, 256, 256)
    with torch.inference_mode():
        assert torch.equal(graph(one), graph.run_ops(one))
        assert torch.equal(graph(two), graph.run_ops(two))
    assert len(graph._traced) == 2
    assert copy.deepcopy(graph)._traced == {}
    graph.double()
    assert graph._traced == {}
    with torch.inference_mode():
        assert torch.equal(graph(one.double()), graph.run_ops(one.double()))
    x = one.clone().requires_grad_()
    graph.float()(x).sum().backward()  # with autograd: op by op, gradients flow
    assert x.grad is not None and len(graph._traced) == 0


def test_embedded_segmenter_takes_rgb_with_the_labels_of_the_bgr_path(segmenter):
    """The embedded models skip the BGR copy that mmseg's preprocessor would flip back."""
    rgb = sample_image("astronaut")
    assert segmenter.feeds_rgb
    labels = segmenter(rgb)
    segmenter.feeds_rgb, segmenter.model.data_preprocessor.channel_conversion = False, True
    try:  # mmseg's way: BGR in, flipped back by the preprocessor
        assert np.array_equal(segmenter(rgb), labels)
    finally:
        segmenter.feeds_rgb, segmenter.model.data_preprocessor.channel_conversion = True, False
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    assert np.array_equal(segmenter(rgba), labels)


def mmseg_inference(segmenter: Segmenter, image: np.ndarray) -> np.ndarray:
    """Labels from mmseg's own ``inference_model`` (its pipeline built anew on every call)."""
    from mmseg.apis import inference_model

    from downstream.checkpoints import in_scope

    with in_scope("mmseg"):
        result = inference_model(segmenter.model, np.ascontiguousarray(image))
    return result.pred_sem_seg.data[0].numpy()


def test_the_pipeline_built_once_gives_mmsegs_labels(segmenter):
    """The segmenter builds its test pipeline once, where mmseg's inference_model builds it on
    every call (a third of the embedded segmenter's time): same labels."""
    for name in PEOPLE:
        rgb = sample_image(name)
        assert np.array_equal(segmenter(rgb), mmseg_inference(segmenter, rgb)), name


def test_selfie_segmenter_mask_iou_with_opencv(segmenter):
    for name in PEOPLE:
        rgb = sample_image(name)
        ours = segmenter(rgb) == 1
        prob = opencv_person_probability(rgb, segmenter.name)
        h, w = rgb.shape[:2]
        reference = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
        iou = (ours & reference).sum() / (ours | reference).sum()
        assert iou >= 0.98, (name, iou)
        assert 0.1 < ours.mean() < 0.9, name  # a person, not everything or nothing


def test_any_mmseg_config_with_a_local_checkpoint(tmp_path, photos):
    import mmseg
    from mmseg.apis import init_model

    config = (
        Path(mmseg.__file__).parent
        / ".mim/configs/fastscnn/fast_scnn_8xb4-160k_cityscapes-512x1024.py"
    )
    model = init_model(str(config), None, device="cpu")
    checkpoint = tmp_path / "fast_scnn.pth"
    torch.save({"meta": {}, "state_dict": model.state_dict()}, checkpoint)
    segmenter = Segmenter(config=config, checkpoint=checkpoint)
    labels = segmenter(photos["coffee"])
    assert labels.shape == photos["coffee"].shape[:2]
    assert np.array_equal(labels, mmseg_inference(segmenter, photos["coffee"][..., ::-1]))
    with pytest.raises(DownstreamModelError, match="does not fit"):
        Segmenter(config=config, checkpoint=Segmenter().checkpoint)


def test_unknown_segmenter():
    with pytest.raises(DownstreamModelError, match="unknown segmenter"):
        Segmenter("deeplab-huge")


def test_cli_segment_writes_label_maps(tmp_path, capsys):
    photo = sample_image("astronaut")
    write_image(tmp_path / "in" / "astro.jpg", photo)
    (tmp_path / "in" / "bad.png").write_bytes(b"nope")
    assert main(["segment", str(tmp_path / "in"), "-o", str(tmp_path / "masks")]) == 1
    captured = capsys.readouterr()
    assert "bad.png" in captured.err and "1 = person" in captured.out
    labels = read_image(tmp_path / "masks" / "astro.png")
    assert labels.shape == photo.shape[:2] and set(np.unique(labels)) <= {0, 1}
    assert 0.3 < (labels == 1).mean() < 0.8


@pytest.mark.parametrize("flip", [None, "horizontal", "vertical"])
def test_two_class_post_processing_equals_mmsegs(segmenter, flip):
    """The person-channel threshold gives mmseg's argmax labels and scores exactly."""
    from mmseg.models.segmentors.base import BaseSegmentor
    from mmseg.structures import SegDataSample

    torch.manual_seed(0)
    person = torch.rand(2, 1, 40, 48)
    person[0, 0, :4, :4] = 0.5  # ties go to background in both
    logits = torch.cat([1 - person, person], dim=1)

    def samples():
        meta = {"ori_shape": (75, 61), "img_shape": (40, 48), "padding_size": [0, 3, 0, 2],
                "flip": flip is not None, "flip_direction": flip}  # fmt: skip
        return [SegDataSample(metainfo=meta) for _ in range(2)]

    model = segmenter.model
    ours = model.postprocess_result(logits, samples())
    theirs = BaseSegmentor.postprocess_result(model, logits, samples())
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
        assert torch.allclose(a.seg_logits.data, b.seg_logits.data, atol=1e-6)
    bare = model.postprocess_result(logits)
    assert torch.equal(bare[0].pred_sem_seg.data, logits[0].argmax(0, keepdim=True))
