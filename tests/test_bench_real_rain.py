"""`rdmc bench` on real rain (COCO json, Pascal VOC) and on Cityscapes / RainCityscapes,
each from a miniature in its exact on-disk layout made here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from downstream.annotations import read_label_map
from downstream.bench import BenchError, load_suite, run_bench
from downstream.datasets import load_dataset
from downstream.detection import Detector
from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.imageio import read_image, write_image
from rdmc.metrics import psnr
from rdmc.rain import add_rain

PHOTOS = ("grace_hopper", "astronaut")
COCO_TO_VOC = {"motorcycle": "motorbike", "airplane": "aeroplane", "couch": "sofa"}


def photo(name: str) -> np.ndarray:
    return np.ascontiguousarray(sample_image(name)[::2, ::2])


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector("yolov3-tiny")


def boxes_of(detector: Detector, path: Path) -> list[tuple[list[float], str]]:
    """What the detector finds (score >= 0.3, the bench's pseudo-GT threshold) in a file."""
    found = detector(read_image(path)[..., :3])
    keep = found.scores >= 0.3
    return [([float(v) for v in box], detector.classes[label])
            for box, label in zip(found.bboxes[keep], found.labels[keep], strict=True)]  # fmt: skip


def rainy_photos(folder: Path) -> list[Path]:
    """Two full-size photos in light rain (YOLOv3-tiny finds a tie and a person in r1)."""
    paths = []
    for i, name in enumerate(("grace_hopper", "coffee"), 1):
        path = folder / f"r{i}.png"  # lossless: what the detector saw is what is scored
        write_image(path, add_rain(sample_image(name), "light", 1, i).rainy)
        paths.append(path)
    return paths


def suite_file(tmp_path: Path, dataset: dict, **extra) -> Path:
    suite = {"name": "real", "dataset": dataset, "derainers": ["identity"],
             "detectors": ["yolov3-tiny"], **extra}  # fmt: skip
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def by(records: list[dict], **fields) -> list[dict]:
    return [r for r in records if all(r[k] == v for k, v in fields.items())]


def test_real_rain_with_coco_boxes_scores_map_and_its_change_but_no_psnr(
    tmp_path, detector, capsys
):
    paths = rainy_photos(tmp_path / "RID")
    coco = {"images": [], "annotations": [], "categories": []}
    names = []
    for i, path in enumerate(paths, 1):
        coco["images"].append({"id": i, "file_name": path.name})
        for box, name in boxes_of(detector, path) + [([2.0, 2.0, 30.0, 30.0], "hydrant_box")]:
            names += [] if name in names else [name]
            x1, y1, x2, y2 = box
            coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": i,
                                        "category_id": names.index(name) + 1,
                                        "bbox": [x1, y1, x2 - x1, y2 - y1]})  # fmt: skip
    coco["categories"] = [{"id": k + 1, "name": n} for k, n in enumerate(names)]
    (tmp_path / "rid.json").write_text(json.dumps(coco))
    dataset = {"type": "real-rain", "root": str(tmp_path / "RID"),
               "coco_json": str(tmp_path / "rid.json"), "name": "RID"}  # fmt: skip
    suite = suite_file(tmp_path, dataset)
    assert main(["bench", str(suite), "--out", str(tmp_path / "out"),
                 "--cache-dir", str(tmp_path / "c")]) == 0  # fmt: skip
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: RID: classes yolov3-tiny does not have, left out of its "
                        "ground truth: hydrant_box (2 boxes)"]  # fmt: skip
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    records = results["records"]
    assert {r["condition"] for r in records} == {"rainy", "identity"}  # no clean image
    assert {r["rain"] for r in records} == {"RID"}
    assert not by(records, task="restoration") and not any(
        "recovery" in r["metric"] for r in records
    )
    (rainy,) = by(records, condition="rainy", metric="mAP")
    assert rainy["value"] == pytest.approx(100.0) and rainy["gt"] == "COCO annotations"
    (change,) = by(records, condition="identity", metric="change(mAP)")
    assert change["value"] == pytest.approx(0.0)
    assert results["meta"]["unmapped_classes"] == {"yolov3-tiny": {"hydrant_box": 2}}
    assert main(["tables", str(tmp_path / "out" / "results.json"), "--format", "markdown"]) == 0
    tables = capsys.readouterr().out
    assert "Restoration" not in tables and "| method | RID mAP | RID change(mAP) |" in tables
    # Real rain has no clean image: no-reference quality is its image-quality column.
    (niqe,) = by(records, condition="identity", metric="NIQE")
    (rainy_niqe,) = by(records, condition="rainy", metric="NIQE")
    assert niqe["value"] == rainy_niqe["value"] and niqe["vs_rainy"]["verdict"] == "no difference"
    assert len(niqe["per_image"]) == len(paths) and niqe["gt"] == "none (no reference)"
    assert "| method | RID NIQE ↓ | RID BRISQUE ↓ | RID PIQE ↓ |" in tables
    assert main(["report", str(tmp_path / "out" / "results.json"),
                 "-o", str(tmp_path / "report.html")]) == 0  # fmt: skip


