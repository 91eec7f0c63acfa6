"""Dataset layouts (fixture trees built here), paired and synthetic datasets, the sample set."""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tarfile

import cv2
import numpy as np
import pytest
import torch

from rdmc.cli import main
from rdmc.data import PairedRainDataset, SyntheticRainDataset, detect_layout, find_pairs
from rdmc.data.layouts import LayoutError
from rdmc.data.samples import (
    MAX_SIDE,
    PHOTOS,
    SPLITS,
    load_manifest,
    prepare_samples,
    sample_image,
    samples_dir,
)
from rdmc.imageio import read_image, write_image
from rdmc.registry import DATASETS

H, W = 24, 32


def img(value: int, w: int = W) -> np.ndarray:
    return np.full((H, w, 3), value, np.uint8)


def make(root, files: dict[str, np.ndarray]):
    for rel, array in files.items():
        write_image(root / rel, array)
    return root


LAYOUT_TREES = {
    "rain100_one_folder": (
        "rain100",
        {"rain-001.png": img(200), "norain-001.png": img(100), "rain-002.png": img(201), "norain-002.png": img(101)},
    ),
    "rain100_subfolders": (
        "rain100",
        {"rain/rain-1.png": img(200), "norain/norain-1.png": img(100), "rain/rain-2.png": img(201), "norain/norain-2.png": img(101)},
    ),
    "Rain1400": (
        "rain1400",
        {"rainy_image/1_1.jpg": img(200), "rainy_image/1_2.jpg": img(200), "rainy_image/2_1.jpg": img(201),
         "ground_truth/1.jpg": img(100), "ground_truth/2.jpg": img(101)},
    ),
    "rain12": ("rain12", {"1_in.png": img(200), "1_GT.png": img(100), "2_in.png": img(201), "2_GT.png": img(101)}),
    "spa_test": ("spa", {"rain/a1.png": img(200), "gt/a1gt.png": img(100), "rain/a2.png": img(201), "gt/a2gt.png": img(101)}),
    "generic": ("paired", {"input/x.png": img(200), "target/x.png": img(100), "input/y.png": img(201), "target/y.png": img(101)}),
    "lq_gt": ("paired", {"lq/x.png": img(200), "gt/x.png": img(100)}),
    "Rain800/test_syn": ("rain800", {"1.jpg": np.concatenate([img(100), img(200)], 1), "2.jpg": np.concatenate([img(101), img(201)], 1)}),
    "DID-MDN-test": ("did", {"1.png": np.concatenate([img(200), img(100)], 1)}),
}  # fmt: skip


@pytest.mark.parametrize("tree", sorted(LAYOUT_TREES))
def test_every_layout_is_detected_and_paired(tmp_path, tree):
    layout, files = LAYOUT_TREES[tree]
    root = make(tmp_path / tree, files)
    assert detect_layout(root) == layout
    found = find_pairs(root)
    rainy_files = [f for f in files if f.split("/")[-1].startswith(("rain", "1_in", "2_in")) or
                   f.startswith(("rainy_image/", "input/", "lq/", "rain/")) or layout in ("rain800", "did")]  # fmt: skip
    assert len(found.pairs) == len(set(rainy_files)) and not found.unmatched
    ds = PairedRainDataset(root)
    for i in range(len(ds)):
        item = ds[i]
        assert item["rainy"].shape == item["clean"].shape == (3, H, W)
        # Every fixture has rainy images brighter (200) than clean ones (100).
        assert item["rainy"].mean() > 0.75 and item["clean"].mean() < 0.45, (tree, item["name"])


def test_concat_order_can_be_overridden(tmp_path):
    root = make(tmp_path / "rain800", {"1.png": np.concatenate([img(200), img(100)], 1)})
    item = PairedRainDataset(root, concat_order="rainy_clean")[0]
    assert item["rainy"].mean() > 0.75


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="empty: no images found"):
        find_pairs(tmp_path / "empty")


def test_unmatched_files_are_listed(tmp_path, caplog):
    root = make(
        tmp_path / "ds",
        {"rain/a.png": img(200), "norain/a.png": img(100), "rain/orphan.png": img(200)},
    )
    with caplog.at_level(logging.WARNING):
        ds = PairedRainDataset(root)
    assert len(ds) == 1
    assert [p.name for p in ds.unmatched] == ["orphan.png"]
    assert "orphan.png" in caplog.text


