"""`rdmc scoreboard`: derainers scored side by side into a results file the tables read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import downstream.scoreboard.runner
import rdmc.zoo
from downstream.scoreboard.runner import Entry, run_scoreboard
from rdmc.cli import main
from rdmc.data.samples import load_manifest
from rdmc.zoo import load_checkpoint
from reports.tables import load_results, render_tables, scoreboard_table, tables_for


def test_entries_are_zoo_names_or_labelled_paths():
    assert Entry.parse("rdmc-s") == Entry("rdmc-s", "rdmc-s")
    assert Entry.parse("mine=work/best.pth") == Entry("mine", "work/best.pth")


@pytest.fixture(scope="module")
def scoreboard(tmp_path_factory):
    """One scoreboard for the tests that only read it (scored once: quality included)."""
    from conftest import write_tiny_checkpoint

    folder = tmp_path_factory.mktemp("scoreboard")
    out = folder / "scores.json"
    tiny = write_tiny_checkpoint(folder / "tiny.pth")
    entries = [Entry.parse("guided-filter"), Entry("tiny", str(tiny))]
    path, errors = run_scoreboard(entries, out, [("light", 3)], split="val", latency_repeats=2)
    assert errors == []
    return load_results(path)


def test_scoreboard_scores_every_derainer_against_the_rainy_input(scoreboard):
    records = scoreboard["records"]

    def value(condition, metric):
        (r,) = [r for r in records if (r["condition"], r["metric"]) == (condition, metric)]
        return r

    assert [r["condition"] for r in records][0] == "rainy"
    for name in ("rainy", "guided-filter", "tiny"):
        psnr = value(name, "PSNR")
        assert psnr["rain"] == "light/s3"
        assert len(psnr["per_image"]) == load_manifest()["counts"]["val"]
        assert 5 < psnr["value"] < 60
    tiny, _ = load_checkpoint(scoreboard["meta"]["derainers"]["tiny"]["spec"])
    assert value("tiny", "params")["value"] == sum(p.numel() for p in tiny.parameters()) / 1e6
    assert value("tiny", "GFLOPs")["value"] > 0
    assert value("tiny", "latency")["value"] > 0
    assert scoreboard["meta"]["derainers"]["tiny"]["training"]["name"] == "tiny"


def test_every_row_names_its_model_id(scoreboard):
    """An id changes with the weights (NAME@SHA7); the table caption says which row is which."""
    from rdmc.digests import sha256_of

    spec = scoreboard["meta"]["derainers"]["tiny"]["spec"]
    ids = {"guided-filter": "guided-filter", "tiny": f"tiny@{sha256_of(Path(spec))[:7]}"}
    assert scoreboard["meta"]["derainer_ids"] == ids
    for r in scoreboard["records"]:
        assert r.get("derainer_id") == ids.get(r["condition"]), r
    assert f"Models: tiny = {ids['tiny']}." in tables_for(scoreboard)[0].caption


def test_scoreboard_table_ranks_costs_lowest_first(scoreboard, tmp_path):
    table = scoreboard_table(scoreboard)
    assert [name for name, _ in table.rows] == ["rainy", "guided-filter", "tiny"]
    params = table.columns.index("params (M)")
    ranks = table.ranks()[params]
    assert ranks == {1: 1, 2: 2}  # guided-filter has no parameters: best
    (tmp_path / "scores.json").write_text(json.dumps(scoreboard))
    text = render_tables(tmp_path / "scores.json")
    assert "CPU ms@256" in text and "**0.000**" in text


def test_unloadable_derainer_is_named_and_the_rest_are_kept(tmp_path, capsys, monkeypatch):
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"not a checkpoint")
    out = tmp_path / "scores.json"
    code = main(["scoreboard", f"broken={broken}", "guided-filter", "--out", str(out),
                 "--rain", "light/s2", "--split", "val", "--quality", "piqe"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"broken: {broken}: not a readable checkpoint" in err
    data = json.loads(out.read_text())
    # the clean images have quality rows only (no-reference: NIQE, BRISQUE, PIQE)
    assert {r["condition"] for r in data["records"]} == {"clean", "rainy", "guided-filter"}
    assert {r["task"] for r in data["records"] if r["condition"] == "clean"} == {"quality"}
    assert {r["metric"] for r in data["records"] if r["task"] == "quality"} == {"PIQE"}

    # A rerun with --resume keeps the scored rows: nothing is derained again.
    def must_not_load(*args, **kwargs):
        raise AssertionError("derainer loaded again")

    monkeypatch.setattr(rdmc.zoo, "load_derainer", must_not_load)
    assert main(["scoreboard", "guided-filter", "--out", str(out), "--rain", "light/s2",
                 "--split", "val", "--resume", "--quality", "piqe"]) == 0  # fmt: skip
    assert json.loads(out.read_text())["records"] == data["records"]

    # Other quality metrics keep nothing: the rows are scored again.
    capsys.readouterr()
    assert main(["scoreboard", "guided-filter", "--out", str(out), "--rain", "light/s2",
                 "--split", "val", "--resume", "--quality", "niqe"]) != 0  # fmt: skip
    assert "derainer loaded again" in capsys.readouterr().err

    # Other code (here: a changed metric module) keeps nothing either.
    monkeypatch.setattr(downstream.scoreboard.runner, "code_digest", lambda *a: "changed code")
    capsys.readouterr()
    assert main(["scoreboard", "guided-filter", "--out", str(out), "--rain", "light/s2",
                 "--split", "val", "--resume", "--quality", "piqe"]) != 0  # fmt: skip
    assert "derainer loaded again" in capsys.readouterr().err  # it was scored again

    # Other rain settings: the stored rows do not carry over, the derainer is scored again.
    monkeypatch.undo()
    assert main(["scoreboard", "guided-filter", "--out", str(out), "--rain", "light/s4",
                 "--split", "val", "--resume", "--quality", "piqe"]) == 0  # fmt: skip
    rains = {r["rain"] for r in json.loads(out.read_text())["records"]}
    assert rains == {"light/s4", "none"}


def test_bad_rain_setting_is_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["scoreboard", "identity", "--out", str(tmp_path / "x.json"), "--rain", "light"])
    assert "expected PRESET/sN" in capsys.readouterr().err


def test_html_report_shows_a_scoreboard(scoreboard, tmp_path):
    from reports.html import render_report

    (tmp_path / "scores.json").write_text(json.dumps(scoreboard))
    page = render_report([tmp_path / "scores.json"], tmp_path / "report.html").read_text()
    assert "CPU ms@256" in page and "guided-filter" in page and "tiny" in page


def _paired_folder(root, photos, names, veil: int):
    from rdmc.imageio import write_image

    for i, name in enumerate(names):
        clean = photos[name][:48, :64]
        write_image(root / "rain" / f"rain-{i}.png", (clean * 0.7 + veil).astype("uint8"))
        write_image(root / "norain" / f"norain-{i}.png", clean)
    return root


def test_scoreboard_on_paired_datasets_makes_the_paper_table(tmp_path, photos, capsys):
    """`rdmc scoreboard ... --dataset Rain100L=... --dataset ...`: one column per dataset."""
    light = _paired_folder(tmp_path / "Rain100L", photos, ["coffee", "chelsea"], veil=40)
    heavy = _paired_folder(tmp_path / "Rain100H", photos, ["astronaut"], veil=75)
    out = tmp_path / "paper.json"
    code = main(["scoreboard", "guided-filter", "--dataset", str(light),
                 "--dataset", f"Rain100H={heavy}:rain100", "--out", str(out),
                 "--latency-size", "32"])  # fmt: skip
    assert code == 0
    data = load_results(out)
    rainy = {r["rain"]: r for r in data["records"]
             if (r["condition"], r["metric"]) == ("rainy", "PSNR")}  # fmt: skip
    assert set(rainy) == {"Rain100L", "Rain100H"}
    assert len(rainy["Rain100L"]["per_image"]) == 2 and len(rainy["Rain100H"]["per_image"]) == 1
    assert rainy["Rain100L"]["value"] > rainy["Rain100H"]["value"]  # the lighter veil
    assert data["meta"]["dataset"]["folders"]["Rain100H"]["layout"] == "rain100"
    table = render_tables(out)
    assert "Rain100L PSNR" in table and "Rain100H SSIM" in table and "average PSNR" in table
    (row,) = [r for name, r in scoreboard_table(data).rows if name == "rainy"]
    assert row[4] == pytest.approx((row[0] + row[2]) / 2)  # the mean of the two datasets' PSNR
    digest = data["meta"]["dataset"]["folders"]["Rain100L"]["sha256"]
    _paired_folder(tmp_path / "Rain100L", photos, ["coffee", "chelsea"], veil=20)  # replaced
    assert main(["scoreboard", "guided-filter", "--dataset", str(light), "--dataset", str(heavy),
                 "--out", str(out), "--latency-size", "32", "--resume"]) == 0  # fmt: skip
    again = load_results(out)
    assert again["meta"]["dataset"]["folders"]["Rain100L"]["sha256"] != digest
    rescored = [r for r in again["records"] if (r["condition"], r["metric"], r["rain"]) ==
                ("guided-filter", "PSNR", "Rain100L")]  # fmt: skip
    assert rescored[0]["value"] != [r for r in data["records"] if (r["condition"], r["metric"],
            r["rain"]) == ("guided-filter", "PSNR", "Rain100L")][0]["value"]  # fmt: skip
    capsys.readouterr()
    assert main(["scoreboard", "guided-filter", "--dataset", str(light), "--rain", "light/s3",
                 "--out", str(out)]) == 1  # fmt: skip
    assert "--rain and --dataset exclude each other" in capsys.readouterr().err


def test_outputs_of_a_method_run_elsewhere_score_as_rdmc_eval_does(tmp_path, photos, capsys):
    """`LABEL=outputs:DIR`: PSNR of its files equals `rdmc eval` on the same files; a missing
    output names the first ones and the count, and nothing is scored for that method."""
    from rdmc.evaluate import evaluate_folder
    from rdmc.imageio import read_image, write_image

    data = _paired_folder(tmp_path / "Rain100L", photos, ["coffee", "chelsea"], veil=40)
    outputs = tmp_path / "mprnet" / "Rain100L"
    for i in range(2):  # "derained": halfway between the rainy input and the clean image
        rainy = read_image(data / "rain" / f"rain-{i}.png").astype(float)
        clean = read_image(data / "norain" / f"norain-{i}.png").astype(float)
        write_image(outputs / f"rain-{i}.png", ((rainy + clean) / 2).round().astype("uint8"))
    out = tmp_path / "scores.json"
    spec = f"mprnet=outputs:{tmp_path / 'mprnet' / '{dataset}'}"
    assert main(["scoreboard", spec, "--dataset", str(data), "--out", str(out)]) == 0
    (psnr,) = [r for r in load_results(out)["records"]
               if (r["condition"], r["metric"]) == ("mprnet", "PSNR")]  # fmt: skip
    assert psnr["value"] == pytest.approx(evaluate_folder(outputs, data).mean("psnr"), abs=1e-9)
    assert not any(r["condition"] == "mprnet" and r["task"] == "complexity"
                   for r in load_results(out)["records"])  # fmt: skip
    (outputs / "rain-1.png").unlink()
    capsys.readouterr()
    assert main(["scoreboard", spec, "--dataset", str(data), "--out", str(out), "--overwrite"]) == 1
    assert "no output for 1 of 2 inputs (rain-1.png)" in capsys.readouterr().err
    assert not any(r["condition"] == "mprnet" for r in load_results(out)["records"])


def test_scoreboard_rows_carry_intervals_and_verdicts(scoreboard):
    for r in scoreboard["records"]:
        if r["metric"] in ("PSNR", "SSIM", "NIQE", "BRISQUE", "PIQE"):
            lo, hi = r["ci95"]
            assert lo <= r["value"] <= hi
            if r["condition"] not in ("rainy", "clean"):  # clean: quality rows only
                assert r["vs_rainy"]["verdict"] in ("better", "worse", "no difference")
        assert "replicates" not in r


def test_resume_keeps_finished_method_dataset_cells(tmp_path, photos, monkeypatch):
    """Adding a dataset to a paper table derains only the new dataset's images."""
    import rdmc.inference

    light = _paired_folder(tmp_path / "Rain100L", photos, ["coffee", "chelsea"], veil=40)
    heavy = _paired_folder(tmp_path / "Rain100H", photos, ["astronaut"], veil=75)
    out = tmp_path / "paper.json"
    assert main(["scoreboard", "guided-filter", "--dataset", str(light), "--out", str(out),
                 "--latency-size", "32"]) == 0  # fmt: skip
    first = load_results(out)
    derained = []
    original = rdmc.inference.Derainer.__call__
    monkeypatch.setattr(rdmc.inference.Derainer, "__call__",
                        lambda self, img, *a, **k: derained.append(img.shape) or
                        original(self, img, *a, **k))  # fmt: skip
    assert main(["scoreboard", "guided-filter", "--dataset", str(light), "--dataset",
                 str(heavy), "--out", str(out), "--latency-size", "32", "--resume"]) == 0  # fmt: skip
    assert derained == [photos["astronaut"][:48, :64].shape]  # Rain100H's one image only
    both = load_results(out)

    def cell(data: dict, rain: str) -> list[dict]:
        return [
            r for r in data["records"] if (r["condition"], r["rain"]) == ("guided-filter", rain)
        ]

    assert cell(both, "Rain100L") == cell(first, "Rain100L") and cell(both, "Rain100H")
    assert cell(both, "none") == cell(first, "none")  # the costs were kept too


