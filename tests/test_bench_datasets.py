"""`rdmc bench` on datasets that are their own rain: paired deraining sets in their layouts."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from downstream.bench import BenchError, load_suite, run_bench
from downstream.datasets import load_dataset
from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.evaluate import evaluate_folder
from rdmc.imageio import read_image, write_image
from rdmc.metrics import psnr
from rdmc.rain import add_rain

PHOTOS = ("grace_hopper", "astronaut")


def photo(name: str) -> np.ndarray:
    return np.ascontiguousarray(sample_image(name)[::2, ::2])


def rain100h(root: Path) -> Path:
    """Rain100H's layout: rain/rain-N.png with norain/norain-N.png."""
    for i, name in enumerate(PHOTOS, 1):
        clean = photo(name)
        write_image(root / "norain" / f"norain-{i}.png", clean)
        write_image(root / "rain" / f"rain-{i}.png", add_rain(clean, "heavy", 3, i).rainy)
    return root


def rain1400(root: Path, versions: int = 3) -> Path:
    """Rain1400's layout: rainy_image/i_j.jpg (j = 1..14 there) with ground_truth/i.jpg."""
    for i, name in enumerate(PHOTOS, 1):
        clean = photo(name)
        write_image(root / "ground_truth" / f"{i}.png", clean)
        for j in range(1, versions + 1):
            rainy = add_rain(clean, "rain1400", 3, 10 * i + j, rain_type=j).rainy
            write_image(root / "rainy_image" / f"{i}_{j}.png", rainy)
    return root


def suite_file(tmp_path: Path, dataset: dict, **extra) -> Path:
    suite = {"name": "paired", "dataset": dataset, "derainers": ["identity"], **extra}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def test_a_paired_dataset_is_its_own_rain_and_scores_like_rdmc_eval(tmp_path):
    root = rain100h(tmp_path / "Rain100H")
    suite = suite_file(tmp_path, {"type": "paired", "root": str(root), "layout": "rain100"},
                       detectors=["yolov3-tiny"])  # fmt: skip
    results = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )
    records = results["records"]
    assert {r["rain"] for r in records if r["condition"] != "clean"} == {"Rain100H"}
    assert results["meta"]["dataset"]["images"] == ["rain-1.png", "rain-2.png"]

    def psnr_of(condition: str) -> dict:
        return next(r for r in records if r["condition"] == condition and r["metric"] == "PSNR")

    by_eval = evaluate_folder(root / "rain", root / "norain")
    assert len(by_eval.per_image) == 2
    expected = [item["psnr"] for item in sorted(by_eval.per_image, key=lambda item: item["pred"])]
    assert psnr_of("rainy")["per_image"] == pytest.approx(expected, abs=1e-9)
    assert psnr_of("identity")["value"] == pytest.approx(psnr_of("rainy")["value"])
    clean_map = next(r for r in records if r["condition"] == "clean" and r["metric"] == "mAP")
    assert clean_map["value"] == pytest.approx(100.0)  # pseudo ground truth: the clean image's own
    assert any(r["metric"] == "recovery(mAP)" for r in records)


def test_rain1400_versions_are_images_sharing_one_clean_image(tmp_path):
    root = rain1400(tmp_path / "Rain1400")
    dataset = load_dataset({"type": "paired", "root": str(root), "name": "Rain1400"})
    assert dataset.rain == ["Rain1400"] and len(dataset.images) == 6
    assert len({im.key for im in dataset.images}) == 2  # two clean images
    assert len({im.rainy["Rain1400"].key for im in dataset.images}) == 6
    suite = suite_file(tmp_path, {"type": "paired", "root": str(root), "name": "Rain1400"})
    assert main(["bench", str(suite), "--out", str(tmp_path / "out"),
                 "--cache-dir", str(tmp_path / "c")]) == 0  # fmt: skip
    records = json.loads((tmp_path / "out" / "results.json").read_text())["records"]
    rainy = next(r for r in records if r["condition"] == "rainy" and r["metric"] == "PSNR")
    assert rainy["rain"] == "Rain1400"
    for im, value in zip(dataset.images, rainy["per_image"], strict=True):
        assert value == pytest.approx(psnr(im.read_rainy("Rain1400"), im.read_clean()))


def test_side_by_side_layouts_score_the_right_halves(tmp_path):
    clean, rainy = photo("grace_hopper"), add_rain(photo("grace_hopper"), "heavy", 3, 1).rainy
    write_image(tmp_path / "Rain800" / "1.png", np.concatenate([clean, rainy], axis=1))
    dataset = load_dataset({"type": "paired", "root": str(tmp_path / "Rain800"),
                            "layout": "rain800"})  # fmt: skip
    (image,) = dataset.images
    assert np.array_equal(image.read_clean(), clean)
    assert np.array_equal(image.read_rainy("Rain800"), rainy)
    assert image.key != image.rainy["Rain800"].key


