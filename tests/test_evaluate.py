"""`rdmc eval`: pairing by dataset naming, table and JSON output, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdmc.cli import main
from rdmc.evaluate import pair_images, pairing_key
from rdmc.imageio import write_image
from rdmc.metrics import psnr, ssim


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("rain-001.png", "norain-001.png"),
        ("rain-12.png", "norain-12.jpg"),
        ("0042_rain.png", "0042_clean.png"),
        ("0042.png", "0042gt.png"),
        ("rainy_7.png", "clean_7.png"),
    ],
)
def test_pairing_key_joins_dataset_names(a, b):
    assert pairing_key(Path(a)) == pairing_key(Path(b))


def test_pairing_key_keeps_distinct_scenes_apart():
    assert pairing_key(Path("rain-001.png")) != pairing_key(Path("norain-010.png"))


@pytest.fixture
def folders(tmp_path, photos):
    pred, gt = tmp_path / "derained", tmp_path / "norain"
    rng = np.random.default_rng(0)
    clean_images = {}
    for i, img in enumerate(photos.values(), start=1):
        crop = img[:96, :128]
        noisy = np.clip(crop + rng.normal(0, 6, crop.shape), 0, 255).astype(np.uint8)
        write_image(gt / f"norain-{i:03d}.png", crop)
        write_image(pred / f"rain-{i:03d}.png", noisy)
        clean_images[i] = (noisy, crop)
    (pred / "rain-004.png").write_bytes(b"not a png at all")  # corrupt, has a partner
    write_image(gt / "norain-004.png", crop)
    write_image(pred / "rain-099.png", crop)  # no ground truth
    return pred, gt, clean_images


def test_pair_images_lists_unmatched(folders):
    pred, gt, _ = folders
    pairing = pair_images(pred, gt)
    assert [(p.name, g.name) for p, g in pairing.pairs][:3] == [
        ("rain-001.png", "norain-001.png"),
        ("rain-002.png", "norain-002.png"),
        ("rain-003.png", "norain-003.png"),
    ]
    assert [p.name for p in pairing.unmatched_pred] == ["rain-099.png"]
    assert pairing.unmatched_gt == []


def test_eval_json_scores_and_reports_failures(folders, capsys):
    pred, gt, images = folders
    assert main(["eval", str(pred), str(gt), "--json"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["n"] == 3
    assert "Y channel" in data["convention"]
    expected = [psnr(*images[i]) for i in (1, 2, 3)]
    assert [r["psnr"] for r in data["per_image"]] == pytest.approx(expected, abs=1e-9)
    assert data["psnr"] == pytest.approx(np.mean(expected))
    assert data["ssim"] == pytest.approx(np.mean([ssim(*images[i]) for i in (1, 2, 3)]))
    assert "rain-004.png" in out.err and "not a readable image" in out.err
    assert "unmatched prediction" in out.err and "rain-099.png" in out.err


def test_eval_table_and_options(folders, capsys):
    pred, gt, images = folders
    assert main(["eval", str(pred), str(gt), "--rgb", "--crop-border", "4"]) == 0
    out = capsys.readouterr().out
    assert "rain-001.png" in out and "mean of 3" in out and "RGB channels" in out
    expected = psnr(*images[1], crop_border=4, test_y_channel=False)
    assert f"{expected:.4f}" in out


def test_eval_single_files(folders, capsys):
    pred, gt, images = folders
    assert main(["eval", str(pred / "rain-002.png"), str(gt / "norain-002.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["psnr"] == pytest.approx(psnr(*images[2]))


def test_eval_nothing_scored_exits_nonzero(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_image(tmp_path / "a" / "x.png", np.zeros((20, 20, 3), np.uint8))
    write_image(tmp_path / "b" / "y.png", np.zeros((20, 20, 3), np.uint8))
    assert main(["eval", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "no image pair could be scored" in capsys.readouterr().err


def test_eval_missing_path_is_one_line_error(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope"), str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope: no such file or folder" in err


@pytest.fixture
def rain100(tmp_path, photos):
    """Rain100's one-folder layout (rain-N beside norain-N) and derained outputs rain-N."""
    from rdmc.rain import add_rain

    root, out = tmp_path / "Rain100L", tmp_path / "out"
    rng = np.random.default_rng(1)
    for i, img in enumerate(photos.values(), start=1):
        clean = img[:96, :128]
        write_image(root / f"norain-{i}.png", clean)
        write_image(root / f"rain-{i}.png", add_rain(clean, "light", 3, i).rainy)
        restored = np.clip(clean + rng.normal(0, 4, clean.shape), 0, 255).astype(np.uint8)
        write_image(out / f"rain-{i}.png", restored)
    return out, root


