"""COCO annotations and label maps a dataset brings: checked on reading, one line per problem."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downstream.annotations import match_label_maps, read_coco
from downstream.errors import BenchError
from rdmc.imageio import write_image

NAMES = ["a.png", "b.png"]


def coco(**change) -> dict:
    data = {
        "images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "b.png"}],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40]},
            {"id": 2, "image_id": 2, "category_id": 18, "bbox": [0, 0, 5, 5], "iscrowd": 1},
        ],
    }
    data.update(change)
    return data


def test_boxes_become_x1y1x2y2_with_category_names(tmp_path):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(coco()))
    boxes = read_coco(path, NAMES + ["c.png"])
    assert boxes["a.png"] == [{"bbox": [10, 20, 40, 60], "category": "person", "ignore_flag": 0}]
    assert boxes["b.png"][0]["ignore_flag"] == 1  # a crowd box is ignored, as COCO does
    assert boxes["c.png"] == []


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (
            {"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]},
            "annotations[0]: image_id 99 is not in images",
        ),
        (
            {"image_id": 1, "category_id": 7, "bbox": [0, 0, 1, 1]},
            "annotations[0]: category_id 7 is not in categories",
        ),
        (
            {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1]},
            "annotations[0]: bbox must be 4 numbers",
        ),
        ({"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1]}, "negative width or height"),
        (
            {"image_id": "1", "category_id": 1, "bbox": [0, 0, 1, 1]},
            "annotations[0].image_id must be an integer",
        ),
    ],
)
def test_bad_annotations_are_one_line_naming_the_entry(tmp_path, annotation, message):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(coco(annotations=[annotation])))
    with pytest.raises(BenchError) as raised:
        read_coco(path, NAMES)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_label_maps_must_fit_their_images(tmp_path):
    from downstream.datasets import Image

    write_image(tmp_path / "labels" / "a.png", np.zeros((20, 30), np.uint8))
    images = [Image("a.png", "k", tmp_path / "a.png", (20, 30))]
    assert match_label_maps(tmp_path / "labels", images)["a.png"].name == "a.png"
    with pytest.raises(BenchError, match=r"a.png: label map of shape \(20, 30\) does not fit"):
        match_label_maps(tmp_path / "labels", [Image("a.png", "k", tmp_path / "a.png", (21, 30))])


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False),
              st.sampled_from(["a.png", "b.png", "person"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["images", "annotations", "categories", "id", "file_name",
                                         "name", "image_id", "category_id", "bbox", "iscrowd"]),
                        inner, max_size=6),
    ),
    max_leaves=25,
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_JSON)
def test_fuzz_any_malformed_coco_file_is_one_line_naming_the_file(tmp_path, data):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    try:
        boxes = read_coco(path, NAMES)
    except BenchError as e:
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)
        return
    assert set(boxes) == set(NAMES)
    assert all(len(b["bbox"]) == 4 for v in boxes.values() for b in v)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=40))
def test_fuzz_any_bytes_are_a_coco_file_or_one_line(tmp_path, raw):
    path = tmp_path / "ann.json"
    path.write_bytes(raw)
    try:
        read_coco(path, NAMES)
    except BenchError as e:
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)


def _voc(tmp_path, box: str, name: str = "dog"):
    xml = tmp_path / "a.xml"
    xml.write_text(
        f"<annotation><size><width>50</width><height>40</height></size><object>"
        f"<name>{name}</name><bndbox>{box}</bndbox></object></annotation>"
    )
    return xml


def _box(x1, y1, x2, y2) -> str:
    return f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"


@pytest.mark.parametrize(
    "box, name, message",
    [
        (_box(1, 1, "1e999", 9), "dog", r"object 1 \(dog\): <xmax> 1e999 is not a finite number"),
        (_box(1, 1, "ten", 9), "dog", r"object 1 \(dog\): <xmax> is not a number: 'ten'"),
        (
            _box(9, 1, 2, 9),
            "dog",
            r"object 1 \(dog\): box \(9, 1, 2, 9\) is inverted or has no area",
        ),
        (_box(2, 1, 2, 9), "dog", r"box \(2, 1, 2, 9\) is inverted or has no area"),
        (_box(1, 1, 80, 9), "dog", r"box \(1, 1, 80, 9\) lies outside the 50x40 image"),
        (_box(1, 1, 5, 9), " ", r"object 1 has an empty <name>"),
    ],
)
def test_a_bad_voc_object_is_one_line_naming_the_file_and_the_object(tmp_path, box, name, message):
    from downstream.annotations import check_voc_file

    xml = _voc(tmp_path, box, name)
    with pytest.raises(BenchError, match=message) as error:
        check_voc_file(xml)  # the image's size from the file's own <size>
    assert str(error.value).startswith(str(xml)) and "\n" not in str(error.value)


def test_a_good_voc_object_passes(tmp_path):
    from downstream.annotations import check_voc_file

    xml = _voc(tmp_path, _box(1, 1, 50, 40))  # VOC counts from 1: the last pixel is 50
    assert check_voc_file(xml) == {"dog"}