@pytest.mark.parametrize(
    "derainers, message",
    [
        (
            ["a=identity", "a=guided-filter"],
            "the label 'a' is used twice (identity and guided-filter)",
        ),
        (["rainy=guided-filter"], "the label 'rainy' names a reference row"),
        (["clean=identity"], "the label 'clean' names a reference row"),
    ],
)
def test_a_label_twice_or_a_reference_rows_label_is_refused(tmp_path, capsys, derainers, message):
    out = tmp_path / "s.json"
    assert main(["scoreboard", *derainers, "--out", str(out), "--split", "val"]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and not out.exists()


def test_scoreboard_never_replaces_an_existing_file_unasked(tmp_path, capsys):
    bench_results = tmp_path / "results.json"
    bench_results.write_text('{"meta": {"suite": "default"}, "records": []}')
    for extra in ([], ["--resume"]):
        assert main(["scoreboard", "identity", "--out", str(bench_results), *extra]) == 1
        err = capsys.readouterr().err
        assert str(bench_results) in err and len(err.strip().splitlines()) == 1
    assert bench_results.read_text() == '{"meta": {"suite": "default"}, "records": []}'


def test_two_outputs_with_one_stem_are_ambiguous(tmp_path):
    from downstream.scoreboard.cases import match_outputs

    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "a.webp").write_bytes(b"")
    with pytest.raises(ValueError, match="a.png and a.webp are both an output for a"):
        match_outputs(tmp_path, ["a.png"])
