"""`rdmc bench`: the protocol end to end, caching, crash and resume, distributed runs, bad input."""

from __future__ import annotations

import hashlib
import html
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from downstream.bench import BenchError, load_suite, run_bench
from downstream.bench import cells as bench_cells
from downstream.bench import conditions as bench_conditions
from downstream.bench import runner as bench_runner
from downstream.bench import task_models as bench_task_models
from rdmc.cli import main
from rdmc.data.catalogue import PHOTOS
from rdmc.data.samples import photo_credit, sample_image
from rdmc.digests import sha256_of
from rdmc.imageio import write_image
from rdmc.zoo import derainer_fingerprint


def make_suite(tmp_path: Path, derainers=("identity",), images=("astronaut", "grace_hopper", "cameraman"),
               **dataset_extra) -> Path:  # fmt: skip
    data = tmp_path / "images"
    for name in images:
        photo = sample_image(name)
        write_image(data / f"{name}.png", photo[::2, ::2])
    suite = {
        "name": "test",
        "dataset": {"type": "folder", "root": str(data), **dataset_extra},
        "rain": [{"preset": "heavy", "severities": [3, 5]}],
        "derainers": list(derainers),
        "detectors": ["yolov3-tiny"],
        "segmenters": ["selfie-segmentation"],
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def records(results: Path) -> list[dict]:
    return json.loads(results.read_text())["records"]


def value(recs, condition, metric, rain="heavy/s3", task=None) -> float:
    return next(r["value"] for r in recs if r["condition"] == condition and r["metric"] == metric
                and r["rain"] == rain and (task is None or r["task"] == task))  # fmt: skip


def test_smoke_suite_end_to_end(tmp_path, capsys):
    assert (
        main(["bench", "smoke", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")])
        == 0
    )
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    recs, meta = data["records"], data["meta"]
    assert value(recs, "clean", "mAP", rain="none") == 100.0
    assert value(recs, "clean", "mIoU", rain="none") == 100.0
    assert value(recs, "rainy", "mIoU") < 100.0 and value(recs, "rainy", "mAP") < 100.0
    assert value(recs, "rainy", "PSNR") < 20
    assert all(r["unit"] in ("%", "dB", "1") for r in recs)
    assert all("pseudo" in r["gt"] for r in recs if r["task"] in ("detection", "segmentation"))
    for key in (
        "versions",
        "git_commit",
        "derainers",
        "models",
        "machine",
        "timings",
        "ground_truth",
    ):
        assert key in meta
    assert meta["ground_truth"]["detection"].startswith("pseudo")
    assert len(meta["dataset"]["manifest_sha256"]) == 64
    assert "results:" in capsys.readouterr().out
    main_metrics = ("PSNR", "SSIM", "mAP", "mAP50", "mIoU", "recovery(mAP)", "recovery(mIoU)")
    for r in recs:
        if r["metric"] in main_metrics and r["value"] is not None:
            lo, hi = r["ci95"]
            # mmdet's CocoMetric rounds its stats to 3 decimals (0.05 points in %), mmseg's
            # IoUMetric to 2 (0.005 points: seen when one image is scored, the selfie
            # segmenter's one person photo); the bootstrap replicates are not rounded
            slack = {
                "mAP": 0.05,
                "mAP50": 0.05,
                "recovery(mAP)": 0.001,
                "mIoU": 0.005,
                "recovery(mIoU)": 1e-4,
            }
            slack = slack.get(r["metric"], 1e-9)
            assert lo - slack <= r["value"] <= hi + slack, r
        if r["condition"] not in ("clean", "rainy") and r["metric"] in ("PSNR", "mAP", "mIoU"):
            assert r["vs_rainy"]["verdict"] in ("better", "worse", "no difference")
    per_class = [
        r for r in recs if r["metric"].startswith(("AP[", "IoU[")) and r["value"] is not None
    ]
    assert per_class and all(r["ci95"] is not None for r in per_class if r["condition"] != "clean")
    identity = [r for r in recs if r["condition"] == "identity" and "vs_rainy" in r]
    assert identity and all(r["vs_rainy"]["verdict"] == "no difference" for r in identity)
    assert not any("replicates" in r for r in recs)
    # The gallery credits each embedded photo with its license, and the report shows it.
    assert all(item["credit"] == photo_credit(Path(item["image"]).stem) for item in meta["gallery"])
    assert main(["report", str(tmp_path / "out"), "-o", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    first = next(p for p in PHOTOS if p.name == Path(meta["gallery"][0]["image"]).stem)
    assert f"Photo: {first.credit}, {first.license}" in html.unescape(page)


def test_identical_rerun_recomputes_nothing(tmp_path, monkeypatch):
    suite = make_suite(tmp_path)
    first = run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache")

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached result was recomputed")

    monkeypatch.setattr("downstream.detection.Detector.__call__", must_not_run)
    monkeypatch.setattr("downstream.segmentation.Segmenter.__call__", must_not_run)
    monkeypatch.setattr("rdmc.inference.Derainer.__call__", must_not_run)
    monkeypatch.setattr(bench_conditions, "add_rain", must_not_run)
    second = run_bench(
        suite, tmp_path / "out", resume=True, progress=False, cache_dir=tmp_path / "cache"
    )
    meta = json.loads(second.read_text())["meta"]
    assert meta["timings"]["cells_from_cache"] == meta["timings"]["cells"]
    assert records(first) == records(second)


def test_changing_one_derainer_recomputes_only_its_cells(tmp_path, tiny_checkpoint):
    suite = make_suite(tmp_path, derainers=("identity", str(tiny_checkpoint)))
    first = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache").read_text()
    )
    state = torch.load(tiny_checkpoint, weights_only=True)
    state["state_dict"] = {
        k: v * 1.01 if v.is_floating_point() else v for k, v in state["state_dict"].items()
    }
    torch.save(state, tiny_checkpoint)
    data = json.loads(
        run_bench(
            suite, tmp_path / "out", resume=True, progress=False, cache_dir=tmp_path / "cache"
        ).read_text()
    )
    meta = data["meta"]
    # the derainer's model id follows its weights, in meta and on each of its records
    before, after = first["meta"]["derainer_ids"], meta["derainer_ids"]
    name = str(tiny_checkpoint)
    assert before["identity"] == after["identity"] == "identity"
    assert after[name] == f"tiny@{sha256_of(tiny_checkpoint)[:7]}" != before[name]
    assert {r["derainer_id"] for r in data["records"] if r["condition"] == name} == {after[name]}
    # per rain setting (2): restoration, detection, segmentation and quality cells of the
    # changed derainer
    assert meta["timings"]["cells"] - meta["timings"]["cells_from_cache"] == 2 * 4


def test_a_crashed_run_keeps_its_cells_and_resumes(tmp_path, monkeypatch):
    suite = make_suite(tmp_path)
    calls = {"n": 0}
    original = bench_cells.task_records

    def crash_after_three(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt("killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(bench_cells, "task_records", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache")
    partial = records(tmp_path / "out" / "results.json")
    assert any(r["task"] == "detection" for r in partial)  # written before the crash
    monkeypatch.setattr(bench_cells, "task_records", original)
    with pytest.raises(BenchError, match="pass --resume"):
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache")
    meta = json.loads(
        run_bench(
            suite, tmp_path / "out", resume=True, progress=False, cache_dir=tmp_path / "cache"
        ).read_text()
    )["meta"]
    assert meta["timings"]["cells_from_cache"] >= 3 + 2  # scored cells and restoration cells reused


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_give_the_single_process_results(tmp_path):
    suite = make_suite(tmp_path, images=("astronaut", "grace_hopper", "cameraman", "chelsea"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "rdmc", "bench", str(suite), "--out", str(tmp_path / "ddp"),
           "--cache-dir", str(tmp_path / "cache-ddp")]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    single = run_bench(
        suite, tmp_path / "single", progress=False, cache_dir=tmp_path / "cache-single"
    )
    ddp = json.loads((tmp_path / "ddp" / "results.json").read_text())
    assert ddp["meta"]["machine"]["processes"] == 2
    assert ddp["records"] == records(single)


def test_bad_input_is_one_line_and_nonzero(tmp_path, capsys):
    cases = [
        (["bench", "no-such-suite", "--out", str(tmp_path / "a")], "no such suite"),
    ]
    missing = yaml.safe_load(make_suite(tmp_path).read_text())
    missing["dataset"]["root"] = str(tmp_path / "nowhere")
    (tmp_path / "missing.yaml").write_text(yaml.safe_dump(missing))
    cases.append(
        (["bench", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "b")], "does not exist")
    )
    unknown = dict(
        missing, dataset={"type": "folder", "root": str(tmp_path / "images")}, detectors=["yolo-xl"]
    )
    (tmp_path / "unknown.yaml").write_text(yaml.safe_dump(unknown))
    cases.append(
        (
            ["bench", str(tmp_path / "unknown.yaml"), "--out", str(tmp_path / "c")],
            "unknown detection model",
        )
    )
    coco = {"images": [{"id": 1, "file_name": "not_here.png", "width": 5, "height": 5}],
            "annotations": [], "categories": [{"id": 1, "name": "person"}]}  # fmt: skip
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    mismatched = dict(unknown, detectors=["yolov3-tiny"])
    mismatched["dataset"] = dict(unknown["dataset"], coco_json=str(tmp_path / "ann.json"))
    (tmp_path / "mismatch.yaml").write_text(yaml.safe_dump(mismatched))
    cases.append(
        (
            ["bench", str(tmp_path / "mismatch.yaml"), "--out", str(tmp_path / "d")],
            "not in the dataset",
        )
    )
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err and "Traceback" not in err, err


def test_a_bad_image_is_reported_and_skipped(tmp_path):
    suite = make_suite(tmp_path, images=("astronaut",))
    (tmp_path / "images" / "broken.png").write_bytes(b"garbage")
    meta = json.loads(
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache").read_text()
    )["meta"]
    assert meta["dataset"]["images"] == ["astronaut.png"]
    assert "broken.png" in meta["dataset"]["skipped"][0]
    # The results say what data they were made on: names and contents of the scored images.
    content = hashlib.sha256((tmp_path / "images" / "astronaut.png").read_bytes()).hexdigest()
    expected = hashlib.sha256(f"astronaut.png {content}".encode()).hexdigest()
    assert meta["dataset"]["sha256"] == expected


def test_builtin_suites_load():
    default = load_suite("default")
    assert {p for p, _ in default.rain_settings()} == {"light", "heavy"}
    assert sorted({s for _, s in default.rain_settings()}) == [1, 3, 5]
    assert default.detectors == ["yolov3-tiny", "yolov4-tiny"]
    assert default.segmenters == ["selfie-segmentation", "selfie-segmentation-landscape"]
    assert "rdmc-s" in default.derainers
    baselines = load_suite("baselines")
    assert baselines.rain_settings() == [("light", 3), ("heavy", 3)]
    # every learned baseline is a shipped checkpoint, usable by name
    assert {"prenet", "restormer-lite", "rdmc-s"} <= set(baselines.derainers)
    assert all(derainer_fingerprint(d) for d in baselines.derainers)


# ---------------------------------------------------------------- trust: keys, caches, inputs


def small_suite(tmp_path: Path, name: str = "suite.yaml", images=("grace_hopper",), **dataset):
    data = tmp_path / "images"
    for image in images:
        photo = sample_image(image)
        write_image(data / f"{image}.png", photo[::2, ::2])
    suite = {"name": "small", "dataset": {"type": "folder", "root": str(data), **dataset},
             "rain": [{"preset": "heavy", "severities": [3]}], "derainers": ["identity"],
             "detectors": ["yolov3-tiny"]}  # fmt: skip
    path = tmp_path / name
    path.write_text(yaml.safe_dump(suite))
    return path


def _coco_for(tmp_path: Path, name: str, boxes: list[list[float]]) -> Path:
    data = {"images": [{"id": 1, "file_name": "grace_hopper.png"}],
            "categories": [{"id": 1, "name": "person"}],
            "annotations": [{"id": i, "image_id": 1, "category_id": 1, "bbox": b}
                            for i, b in enumerate(boxes)]}  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_cell_keys_cover_the_ground_truth(tmp_path):
    ann = _coco_for(tmp_path, "ann.json", [[20, 10, 200, 240]])
    suite = small_suite(tmp_path, coco_json=str(ann))
    cache = tmp_path / "cache"
    first = records(run_bench(suite, tmp_path / "a", progress=False, cache_dir=cache))
    ann.write_text(_coco_for(tmp_path, "other.json", [[0, 0, 20, 20], [100, 100, 30, 30]])
                   .read_text())  # fmt: skip
    changed = records(run_bench(suite, tmp_path / "b", progress=False, cache_dir=cache))
    fresh = records(run_bench(suite, tmp_path / "c", progress=False, cache_dir=tmp_path / "new"))
    assert changed == fresh
    assert value(changed, "clean", "mAP", rain="none") != value(first, "clean", "mAP", rain="none")
    without = yaml.safe_load(suite.read_text())
    del without["dataset"]["coco_json"]
    suite.write_text(yaml.safe_dump(without))
    pseudo = json.loads(run_bench(suite, tmp_path / "d", progress=False, cache_dir=cache)
                        .read_text())  # fmt: skip
    assert pseudo["meta"]["ground_truth"]["detection"].startswith("pseudo")
    assert all(r["gt"].startswith("pseudo") for r in pseudo["records"] if r["task"] == "detection")


def test_a_corrupt_cache_entry_is_recomputed(tmp_path, capsys):
    suite = small_suite(tmp_path)
    cache = tmp_path / "cache"
    first = records(run_bench(suite, tmp_path / "a", progress=False, cache_dir=cache))
    entries = sorted(cache.rglob("*.npz")) + sorted((cache / "cells").rglob("*.json"))
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
    capsys.readouterr()
    again = run_bench(suite, tmp_path / "a", resume=True, progress=False, cache_dir=cache)
    assert records(again) == first
    warnings = [line for line in capsys.readouterr().err.splitlines() if "unreadable" in line]
    assert len(warnings) == len(entries)  # each named once, then rewritten
    meta = json.loads(run_bench(suite, tmp_path / "a", resume=True, progress=False,
                                cache_dir=cache).read_text())["meta"]  # fmt: skip
    assert meta["timings"]["cells_from_cache"] == meta["timings"]["cells"]


def test_too_small_images_are_skipped_and_an_empty_dataset_is_one_error(tmp_path, capsys):
    suite = small_suite(tmp_path)
    write_image(tmp_path / "images" / "dot.png", np.zeros((1, 1, 3), np.uint8))
    assert main(["bench", str(suite), "--out", str(tmp_path / "a"),
                 "--cache-dir", str(tmp_path / "cache")]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "dot.png: 1x1 pixels, smaller than the 11x11 SSIM window" in err
    meta = json.loads((tmp_path / "a" / "results.json").read_text())["meta"]
    assert meta["dataset"]["images"] == ["grace_hopper.png"] and meta["complete"] is True
    (tmp_path / "images" / "grace_hopper.png").write_bytes(b"not an image")
    assert main(["bench", str(suite), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err.strip()
    assert "no usable image (2 skipped" in err and "\n" not in err
    assert not (tmp_path / "b" / "results.json").exists()


def test_partial_results_are_marked_incomplete(tmp_path, monkeypatch):
    suite = small_suite(tmp_path)
    original = bench_cells.task_records

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(bench_cells, "task_records", crash)
    with pytest.raises(KeyboardInterrupt):
        run_bench(suite, tmp_path / "out", progress=False, cache_dir=tmp_path / "cache")
    assert json.loads((tmp_path / "out" / "results.json").read_text())["meta"]["complete"] is False
    monkeypatch.setattr(bench_cells, "task_records", original)
    done = run_bench(suite, tmp_path / "out", resume=True, progress=False,
                     cache_dir=tmp_path / "cache")  # fmt: skip
    assert json.loads(done.read_text())["meta"]["complete"] is True


def test_a_wrong_architecture_checkpoint_is_one_line_before_anything_runs(tmp_path, capsys):
    from rdmc.registry import build_model

    tiny = {"type": "RDMC", "widths": [4, 4, 4, 4, 4], "dilations": [1, 2], "stages": 2}
    wrong = dict(tiny, widths=[8, 8, 8, 8, 8])
    path = tmp_path / "wrong.pth"
    torch.save({"meta": {"arch": dict(tiny)},
                "state_dict": build_model(dict(wrong)).state_dict()}, path)  # fmt: skip
    data = yaml.safe_load(small_suite(tmp_path).read_text())
    data["derainers"] = [str(path)]
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump(data))
    assert main(["bench", str(tmp_path / "wrong.yaml"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert f"{path}: weights do not fit its architecture RDMC" in err and "\n" not in err
    assert not (tmp_path / "o" / "results.json").exists()
    assert main(["derain", str(tmp_path / "images"), "-o", str(tmp_path / "d"),
                 "--model", str(path)]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert "weights do not fit" in err and "\n" not in err


def test_cell_keys_cover_the_scoring_code(monkeypatch):
    import importlib.metadata

    base = bench_cells.scoring_code()
    assert bench_cells.scoring_code() == base
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "9.9" if name == "pycocotools" else real(name))  # fmt: skip
    assert bench_cells.scoring_code() != base
    monkeypatch.undo()
    monkeypatch.setattr(bench_cells, "SCORING_VERSION", "cells-other")
    assert bench_cells.scoring_code() != base


def test_image_and_prediction_keys_cover_their_code(tmp_path, monkeypatch):
    """Editing the rain synthesis (here a stand-in module) changes every rainy and derained
    key, so no stale image is served from the cache; the device is part of the keys too."""
    from downstream.cache import Cache

    fake = tmp_path / "code" / "fake_rain_code.py"
    fake.parent.mkdir()
    fake.write_text("STREAKS = 1\n")
    monkeypatch.syspath_prepend(str(fake.parent))
    monkeypatch.setattr(bench_conditions, "RAIN_CODE", ("fake_rain_code",))
    suite = load_suite(small_suite(tmp_path))
    dataset = bench_runner.load_dataset(suite.dataset)
    image = dataset.images[0]
    conditions = bench_conditions.conditions_of(suite, dataset)
    rainy, derained = conditions[1:3]
    cache = Cache(tmp_path / "cache")
    before = bench_conditions.ConditionImages(suite, cache, "cpu")
    fake.write_text("STREAKS = 2\n")
    after = bench_conditions.ConditionImages(suite, cache, "cpu")
    for c in (rainy, derained):
        assert before.key(image, c) != after.key(image, c)
    assert before.key(image, conditions[0]) == image.key
    compiled = bench_conditions.ConditionImages(suite, cache, "cpu", compile=True)
    assert compiled.key(image, derained) != after.key(image, derained)
    assert compiled.key(image, rainy) == after.key(image, rainy)
    models = {d: bench_task_models.task_models(suite, d)[0].code for d in ("cpu", "cuda")}
    assert models["cpu"] != models["cuda"]


def test_shards_cover_the_work_once_and_balance_it():
    from downstream.datasets import Dataset, Image

    suite = load_suite("smoke")
    images = [Image(f"{i}.png", str(i), Path(f"{i}.png"), (100 + 50 * i, 200)) for i in range(3)]
    conditions = bench_conditions.conditions_of(suite, Dataset("three", images))
    shards = [bench_runner.shard_of(images, conditions, rank, 2) for rank in range(2)]
    units = [(im.name, c) for shard in shards for group in shard for im, c in group]
    assert sorted(units, key=str) == sorted(
        [(im.name, c) for im in images for c in conditions], key=str
    )
    for shard in shards:  # a rainy copy is made before the derained copies that read it
        for group in shard:
            assert [c.derainer is None for _, c in group][:1] == [True]
    work = [sum(im.shape[0] * im.shape[1] for g in s for im, _ in g) for s in shards]
    assert max(work) / min(work) < 1.5  # by image count it would be 2 images against 1


# ---------------------------------------------------------------- trust: locks, names, scope


def test_a_second_run_into_a_locked_output_folder_is_refused(tmp_path):
    from rdmc.locking import exclusive

    out = tmp_path / "out"
    with exclusive(out):  # as another `rdmc bench` holds it
        with pytest.raises(BenchError, match=f"{out}: in use by pid {os.getpid()} on ") as error:
            run_bench(small_suite(tmp_path), out, progress=False, cache_dir=tmp_path / "c")
    assert "\n" not in str(error.value) and not (out / "results.json").exists()
    run_bench(small_suite(tmp_path), out, progress=False, cache_dir=tmp_path / "c")  # released


def test_a_suite_derainer_named_like_a_reference_condition_is_refused(tmp_path):
    suite = yaml.safe_load(small_suite(tmp_path).read_text())
    for name in ("rainy", "clean", "none"):
        suite["derainers"] = [{"name": name, "outputs": str(tmp_path)}]
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(suite))
        with pytest.raises(BenchError, match=f"derainers\\[0\\]: '{name}' names a reference"):
            load_suite(path)


def test_a_non_utf8_file_name_in_a_dataset_is_named_and_skipped(tmp_path):
    path = small_suite(tmp_path)
    folder = tmp_path / "images"
    (folder / os.fsdecode(b"\xff.png")).write_bytes((folder / "grace_hopper.png").read_bytes())
    results = json.loads(
        run_bench(path, tmp_path / "out", progress=False, cache_dir=tmp_path / "c").read_text()
    )
    assert results["meta"]["dataset"]["images"] == ["grace_hopper.png"]
    (skipped,) = results["meta"]["dataset"]["skipped"]
    assert "\\xff.png: the file name is not valid UTF-8" in skipped


def test_segmenters_are_scored_only_on_the_photos_that_show_their_classes():
    from types import SimpleNamespace

    from downstream.datasets import load_dataset

    dataset = load_dataset({"type": "samples", "split": "test"})
    person = SimpleNamespace(
        task="segmentation", model=SimpleNamespace(classes=["background", "person"])
    )
    scored, rule = bench_cells.scored_images(dataset, person)
    assert sorted(Path(im.name).stem for im in scored) == sorted(
        [
            "astronaut",
            "grace_hopper",
            "cameraman",
            "basketball1",
            "basketball2",
            "building",
            "messi",
        ]
    )
    assert "catalogue tags" in rule
    detector = SimpleNamespace(task="detection", model=None)
    assert bench_cells.scored_images(dataset, detector)[0] == dataset.images
    city = SimpleNamespace(task="segmentation", model=SimpleNamespace(classes=["road", "car"]))
    assert [Path(im.name).stem for im in bench_cells.scored_images(dataset, city)[0]] == [
        "building"
    ]


def test_the_gallery_shows_the_rain_where_derainers_differ_most():
    def psnr(derainer, rain, v):
        return {"derainer": derainer, "rain": rain, "metric": "PSNR", "value": v}

    settings = ["light/s3", "heavy/s3"]
    records = [
        psnr("a", "light/s3", 30.0),
        psnr("b", "light/s3", 31.0),
        psnr("a", "heavy/s3", 20.0),
        psnr("b", "heavy/s3", 26.0),
        psnr("none", "heavy/s3", 10.0),
    ]
    assert bench_runner.gallery_rain(settings, records) == "heavy/s3"
    assert bench_runner.gallery_rain(["light/s3", "heavy/s3", "heavy/s5"], []) == "heavy/s3"


def test_a_users_detector_config_keys_its_base_configs(tmp_path):
    """A detector of one's own (`{name, config, checkpoint}`) whose config inherits a base
    file: an edit to the base alone changes the model's fingerprint, so its predictions."""
    import shutil

    from downstream.detection import EMBEDDED_DETECTORS, darknet_checkpoint

    shutil.copy(EMBEDDED_DETECTORS["yolov3-tiny"], tmp_path / "base.py")
    (tmp_path / "mine.py").write_text("_base_ = ['base.py']\n")
    suite = yaml.safe_load(small_suite(tmp_path).read_text())
    suite["detectors"] = [{"name": "mine", "config": str(tmp_path / "mine.py"),
                           "checkpoint": str(darknet_checkpoint("yolov3-tiny"))}]  # fmt: skip
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(suite))

    def fingerprint() -> str:
        (model,) = bench_task_models.task_models(load_suite(tmp_path / "own.yaml"), "cpu")
        return model.fingerprint

    before = fingerprint()
    assert fingerprint() == before
    base = tmp_path / "base.py"
    base.write_text(base.read_text().replace("score_thr=0.05", "score_thr=0.01"))
    assert fingerprint() != before