def voc_tree(root: Path, detector: Detector) -> dict[str, list]:
    """VOC's layout: JPEGImages/, Annotations/ (1-based integer corners), ImageSets/Main/."""
    written = {}
    for path in rainy_photos(root / "JPEGImages"):
        objects = []
        found = boxes_of(detector, path) + [([1.0, 1.0, 19.0, 19.0], "person")]  # difficult
        for k, (box, name) in enumerate(found):
            x1, y1, x2, y2 = (int(round(v)) + 1 for v in box)
            objects.append(f"<object><name>{COCO_TO_VOC.get(name, name)}</name>"
                           f"<difficult>{int(k == len(found) - 1)}</difficult><bndbox>"
                           f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"
                           "</bndbox></object>")  # fmt: skip
            written.setdefault(path.name, []).append(([x1 - 1, y1 - 1, x2 - 1, y2 - 1], name))
        h, w = read_image(path).shape[:2]
        xml = (f"<annotation><filename>{path.name}</filename><size><width>{w}</width>"
               f"<height>{h}</height><depth>3</depth></size>{''.join(objects)}</annotation>")  # fmt: skip
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{path.stem}.xml").write_text(xml)
    return written


def test_voc_annotations_are_read_by_mmdet_and_mapped_to_the_detector(tmp_path, detector):
    written = voc_tree(tmp_path / "VOC", detector)
    dataset = load_dataset({"type": "real-rain", "voc": str(tmp_path / "VOC")})
    assert [im.name for im in dataset.images] == ["r1.png", "r2.png"] and not dataset.has_clean
    for name, expected in written.items():
        got = dataset.boxes.by_image[name]
        assert [a["bbox"] for a in got] == [box for box, _ in expected]  # minus one, as mmdet
        assert [a["ignore_flag"] for a in got] == [0] * (len(got) - 1) + [1]  # difficult
    (tmp_path / "VOC" / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "VOC" / "ImageSets" / "Main" / "test.txt").write_text("r1\n")
    suite = suite_file(tmp_path, {"type": "real-rain", "voc": str(tmp_path / "VOC")})
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    (rainy,) = by(records, condition="rainy", metric="mAP")
    assert rainy["gt"] == "VOC annotations" and rainy["rain"] == "VOC"
    assert rainy["value"] == pytest.approx(100.0)  # its own boxes, on VOC's whole pixels
    assert not by(records, condition="rainy", metric="mAP50")  # VOCMetric, IoU 0.5
    assert json.loads((tmp_path / "out" / "results.json").read_text())["meta"]["dataset"][
        "images"
    ] == ["r1.png"]  # ImageSets/Main/test.txt