def test_annotations_of_a_paired_dataset_are_keyed_by_the_clean_file(tmp_path):
    root = rain1400(tmp_path / "Rain1400", versions=2)
    coco = {"images": [{"id": 1, "file_name": "1.png"}, {"id": 2, "file_name": "2.png"}],
            "categories": [{"id": 1, "name": "person"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 40, 60]}]}  # fmt: skip
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    dataset = load_dataset({"type": "paired", "root": str(root),
                            "coco_json": str(tmp_path / "ann.json")})  # fmt: skip
    boxes = {im.name: len(dataset.boxes.by_image[im.name]) for im in dataset.images}
    assert boxes == {"1_1.png": 1, "1_2.png": 1, "2_1.png": 0, "2_2.png": 0}


@pytest.mark.parametrize(
    ("dataset", "extra", "message"),
    [
        ({"type": "paired", "root": "R"}, {"rain": [{"preset": "heavy", "severities": [3]}]},
         "rain: a paired dataset is its own rain; remove this key"),
        ({"type": "folder", "root": "R"}, {}, "missing key 'rain'"),
        ({"type": "paired", "root": "R", "layout": "rain100x"}, {},
         "dataset.layout: unknown layout 'rain100x' (allowed: rain100, rain1400"),
        ({"type": "paired", "root": "R", "split": "test"}, {}, "unknown key 'split'"),
        ({"type": "paired", "root": "R"}, {"derainers": [{"name": "x", "output": "D"}]},
         "derainers[0]: unknown key 'output' (allowed: name, outputs)"),
    ],
)  # fmt: skip
def test_paired_suites_are_checked_against_the_schema(tmp_path, dataset, extra, message):
    path = suite_file(tmp_path, dataset, **extra)
    with pytest.raises(BenchError, match="^" + str(path).replace(".", r"\.")) as error:
        load_suite(path)
    assert message in str(error.value)


def test_a_folder_that_is_no_paired_dataset_is_one_line(tmp_path, capsys):
    write_image(tmp_path / "stuff" / "x.png", photo("grace_hopper"))
    suite = suite_file(tmp_path, {"type": "paired", "root": str(tmp_path / "stuff")})
    assert main(["bench", str(suite), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / "stuff") in err


def test_a_method_run_elsewhere_is_scored_from_its_outputs(tmp_path, capsys):
    root = rain100h(tmp_path / "Rain100H")
    outputs = tmp_path / "MPRNet" / "Rain100H"
    for rainy in sorted((root / "rain").glob("*.png")):  # a stand-in method: a median filter
        write_image(outputs / rainy.name, cv2.medianBlur(read_image(rainy)[..., :3].copy(), 5))
    derainers = [{"name": "MPRNet", "outputs": str(tmp_path / "MPRNet" / "{dataset}")}, "identity"]
    dataset = {"type": "paired", "root": str(root), "name": "Rain100H"}
    suite = suite_file(tmp_path, dataset, derainers=derainers)
    results = run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c")
    data = json.loads(results.read_text())
    mpr = next(r for r in data["records"] if r["condition"] == "MPRNet" and r["metric"] == "PSNR")
    by_eval = evaluate_folder(outputs, root / "norain")
    expected = [item["psnr"] for item in sorted(by_eval.per_image, key=lambda item: item["pred"])]
    assert mpr["per_image"] == pytest.approx(expected, abs=1e-9) and mpr["rain"] == "Rain100H"
    assert data["meta"]["derainers"]["MPRNet"].startswith("outputs:")

    (outputs / "rain-2.png").unlink()
    assert main(["bench", str(suite), "--out", str(tmp_path / "again"),
                 "--cache-dir", str(tmp_path / "c")]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"derainer MPRNet: {outputs}: no output for 1 of 2 inputs (rain-2.png)" in err


def test_spa_data_names_through_bench_and_scoreboard(tmp_path):
    """SPA-Data's layout (rain/NAME.png with gt/NAMEgt.png) in `rdmc bench` and `rdmc
    scoreboard`: the same rainy PSNR per image from both, and equal to `rdmc eval`'s."""
    root = tmp_path / "SPA"
    for i, name in enumerate(PHOTOS, 1):
        clean = photo(name)
        write_image(root / "gt" / f"{i}_{i}gt.png", clean)
        write_image(root / "rain" / f"{i}_{i}.png", add_rain(clean, "light", 3, i).rainy)
    suite = suite_file(tmp_path, {"type": "paired", "root": str(root), "name": "SPA"})
    records = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )["records"]
    (bench,) = [r for r in records if (r["condition"], r["metric"]) == ("rainy", "PSNR")]
    assert bench["rain"] == "SPA"
    assert main(["scoreboard", "identity", "--dataset", f"SPA={root}:spa",
                 "--out", str(tmp_path / "board.json")]) == 0  # fmt: skip
    board = json.loads((tmp_path / "board.json").read_text())["records"]
    (scored,) = [r for r in board if (r["condition"], r["metric"]) == ("rainy", "PSNR")]
    assert scored["per_image"] == pytest.approx(bench["per_image"], abs=1e-9)
    by_eval = evaluate_folder(root / "rain", root / "gt")
    expected = [item["psnr"] for item in sorted(by_eval.per_image, key=lambda item: item["pred"])]
    assert bench["per_image"] == pytest.approx(expected, abs=1e-9)