def test_nothing_paired_is_an_error(tmp_path):
    root = make(tmp_path / "ds", {"rain/a.png": img(200), "norain/b.png": img(100)})
    with pytest.raises(LayoutError, match="no rainy/clean pairs"):
        find_pairs(root)


def test_unreadable_file_is_named_and_skipped(tmp_path, caplog):
    root = make(
        tmp_path / "ds",
        {"rain/a.png": img(200), "norain/a.png": img(100), "norain/b.png": img(101)},
    )
    (root / "rain" / "b.png").write_bytes(b"broken")
    ds = PairedRainDataset(root)
    with caplog.at_level(logging.WARNING):
        items = [ds[i] for i in range(len(ds))]
    assert "b.png" in caplog.text and "not a readable image" in caplog.text
    assert all(item["name"] == "a.png" for item in items)


def test_training_crops_and_flips(tmp_path, photos):
    clean = photos["coffee"][:60, :90]
    rainy = clean.copy()
    rainy[:, :, 0] = 255
    root = make(tmp_path / "ds", {"input/x.png": rainy, "target/x.png": clean})
    ds = PairedRainDataset(root, patch_size=32, flip=True, seed=1)
    item = ds[0]
    assert item["rainy"].shape == (3, 32, 32)
    assert torch.allclose(item["rainy"][1:], item["clean"][1:])  # same crop and flip for both


def test_datasets_are_built_from_config(tmp_path, photos):
    make(
        tmp_path / "clean",
        {"a.png": photos["coffee"][:40, :40], "b.png": photos["chelsea"][:40, :40]},
    )
    ds = DATASETS.build(
        dict(
            type="SyntheticRainDataset",
            _scope_="rdmc",
            root=str(tmp_path / "clean"),
            mode="test",
            presets=["heavy"],
        )
    )
    assert isinstance(ds, SyntheticRainDataset) and len(ds) == 2


def test_synthetic_pairs_fixed_for_test_random_for_train(tmp_path, photos):
    make(tmp_path / "clean", {"a.png": photos["coffee"][:64, :64]})
    test_a = SyntheticRainDataset(tmp_path / "clean", mode="test", presets=("heavy",), seed=3)
    test_b = SyntheticRainDataset(tmp_path / "clean", mode="test", presets=("heavy",), seed=3)
    assert torch.equal(test_a[0]["rainy"], test_b[0]["rainy"])
    assert torch.equal(test_a[0]["rainy"], test_a[0]["rainy"])
    train = SyntheticRainDataset(
        tmp_path / "clean", mode="train", patch_size=32, flip=True, repeat=4
    )
    assert len(train) == 4
    draws = [train[0]["rainy"] for _ in range(3)]
    assert draws[0].shape == (3, 32, 32)
    assert not torch.equal(draws[0], draws[1]) or not torch.equal(draws[1], draws[2])


def test_clean_fraction_leaves_that_share_of_training_patches_rain_free(tmp_path, photos):
    make(tmp_path / "clean", {"a.png": photos["coffee"][:64, :64]})
    train = SyntheticRainDataset(tmp_path / "clean", patch_size=32, repeat=400, clean_fraction=0.25)
    samples = [train[i] for i in range(400)]
    rain_free = [s for s in samples if s["rain"] == "none"]
    assert all(torch.equal(s["rainy"], s["clean"]) for s in rain_free)
    rained = [s for s in samples if s["rain"] != "none"]
    # (a 32-px patch of light rain may miss every streak)
    assert sum(not torch.equal(s["rainy"], s["clean"]) for s in rained) > 0.8 * len(rained)
    assert 70 <= len(rain_free) <= 130  # 100 expected
    assert {s["rain"] for s in samples} == {"none", "light", "heavy"}
    with pytest.raises(ValueError, match="clean_fraction must be in"):
        SyntheticRainDataset(tmp_path / "clean", clean_fraction=1.0)