def test_voc_class_names_map_to_coco_names():
    from downstream.annotations import model_class

    classes = ["person", "motorcycle", "dining table", "tv"]
    assert [model_class(n, classes) for n in ("motorbike", "diningtable", "tvmonitor")] == [
        "motorcycle", "dining table", "tv"]  # fmt: skip
    assert model_class("person", classes) == "person" and model_class("sheep", classes) is None


CITY_FILES = [("aachen", "aachen_000000_000019"), ("bochum", "bochum_000000_000313")]
SETTINGS = ["alpha_0.01_beta_0.005_dropsize_0.002_pattern_1",
            "alpha_0.02_beta_0.01_dropsize_0.005_pattern_2"]  # fmt: skip


def cityscapes_tree(root: Path, skip_one: bool = False) -> Path:
    for i, ((city, stem), name) in enumerate(zip(CITY_FILES, PHOTOS, strict=True)):
        clean = photo(name)
        write_image(root / "leftImg8bit" / "val" / city / f"{stem}_leftImg8bit.png", clean)
        ids = np.full(clean.shape[:2], 7, np.uint8)  # road
        ids[: clean.shape[0] // 3] = 23  # sky
        ids[-4:] = 1  # ego vehicle: ignored
        write_image(root / "gtFine" / "val" / city / f"{stem}_gtFine_labelIds.png", ids)
        for k, setting in enumerate(SETTINGS):
            if skip_one and i == 1 and k == 1:
                continue
            rainy = add_rain(clean, "heavy", 2 + k, 10 * i + k).rainy
            name_ = f"{stem}_leftImg8bit_rain_{setting}.png"
            write_image(root / "leftImg8bit_rain" / "val" / city / name_, rainy)
    return root


def test_rain_cityscapes_settings_are_rain_and_label_ids_map_to_train_ids(tmp_path):
    root = cityscapes_tree(tmp_path / "RainCityscapes")
    dataset = load_dataset({"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"})
    assert dataset.rain == SETTINGS and len(dataset.images) == 2 and dataset.has_clean
    labels = read_label_map(dataset.labels.by_image[dataset.images[0].name], dataset.labels.reader)
    assert set(np.unique(labels)) == {0, 10, 255}  # road, sky, ignored
    suite = suite_file(tmp_path, {"type": "cityscapes", "root": str(root),
                                  "rain": "leftImg8bit_rain"})  # fmt: skip
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    assert {r["rain"] for r in records if r["condition"] != "clean"} == set(SETTINGS)
    for setting in SETTINGS:
        (rainy,) = by(records, condition="rainy", metric="PSNR", rain=setting)
        expected = [psnr(im.read_rainy(setting), im.read_clean()) for im in dataset.images]
        assert rainy["per_image"] == pytest.approx(expected, abs=1e-9)
        assert by(records, condition="identity", metric="recovery(mAP)", rain=setting)
    (clean,) = by(records, condition="clean", metric="mAP")
    assert clean["value"] == pytest.approx(100.0)  # pseudo ground truth from the clean image


def test_a_cityscapes_image_missing_a_rain_setting_is_skipped_and_listed(tmp_path):
    root = cityscapes_tree(tmp_path / "RainCityscapes", skip_one=True)
    dataset = load_dataset({"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"})
    assert [im.name for im in dataset.images] == ["aachen_000000_000019_leftImg8bit.png"]
    (skipped,) = dataset.skipped
    assert "bochum_000000_000313_leftImg8bit.png: no rainy copy for 1 of 2 rain settings" in skipped


@pytest.mark.parametrize(
    ("dataset", "extra", "message"),
    [
        ({"type": "real-rain", "root": "R", "coco_json": "a.json", "voc": "V"}, {},
         "dataset: a real-rain dataset takes coco_json (with root) or voc"),
        ({"type": "real-rain", "coco_json": "a.json"}, {}, "missing key 'root'"),
        ({"type": "real-rain", "voc": "V"}, {"rain": [{"preset": "heavy", "severities": [3]}]},
         "rain: a real-rain dataset is its own rain; remove this key"),
        ({"type": "cityscapes", "root": "C"}, {}, "missing key 'rain'"),
        ({"type": "mmdet", "root": "C"}, {"rain": [{"preset": "heavy", "severities": [3]}]},
         "unknown key 'root' (allowed: type, dataset, name, limit)"),
        ({"type": "cityscapes", "root": "C", "rain": "leftImg8bit_rain", "layout": "x"}, {},
         "unknown key 'layout' (allowed: type, root, split, rain, name, limit)"),
    ],
)  # fmt: skip
def test_real_rain_and_cityscapes_suites_are_checked(tmp_path, dataset, extra, message):
    path = suite_file(tmp_path, dataset, **extra)
    with pytest.raises(BenchError, match="^" + str(path).replace(".", r"\.")) as error:
        load_suite(path)
    assert message in str(error.value)


def test_segmenters_on_real_rain_without_label_maps_is_one_line(tmp_path, capsys):
    photos = rainy_photos(tmp_path / "RID")
    images = [{"id": i, "file_name": p.name} for i, p in enumerate(photos, 1)]
    (tmp_path / "a.json").write_text(
        json.dumps({"images": images, "annotations": [], "categories": []})
    )
    dataset = {"type": "real-rain", "root": str(tmp_path / "RID"),
               "coco_json": str(tmp_path / "a.json")}  # fmt: skip
    suite = suite_file(tmp_path, dataset, segmenters=["selfie-segmentation"])
    assert main(["bench", str(suite), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no clean images for pseudo ground truth" in err


def test_rain_cityscapes_is_a_paired_layout_for_the_scoreboard(tmp_path, capsys):
    """`rdmc data check` detects RainCityscapes; the scoreboard scores its val pairs, with the
    same rainy PSNR per image as `rdmc bench` on the cityscapes type."""
    root = cityscapes_tree(tmp_path / "RainCityscapes")
    assert main(["data", "check", str(root)]) == 0
    assert "layout 'raincity', 4 pairs" in capsys.readouterr().out
    assert main(["scoreboard", "identity", "--dataset", f"RainCityscapes={root}",
                 "--out", str(tmp_path / "board.json")]) == 0  # fmt: skip
    board = json.loads((tmp_path / "board.json").read_text())["records"]
    (rainy,) = by(board, condition="rainy", metric="PSNR")
    dataset = load_dataset({"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"})
    expected = [psnr(im.read_rainy(s), im.read_clean()) for im in dataset.images for s in SETTINGS]
    assert sorted(rainy["per_image"]) == pytest.approx(sorted(expected), abs=1e-9)


def test_cityscapes_with_a_19_class_segmenter_of_your_own(tmp_path):
    """Your own mmseg config + checkpoint (Fast-SCNN's Cityscapes config, weights saved here)
    on RainCityscapes: mIoU over the 19 train ids, checked by hand against its label maps."""
    import mmseg
    import torch
    from mmseg.apis import init_model

    from downstream.segmentation import Segmenter

    root = cityscapes_tree(tmp_path / "RainCityscapes")
    config = (Path(mmseg.__file__).parent
              / ".mim/configs/fastscnn/fast_scnn_8xb4-160k_cityscapes-512x1024.py")  # fmt: skip
    torch.manual_seed(0)
    model = init_model(str(config), None, device="cpu")
    checkpoint = tmp_path / "fast_scnn.pth"
    torch.save({"meta": {}, "state_dict": model.state_dict()}, checkpoint)
    dataset_spec = {"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"}
    suite = suite_file(tmp_path, dataset_spec, detectors=[], segmenters=[
        {"name": "fast-scnn", "config": str(config), "checkpoint": str(checkpoint)}])  # fmt: skip
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    segmenter = Segmenter(config=config, checkpoint=checkpoint)
    assert len(segmenter.classes) == 19 and segmenter.classes[0] == "road"
    dataset = load_dataset(dataset_spec)
    labels = [read_label_map(dataset.labels.by_image[im.name], dataset.labels.reader)
              for im in dataset.images]  # fmt: skip
    predicted = [segmenter(im.read_clean()) for im in dataset.images]
    kept = [gt != 255 for gt in labels]
    inter = np.array([sum(((p == c) & (g == c))[k].sum() for p, g, k in
                           zip(predicted, labels, kept, strict=True)) for c in range(19)])  # fmt: skip
    union = np.array([sum(((p == c) | (g == c))[k].sum() for p, g, k in
                           zip(predicted, labels, kept, strict=True)) for c in range(19)])  # fmt: skip
    present = union > 0
    (clean,) = by(records, condition="clean", task="segmentation", metric="mIoU")
    assert clean["gt"] == "label maps"
    assert clean["value"] == pytest.approx((inter[present] / union[present]).mean() * 100, abs=0.01)
    for setting in SETTINGS:
        assert by(records, condition="identity", metric="recovery(mIoU)", rain=setting)


def test_a_bad_rain_cityscapes_file_is_named_and_skipped_when_the_dataset_loads(tmp_path):
    root = cityscapes_tree(tmp_path / "RainCityscapes")
    city, stem = CITY_FILES[1]
    (
        root / "leftImg8bit_rain" / "val" / city / f"{stem}_leftImg8bit_rain_{SETTINGS[0]}.png"
    ).write_bytes(b"")
    dataset = load_dataset({"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"})
    assert [im.name for im in dataset.images] == [f"{CITY_FILES[0][1]}_leftImg8bit.png"]
    (skipped,) = dataset.skipped
    assert f"{stem}_leftImg8bit_rain_{SETTINGS[0]}.png: not a readable image header" in skipped
    wrong = root / "leftImg8bit_rain" / "val" / city / f"{stem}_leftImg8bit_rain_{SETTINGS[0]}.png"
    write_image(wrong, photo(PHOTOS[1])[:20, :30])
    (skipped,) = load_dataset(
        {"type": "cityscapes", "root": str(root), "rain": "leftImg8bit_rain"}
    ).skipped
    assert "rainy image of 30x20 pixels, its clean image is" in skipped


def _coco_of(names: list[str]) -> dict:
    return {
        "images": [{"id": i, "file_name": n} for i, n in enumerate(names, 1)],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {"id": i, "image_id": i, "category_id": 1, "bbox": [1, 1, 9, 9]}
            for i in range(1, len(names) + 1)
        ],
    }


@pytest.mark.parametrize("kind", ["real-rain", "folder"])
def test_limit_picks_among_annotated_images_and_an_empty_annotated_file_is_skipped(tmp_path, kind):
    folder = tmp_path / "photos"
    for name in ("a.png", "b.png", "c.png"):
        write_image(folder / name, photo("grace_hopper"))
    (folder / "z.png").write_bytes(b"")  # annotated, 0 bytes
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps(_coco_of(["b.png", "c.png", "z.png"])))
    spec = {"type": kind, "root": str(folder), "coco_json": str(ann)}
    assert [im.name for im in load_dataset({**spec, "limit": 1}).images] == ["b.png"]
    dataset = load_dataset(spec)
    assert [im.name for im in dataset.images] == ["b.png", "c.png"]
    assert len(dataset.skipped) == 1 and "z.png" in dataset.skipped[0]


def test_a_voc_box_of_1e999_is_one_line_naming_the_file(tmp_path):
    voc = tmp_path / "VOC"
    write_image(voc / "JPEGImages" / "a.jpg", photo("grace_hopper"))
    (voc / "Annotations").mkdir()
    (voc / "Annotations" / "a.xml").write_text(
        "<annotation><object><name>person</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
        "<xmax>1e999</xmax><ymax>9</ymax></bndbox></object></annotation>"
    )
    with pytest.raises(
        BenchError, match=r"a.xml: object 1 \(person\): <xmax> 1e999 is not a finite"
    ):
        load_dataset({"type": "real-rain", "voc": str(voc)})