def test_eval_on_a_rain100_folder_scores_against_the_clean_images(rain100, capsys):
    out, root = rain100
    pairing = pair_images(out, root)
    assert [(p.name, g.name) for p, g in pairing.pairs] == [
        (f"rain-{i}.png", f"norain-{i}.png") for i in (1, 2, 3)
    ]
    assert pairing.unmatched_gt == [] and pairing.unmatched_pred == []
    assert main(["eval", str(out), str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3 and report["psnr"] > 35  # restored vs clean, not vs the rainy input


def test_eval_pairs_rain1400_outputs_with_their_shared_clean_image(tmp_path, photos):
    root, out = tmp_path / "Rain1400", tmp_path / "out"
    clean = photos["coffee"][:64, :64]
    write_image(root / "ground_truth" / "901.png", clean)
    for j in (1, 2):
        write_image(root / "rainy_image" / f"901_{j}.png", clean)
        write_image(out / f"901_{j}.png", clean)
    pairing = pair_images(out, root)
    assert [(p.name, g.name) for p, g in pairing.pairs] == [("901_1.png", "901.png"),
                                                            ("901_2.png", "901.png")]  # fmt: skip


def test_eval_most_ground_truth_unmatched_is_an_error(rain100, capsys):
    out, root = rain100
    for i in (2, 3):
        (out / f"rain-{i}.png").rename(out / f"other-{i}.png")
    assert main(["eval", str(out), str(root)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "2 of 3 ground-truth images have no matching prediction" in err
    assert main(["eval", str(out), str(root), "--subset", "--json"]) == 0


def test_eval_json_is_strict_json(tmp_path, photos, capsys):
    img = photos["astronaut"][:64, :64]
    write_image(tmp_path / "a.png", img)
    write_image(tmp_path / "b.png", img)
    assert main(["eval", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--json"]) == 0
    text = capsys.readouterr().out
    report = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert report["psnr"] is None and report["per_image"][0]["psnr"] is None  # identical: inf
    assert report["ssim"] == pytest.approx(1.0)


def test_eval_and_outputs_folders_pair_names_by_one_rule(tmp_path):
    """rdmc eval and the scoreboard's / bench's outputs folders match by rdmc.naming's one
    rule: the same stem, else the one unused file with the same pairing key."""
    from downstream.scoreboard.cases import match_outputs
    from rdmc.imageio import write_image
    from rdmc.naming import match_by_name

    out = tmp_path / "out"
    image = np.zeros((8, 8, 3), np.uint8)
    for name in ("derained-1.png", "2.png", "4_clean.png", "clean_4.png"):
        write_image(out / name, image)
    names = [Path("rain-1.png"), Path("2.png"), Path("3.png"), Path("4_rain.png")]
    files = sorted(out.iterdir())
    expected = [out / "derained-1.png", out / "2.png", None, None]  # 4: two candidates
    assert match_by_name(names, files) == expected
    with pytest.raises(ValueError, match=r"no output for 2 of 4 inputs \(3.png, 4_rain.png\)"):
        match_outputs(out, [n.name for n in names])
    gt = tmp_path / "gt"
    for name in names:
        write_image(gt / name.name, image)
    pairing = pair_images(out, gt)
    # the other way round, each ground truth pairs once: clean_4 finds 4_rain taken
    assert sorted((p.name, g.name) for p, g in pairing.pairs) == [
        ("2.png", "2.png"),
        ("4_clean.png", "4_rain.png"),
        ("derained-1.png", "rain-1.png"),
    ]
    assert [p.name for p in pairing.unmatched_pred] == ["clean_4.png"]