def test_test_mode_with_several_presets_scores_every_image_under_each(tmp_path, photos):
    make(
        tmp_path / "clean",
        {"a.png": photos["coffee"][:64, :64], "b.png": photos["chelsea"][:64, :64]},
    )
    both = SyntheticRainDataset(tmp_path / "clean", mode="test", presets=("heavy", "light"))
    heavy = SyntheticRainDataset(tmp_path / "clean", mode="test", presets=("heavy",))
    light = SyntheticRainDataset(tmp_path / "clean", mode="test", presets=("light",))
    assert len(both) == 4 and len(heavy) == 2
    for i in range(2):
        assert torch.equal(both[i]["rainy"], heavy[i]["rainy"])
        assert torch.equal(both[2 + i]["rainy"], light[i]["rainy"])
        assert (both[i]["rain"], both[2 + i]["rain"]) == ("heavy", "light")


def test_cached_images_give_the_same_samples_and_stay_unchanged(tmp_path, photos):
    make(tmp_path / "clean", {"a.png": photos["coffee"][:64, :64]})
    kwargs = dict(mode="train", patch_size=32, flip=True, seed=5)
    plain = SyntheticRainDataset(tmp_path / "clean", **kwargs)
    cached = SyntheticRainDataset(tmp_path / "clean", cache_images=True, **kwargs)
    for _ in range(4):
        a, b = plain[0], cached[0]
        assert torch.equal(a["rainy"], b["rainy"]) and torch.equal(a["clean"], b["clean"])
    (image,) = cached._decoded.values()
    assert not image.flags.writeable  # no sample can alter the photo the next one is cut from
    assert np.array_equal(image, photos["coffee"][:64, :64])


def _psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


def test_training_patches_hold_the_rain_of_their_photo(photos):
    """A patch cut from a rainy photo and a patch rained at the photo's streak scale carry
    the same rain (median PSNR within 0.5 dB); rain sized for the patch is far lighter."""
    from rdmc.rain import add_rain

    rng = np.random.default_rng(0)
    photo = cv2.resize(photos["chelsea"], (960, 900))
    rained = add_rain(photo, "heavy", 3, seed=0).rainy
    cut, photo_scale, patch_scale = [], [], []
    for k in range(12):
        y, x = rng.integers(0, 900 - 128), rng.integers(0, 960 - 128)
        clean = photo[y : y + 128, x : x + 128]
        cut.append(_psnr_u8(rained[y : y + 128, x : x + 128], clean))
        photo_scale.append(_psnr_u8(add_rain(clean, "heavy", 3, k + 1, None, 900).rainy, clean))
        patch_scale.append(_psnr_u8(add_rain(clean, "heavy", 3, k + 1).rainy, clean))
    assert abs(np.median(photo_scale) - np.median(cut)) < 0.5
    assert np.median(patch_scale) > np.median(cut) + 4.0


def test_training_streak_scale_is_the_photo_unless_asked(tmp_path, photos):
    make(tmp_path / "clean", {"a.png": cv2.resize(photos["chelsea"], (960, 900))})
    kwargs = dict(mode="train", presets=("heavy",), patch_size=128, seed=2)
    photo = SyntheticRainDataset(tmp_path / "clean", **kwargs)
    patch = SyntheticRainDataset(tmp_path / "clean", streak_scale="patch", **kwargs)
    assert photo.streak_scale == "photo"

    def median_psnr(dataset: SyntheticRainDataset) -> float:
        samples = [dataset[0] for _ in range(8)]
        return float(np.median([_psnr_u8(s["rainy"].numpy() * 255, s["clean"].numpy() * 255)
                                for s in samples]))  # fmt: skip

    assert median_psnr(patch) > median_psnr(photo) + 4.0
    with pytest.raises(ValueError, match="streak_scale"):
        SyntheticRainDataset(tmp_path / "clean", streak_scale="tile")


def test_sample_set_splits_are_disjoint_by_source_and_licensed():
    names = [p.name for p in PHOTOS]
    assert len(names) == len(set(names))
    crops = [(p.package, p.file, p.crop) for p in PHOTOS]
    assert len(crops) == len(set(crops)), "one crop of one file listed twice"
    split_of_source: dict[str, set[str]] = {}
    for p in PHOTOS:
        split_of_source.setdefault(p.source, set()).add(p.split)
        split_of_file = {q.split for q in PHOTOS if (q.package, q.file) == (p.package, p.file)}
        assert len(split_of_file) == 1, f"{p.file} is cut into crops of two splits"
    assert all(len(s) == 1 for s in split_of_source.values()), "a source photo in two splits"
    assert {p.split for p in PHOTOS} == set(SPLITS)
    for p in PHOTOS:
        assert "NC" not in p.license.upper() and p.credit, p  # no non-commercial terms
        assert p.from_debian == (p.package not in ("scikit-image", "scikit-learn", "matplotlib"))
        assert not p.from_debian or len(p.sha256) == 64, p
        # held out for independent evaluation: never in a split
        assert "darknet" not in p.package and "vtest" not in p.file, p
    test_contents = " ".join(p.contents for p in PHOTOS if p.split == "test")
    assert "person" in test_contents and "cat" in test_contents


