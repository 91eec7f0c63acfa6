"""The suite schema: typos, wrong types and bad values are one line naming the file and key;
malformed input of any shape never ends in a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downstream.errors import BenchError
from downstream.suite import load_suite

GOOD = {
    "name": "mine",
    "dataset": {"type": "folder", "root": "/data/street", "coco_json": "/data/ann.json"},
    "rain": [{"preset": "heavy", "severities": [1, 3]}],
    "derainers": ["identity", "rdmc-s"],
    "detectors": ["yolov3-tiny", {"name": "frcnn", "config": "c.py", "checkpoint": "c.pth"}],
    "segmenters": ["selfie-segmentation"],
    "seed": 1,
}


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_good_suite_loads(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    assert suite.rain_settings() == [("heavy", 1), ("heavy", 3)]
    assert suite.seed == 1 and suite.derainers == ["identity", "rdmc-s"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"detector": ["yolov3-tiny"]}, "suite: unknown key 'detector' (allowed: name, dataset"),
        (
            {"dataset": {"type": "folder", "root": "/d", "coco_jsn": "a.json"}},
            "dataset: unknown key 'coco_jsn' (allowed: type, root, name, limit, coco_json",
        ),
        ({"dataset": {"type": "voc", "root": "/d"}}, "dataset.type: unknown type 'voc'"),
        ({"dataset": {"type": "samples", "split": "dev"}}, "dataset.split: 'dev' is not one of"),
        ({"dataset": {"type": "folder"}}, "dataset: missing key 'root'"),
        (
            {"rain": [{"preset": "heavy", "severities": 3}]},
            "rain[0].severities: expected a list, got 3",
        ),
        ({"rain": {"preset": "heavy", "severities": [3]}}, "rain: expected a list"),
        ({"rain": [{"preset": "drizzle", "severities": [3]}]}, "unknown preset 'drizzle'"),
        ({"rain": [{"preset": "heavy", "severities": [6]}]}, "rain[0].severities[0]: 6 is not in"),
        ({"rain": [{"preset": "heavy", "severities": [3, 3]}]}, "heavy/s3 listed twice"),
        ({"seed": "abc"}, "seed: expected an integer, got 'abc'"),
        ({"seed": True}, "seed: expected an integer, got True"),
        ({"derainers": "identity"}, "derainers: expected a list, got 'identity'"),
        (
            {"derainers": ["identity", 3]},
            "derainers[1]: expected a name, {name, config, checkpoint} or {name, outputs}, got 3",
        ),
        ({"detectors": [{"name": "x", "config": "c.py"}]}, "config and checkpoint go together"),
        ({"segmenters": [{"nam": "x"}]}, "segmenters[0]: unknown key 'nam'"),
    ],
)
def test_schema_errors_name_the_file_and_key(tmp_path, change, message):
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(BenchError) as raised:
        load_suite(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_missing_required_key_and_non_mapping(tmp_path):
    without = {k: v for k, v in GOOD.items() if k != "derainers"}
    with pytest.raises(BenchError, match="missing key 'derainers'"):
        load_suite(write(tmp_path, without))
    with pytest.raises(BenchError, match="a suite is a mapping"):
        load_suite(write(tmp_path, ["dataset"]))


def test_a_typo_stops_the_cli_before_anything_runs(tmp_path, capsys):
    from rdmc.cli import main

    path = write(tmp_path, {**GOOD, "detector": ["yolov3-tiny"]})
    assert main(["bench", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert "unknown key 'detector'" in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def assert_suite_or_one_line(path: Path) -> None:
    """Loading either gives a suite or one BenchError line naming the file, nothing else."""
    try:
        load_suite(path)
    except BenchError as e:
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)


_KEYS = st.sampled_from(
    ["name", "dataset", "rain", "derainers", "detectors", "segmenters", "seed", "type", "root",
     "split", "limit", "coco_json", "seg_labels", "preset", "severities", "config", "checkpoint",
     "folder", "samples", "heavy", "light", "x"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.floats(allow_nan=True), st.text(max_size=8),
    st.sampled_from(["folder", "samples", "heavy", "light", "test", "identity", "yolov3-tiny"]),
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(_KEYS, st.integers()), inner, max_size=5)),
    max_leaves=20,
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(_VALUES, st.dictionaries(_KEYS, _VALUES, max_size=8)))
def test_fuzz_any_malformed_suite_is_one_line_naming_the_file(tmp_path, data):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data))
    assert_suite_or_one_line(path)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=60))
def test_fuzz_any_text_is_a_suite_or_one_line(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text)
    assert_suite_or_one_line(path)


def test_every_dataset_type_has_a_loader_a_schema_and_a_docs_entry():
    """One table (downstream.dataset_types) is what the schema check, the loaders and the
    docs read: every type loads, checks its keys and is documented."""
    from pathlib import Path

    from downstream.dataset_types import DATASET_TYPES
    from downstream.datasets import loader_of

    docs = (Path(__file__).resolve().parent.parent / "docs" / "benchmark.md").read_text()
    for name, kind in DATASET_TYPES.items():
        assert callable(loader_of(kind)), name
        assert kind.schema["type"] == (str, True), name
        assert f"type: {name}" in docs, f"docs/benchmark.md does not show type: {name}"
    own = {name for name, kind in DATASET_TYPES.items() if kind.has_own_rain({"rain": "x"})}
    assert own == {"paired", "real-rain", "cityscapes"}
    assert not DATASET_TYPES["cityscapes"].has_own_rain({"root": "x"})


def test_every_derainer_kind_is_loaded_checked_and_documented(tmp_path):
    """One table (rdmc.derainer_kinds) is what the zoo, the scoreboard, the suite schema and
    the docs read: every kind that runs here has a network and a fingerprint, every mapping
    entry of a suite is that kind's command-line spelling, and the docs show each."""
    from rdmc import zoo
    from rdmc.derainer_kinds import DERAINER_KINDS, prefixed_kind, spec_of

    runs_here = {name for name, kind in DERAINER_KINDS.items() if kind.runs_here}
    assert set(zoo.NETWORKS) == set(zoo.FINGERPRINTS) == runs_here
    docs = (Path(__file__).resolve().parent.parent / "docs" / "benchmark.md").read_text()
    for name, kind in DERAINER_KINDS.items():
        row = f"| {name} | `{kind.spelling}` | `{kind.suite_entry}` |"
        assert row in docs, f"docs/benchmark.md has no row {row}"
    checkpoint = tmp_path / "mine.pth"
    checkpoint.write_bytes(b"")
    spelled = {
        "guided-filter": "weight-free",
        "rdmc-s": "zoo",
        "config:my.py:best.pth": "configured",
        "outputs:results/MPRNet": "outputs",
        str(checkpoint): "checkpoint",
    }
    assert set(spelled.values()) == set(DERAINER_KINDS)
    for spec, name in spelled.items():
        assert zoo.derainer_kind(spec).name == name, spec
    entries = {"configured": {"name": "m", "config": "my.py", "checkpoint": "best.pth"},
               "outputs": {"name": "m", "outputs": "results/MPRNet"}}  # fmt: skip
    for name, entry in entries.items():
        assert prefixed_kind(spec_of(entry)).name == name
    with pytest.raises(zoo.ZooError, match="scored, not run"):
        zoo.load_derainer("outputs:results/MPRNet")


def test_a_suite_spells_its_mapping_derainers_as_the_command_line_does(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "dataset: {type: samples, split: test, limit: 2}\n"
        "rain: [{preset: heavy, severities: [3]}]\n"
        "derainers: [rdmc-s, {name: MPRNet, outputs: 'out/{dataset}'},"
        " {name: mine, config: my.py, checkpoint: best.pth}]\n"
    )
    suite = load_suite(path)
    assert suite.derainer_spec("MPRNet") == "outputs:out/{dataset}"
    assert suite.derainer_spec("mine") == "config:my.py:best.pth"
    assert suite.outputs == {"MPRNet": "out/{dataset}"}
    broken = tmp_path / "broken.yaml"
    broken.write_text(path.read_text().replace(", checkpoint: best.pth", ""))
    with pytest.raises(BenchError, match="checkpoint"):
        load_suite(broken)