@pytest.fixture
def prepared(tmp_path):
    """A copy of the session's prepared sample set (preparing from scratch takes ~20 s)."""
    session = samples_dir()
    prepare_samples()
    shutil.copytree(session, tmp_path / "samples")
    return tmp_path


def test_prepared_set_meets_the_split_sizes():
    manifest = load_manifest()
    assert manifest["missing"] == [], manifest["missing"]
    assert len(manifest["images"]) == len(PHOTOS)
    assert manifest["counts"]["test"] >= 25
    assert manifest["counts"]["val"] >= 8
    assert manifest["counts"]["train"] >= 45
    assert set(manifest["debian_packages"]) == {p.package for p in PHOTOS if p.from_debian}
    for entry in manifest["images"]:
        assert entry["license"] and entry["package"] and len(entry["sha256"]) == 64


def test_prepare_samples_is_idempotent(prepared):
    root = prepare_samples(prepared)
    stamp = (root / "test" / "astronaut.png").stat().st_mtime_ns
    prepare_samples(prepared)
    assert (root / "test" / "astronaut.png").stat().st_mtime_ns == stamp
    (root / "test" / "astronaut.png").unlink()
    (root / "test" / "not_in_the_set.png").write_bytes(b"stale")
    prepare_samples(prepared)
    assert (root / "test" / "astronaut.png").is_file()
    assert not (root / "test" / "not_in_the_set.png").exists()


def test_photos_are_real_photographs():
    manifest = load_manifest()
    for entry in manifest["images"]:
        img = sample_image(entry["name"])
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
        assert min(img.shape[:2]) >= 256, entry["name"]
        assert max(img.shape[:2]) <= MAX_SIDE[entry["split"]], entry["name"]
        assert len(np.unique(img)) > 64, entry["name"]  # continuous tones, not a drawing


def test_cli_data_prepare_list_and_check(prepared, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RDMC_CACHE_DIR", str(prepared))
    assert main(["data", "prepare"]) == 0
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert f"test ({load_manifest()['counts']['test']} photos from" in out
    assert "astronaut" in out and "public domain" in out and "opencv-doc" in out
    make(tmp_path / "ds", {"rain-1.png": img(200), "norain-1.png": img(100)})
    assert main(["data", "check", str(tmp_path / "ds")]) == 0
    assert "layout 'rain100', 1 pairs" in capsys.readouterr().out


def test_prepare_samples_verifies_every_file_by_hash(prepared):
    root = prepare_samples(prepared)
    photo = root / "test" / "astronaut.png"
    good = photo.read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0xFF  # same size, one byte changed
    photo.write_bytes(bytes(flipped))
    prepare_samples(prepared)
    assert photo.read_bytes() == good


def _deb(path, files: dict[str, bytes]) -> None:
    """A minimal Debian package: an ar archive with debian-binary, control and data tars."""

    def tar_xz(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo("./" + name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    out = bytearray(b"!<arch>\n")
    for name, data in [
        ("debian-binary", b"2.0\n"),
        ("control.tar.xz", tar_xz({})),
        ("data.tar.xz", tar_xz(files)),
    ]:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode() + data
        out += b"\n" if len(data) % 2 else b""
    path.write_bytes(bytes(out))


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    ok, data = cv2.imencode(".png", rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    return data.tobytes()


def test_a_corrupted_or_unavailable_source_is_refused_and_the_rest_prepared(
    tmp_path, monkeypatch, capsys
):
    from rdmc.data import samples
    from rdmc.data.catalogue import SamplePhoto

    good, bad = _png(1), _png(2)
    debs = tmp_path / "debs"
    debs.mkdir()
    _deb(debs / "rdmc-test-photos_1.0-1_all.deb", {"usr/share/a.png": good, "usr/share/b.png": bad})
    digest = hashlib.sha256(good).hexdigest()
    photos = (
        SamplePhoto(
            "astronaut", "test", "scikit-image", "astronaut.png", "public domain", "NASA", "person"
        ),
        SamplePhoto(
            "good", "train", "rdmc-test-photos", "usr/share/a.png", "CC0 1.0", "x", "noise", digest
        ),
        SamplePhoto(
            "corrupted",
            "train",
            "rdmc-test-photos",
            "usr/share/b.png",
            "CC0 1.0",
            "x",
            "noise",
            digest,
        ),
        SamplePhoto(
            "absent", "val", "rdmc-no-such-package", "a.png", "CC0 1.0", "x", "noise", digest
        ),
    )
    monkeypatch.setattr(samples, "PHOTOS", photos)
    monkeypatch.setenv("RDMC_DEB_DIR", str(debs))
    monkeypatch.setenv(
        "PATH", str(tmp_path / "no-apt")
    )  # no apt-get: the absent package fails fast
    monkeypatch.setenv("RDMC_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["data", "prepare"]) == 1
    captured = capsys.readouterr()
    assert "refusing rdmc-test-photos_1.0-1_all.deb:usr/share/b.png: SHA-256" in captured.err
    assert "rdmc-no-such-package: apt-get not found" in captured.err
    assert "incomplete: 2 of 4 photos missing" in captured.out
    manifest = samples.load_manifest()
    assert [e["name"] for e in manifest["images"]] == ["astronaut", "good"]
    assert manifest["debian_packages"] == {"rdmc-test-photos": "1.0-1"}
    assert sorted(n for m in manifest["missing"] for n in m["photos"]) == ["absent", "corrupted"]
    assert manifest["counts"] == {"train": 1, "val": 0, "test": 1}
    written = read_image(tmp_path / "cache" / "samples" / "train" / "good.png")
    assert np.array_equal(
        written, cv2.imdecode(np.frombuffer(good, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    )


def test_dense_patches_cover_the_grid_of_every_pair(tmp_path, photos):
    """The authors' training data: every 32-px patch at stride 20 (their 128 / 80), in order."""
    a, b = photos["coffee"][:60, :90], photos["chelsea"][:40, :50]
    root = make(tmp_path / "ds", {"input/a.png": a, "target/a.png": a, "input/b.png": b,
                                  "target/b.png": b})  # fmt: skip
    ds = PairedRainDataset(root, patch_size=32, patch_stride=20)
    # a: tops 0, 20 (40 would end past 60) x lefts 0, 20, 40 (60 would end at 92 > 90); b: 1 x 1
    assert ds.patches == [(0, y, x) for y in (0, 20) for x in (0, 20, 40)] + [(1, 0, 0)]
    assert len(ds) == 7 and "7 patches" in repr(ds)
    item = ds[4]
    expected = torch.from_numpy(a[20:52, 20:52].astype(np.float32) / 255).permute(2, 0, 1)
    assert torch.equal(item["rainy"], expected) and item["name"] == "a@20,20"
    with pytest.raises(ValueError, match="patch_stride needs patch_size"):
        PairedRainDataset(root, patch_stride=20)
    with pytest.raises(ValueError, match="no image holds a 128-pixel patch"):
        PairedRainDataset(root, patch_size=128, patch_stride=80)


def _worker_crops(ds, workers: int, epochs: int) -> list[list[torch.Tensor]]:
    torch.manual_seed(0)  # what mmengine's randomness.seed does before the loader is built
    loader = torch.utils.data.DataLoader(ds, batch_size=1, num_workers=workers)
    return [[batch["rainy"][0] for batch in loader] for _ in range(epochs)]


def test_dataloader_workers_draw_different_crops_and_rain(tmp_path, photos):
    """Every worker used to copy one generator: worker k's i-th crop, flip and rain were
    worker 0's. Now each worker (and each epoch) has its own stream, reproducibly."""
    make(tmp_path / "clean", {"a.png": photos["coffee"][:80, :80]})
    ds = SyntheticRainDataset(tmp_path / "clean", mode="train", patch_size=32, flip=True,
                              repeat=4, seed=0)  # fmt: skip
    epochs = _worker_crops(ds, workers=2, epochs=2)
    first = epochs[0]
    # DataLoader interleaves: items 0, 2 from worker 0 and 1, 3 from worker 1.
    assert not torch.equal(first[0], first[1]) and not torch.equal(first[2], first[3])
    assert not all(torch.equal(x, y) for x, y in zip(epochs[0], epochs[1], strict=True))
    again = _worker_crops(ds, workers=2, epochs=2)
    assert all(torch.equal(x, y) for e, f in zip(epochs, again, strict=True)
               for x, y in zip(e, f, strict=True))  # fmt: skip


def test_a_changed_size_rule_recuts_the_photos(prepared, monkeypatch):
    from rdmc.data import samples

    monkeypatch.setitem(samples.MAX_SIDE, "val", 300)
    root = prepare_samples(prepared)
    for entry in load_manifest(prepared)["images"]:
        shape = read_image(root / entry["path"]).shape
        assert max(shape[:2]) <= MAX_SIDE[entry["split"]], entry["name"]
        assert entry["max_side"] == MAX_SIDE[entry["split"]]


# ---------------------------------------------------------------- layouts from the folder itself


def _halves(n: int) -> dict[str, np.ndarray]:
    return {f"{i}.png": np.concatenate([img(100 + i), img(200 + i)], 1) for i in range(n)}


@pytest.mark.parametrize("parent", ["candidates", "rain800", "test_syn", "rain1200", "DID"])
def test_a_parent_folders_name_never_picks_a_concatenated_layout(tmp_path, parent, capsys):
    """'candidates' holds "did": the layout comes from the dataset folder's own name."""
    root = make(tmp_path / parent / "photos", _halves(3))
    with pytest.raises(LayoutError, match="cannot tell the layout"):
        detect_layout(root)
    assert main(["data", "check", str(root)]) == 1
    assert "cannot tell the layout" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, layout",
    [("Rain800", "rain800"), ("test_syn", "rain800"), ("DID-MDN", "did"), ("rain1200_test", "did")],
)
def test_the_dataset_folders_own_name_picks_a_concatenated_layout(tmp_path, name, layout):
    assert detect_layout(make(tmp_path / name, _halves(2))) == layout


def test_a_concatenated_name_with_an_odd_width_file_is_refused(tmp_path):
    root = make(tmp_path / "Rain800", {**_halves(1), "odd.png": img(100, w=33)})
    with pytest.raises(LayoutError, match="odd.png is 33x24 pixels, an odd width"):
        detect_layout(root)


# ---------------------------------------------------------------- what each test photo shows


def test_every_test_photo_says_what_it_shows():
    from rdmc.data.catalogue import PHOTOS, SHOWS

    assert sorted(SHOWS) == sorted(p.name for p in PHOTOS if p.split == "test")


def test_the_person_tags_agree_with_the_detectors_and_the_segmenters_on_the_clean_photos():
    """A photo tagged "person" is one where a detector finds a person (the smallest, in
    building, scores 0.27) and a selfie segmenter paints one; on every other photo the two
    detectors never agree on a person (YOLOv4-tiny alone takes the mandrill for one, 0.59).
    The segmenters cannot check the untagged photos: they paint the cat as a person."""
    from downstream.detection import Detector
    from downstream.segmentation import Segmenter
    from rdmc.data.catalogue import SHOWS

    detectors = [Detector("yolov3-tiny"), Detector("yolov4-tiny")]
    segmenters = [Segmenter("selfie-segmentation"), Segmenter("selfie-segmentation-landscape")]
    for name, shows in SHOWS.items():
        photo = sample_image(name)
        if photo.ndim == 2:
            photo = np.repeat(photo[..., None], 3, axis=2)
        person = []
        for detector in detectors:
            found = detector(photo)
            labels = [detector.classes[k] for k in found.labels]
            person.append(
                max(
                    [s for s, c in zip(found.scores, labels, strict=True) if c == "person"],
                    default=0,
                )
            )
        if "person" in shows:
            assert max(person) >= 0.25, (name, person)
            assert max((s(photo) == 1).mean() for s in segmenters) >= 0.001, name
        else:
            assert min(person) < 0.3, (name, person)
