"""Suites of `rdmc bench`: a YAML file checked against one schema before anything runs.

Every key is known, every value has its type and allowed values; an unknown key
(``detector:`` for ``detectors:``), a wrong type (``severities: 3``) or an unknown
preset is one :class:`BenchError` line naming the file, the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from downstream.dataset_types import DATASET_TYPES
from downstream.errors import BenchError
from downstream.results.records import REFERENCE_CONDITIONS
from rdmc.choices import PRESETS, SEVERITIES, RainSetting
from rdmc.data.layouts import LAYOUTS
from rdmc.data.samples import SPLITS
from rdmc.derainer_kinds import DERAINER_KINDS, OUTPUTS, mapping_kind, spec_of
from rdmc.iqa import METRICS as QUALITY_METRICS
from rdmc.messages import first_line

SUITE_DIR = Path(__file__).parent / "suites"

# key -> (type, required); every mapping in a suite is checked against one of these
TOP_LEVEL = {
    "name": (str, False),
    "dataset": (dict, True),
    "rain": (list, False),
    "derainers": (list, True),
    "detectors": (list, False),
    "segmenters": (list, False),
    "seed": (int, False),
    "quality": (list, False),
}
RAIN_ENTRY = {"preset": (str, True), "severities": (list, True)}
MODEL_ENTRY = {"name": (str, False), "config": (str, False), "checkpoint": (str, False)}


def has_own_rain(dataset: dict) -> bool:
    """Whether a dataset brings its rainy images (then the suite adds no rain)."""
    return DATASET_TYPES[dataset.get("type", "folder")].has_own_rain(dataset)


@dataclass
class Suite:
    name: str
    dataset: dict
    rain: list[dict]
    derainers: list[str]  # names: zoo names, checkpoint files, or an outputs entry's name
    detectors: list
    segmenters: list
    seed: int = 0
    source: str = ""
    # no-reference quality metrics (rdmc.iqa) of every condition; all three unless chosen
    quality: list[str] = field(default_factory=lambda: list(QUALITY_METRICS))
    # a mapping entry's name -> its command-line spelling (config:C:P, outputs:DIR)
    specs: dict[str, str] = field(default_factory=dict)

    def derainer_spec(self, name: str) -> str:
        """A derainer of the suite as the command line spells it (rdmc.derainer_kinds)."""
        return self.specs.get(name, name)

    @property
    def outputs(self) -> dict[str, str]:
        """The methods run elsewhere: name -> folder (pattern) of their derained images."""
        return {
            name: spec.removeprefix(OUTPUTS)
            for name, spec in self.specs.items()
            if spec.startswith(OUTPUTS)
        }

    def rain_settings(self) -> list[tuple[str, int]]:
        return [(r["preset"], int(s)) for r in self.rain for s in r["severities"]]


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", list: "a list", dict: "a mapping"}[kind]


class _Checker:
    """Checks one suite file; every error names the file and the key path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> BenchError:
        return BenchError(f"{self.path}: {where}: {problem}")

    def value(self, value: object, kind: type, where: str) -> None:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise self.fail(where, f"expected {_type_name(kind)}, got {_show(value)}")

    def mapping(self, data: object, schema: dict, where: str) -> None:
        self.value(data, dict, where)
        allowed = ", ".join(schema)
        for key in data:
            if key not in schema:
                raise self.fail(where, f"unknown key {_show(key)} (allowed: {allowed})")
        for key, (kind, required) in schema.items():
            if key in data:
                self.value(data[key], kind, f"{where}.{key}" if where != "suite" else key)
            elif required:
                raise self.fail(where, f"missing key {key!r}")

    def dataset(self, spec: object) -> None:
        self.value(spec, dict, "dataset")
        kind = spec.get("type", "folder")
        if not isinstance(kind, str) or kind not in DATASET_TYPES:
            raise self.fail(
                "dataset.type", f"unknown type {_show(kind)} (allowed: {', '.join(DATASET_TYPES)})"
            )
        self.mapping({"type": kind, **spec}, DATASET_TYPES[kind].schema, "dataset")
        if kind == "samples" and "split" in spec and spec["split"] not in SPLITS:
            raise self.fail("dataset.split", f"{_show(spec['split'])} is not one of {SPLITS}")
        if "limit" in spec and spec["limit"] < 1:
            raise self.fail("dataset.limit", f"must be at least 1, got {spec['limit']}")
        if "layout" in spec and spec["layout"] not in LAYOUTS:
            raise self.fail(
                "dataset.layout",
                f"unknown layout {_show(spec['layout'])} (allowed: {', '.join(LAYOUTS)})",
            )
        if kind == "real-rain" and ("coco_json" in spec) == ("voc" in spec):
            raise self.fail("dataset", "a real-rain dataset takes coco_json (with root) or voc")
        if kind == "real-rain" and "coco_json" in spec and "root" not in spec:
            raise self.fail("dataset", "missing key 'root' (the folder of the coco_json's images)")

    def rain(self, entries: list) -> None:
        seen = set()
        for i, entry in enumerate(entries):
            where = f"rain[{i}]"
            self.mapping(entry, RAIN_ENTRY, where)
            if entry["preset"] not in PRESETS:
                raise self.fail(
                    f"{where}.preset",
                    f"unknown preset {_show(entry['preset'])} (allowed: {', '.join(PRESETS)})",
                )
            if not entry["severities"]:
                raise self.fail(f"{where}.severities", "empty list")
            for j, severity in enumerate(entry["severities"]):
                self.value(severity, int, f"{where}.severities[{j}]")
                if severity not in SEVERITIES:
                    raise self.fail(f"{where}.severities[{j}]", f"{severity} is not in 1..5")
                if (entry["preset"], severity) in seen:
                    raise self.fail(where, f"{RainSetting(entry['preset'], severity)} listed twice")
                seen.add((entry["preset"], severity))

    def derainers(self, entries: list) -> None:
        mappings = [k for k in DERAINER_KINDS.values() if k.suite_schema]
        for i, entry in enumerate(entries):
            if not isinstance(entry, str | dict):
                shapes = " or ".join("{" + ", ".join(k.suite_schema) + "}" for k in mappings)
                raise self.fail(f"derainers[{i}]", f"expected a name, {shapes}, got {_show(entry)}")
            if isinstance(entry, dict):
                kind = mapping_kind(entry) or mappings[-1]  # the last: the simplest to name
                self.mapping(entry, kind.suite_schema, f"derainers[{i}]")
        names = [e if isinstance(e, str) else e["name"] for e in entries]
        for i, name in enumerate(names):
            if name in REFERENCE_CONDITIONS:
                raise self.fail(
                    f"derainers[{i}]",
                    f"{name!r} names a reference condition "
                    f"({', '.join(REFERENCE_CONDITIONS)}); give the derainer "
                    "another name",
                )
        self.once_each(names, "derainers")

    def models(self, entries: list, where: str) -> None:
        names = []
        for i, entry in enumerate(entries):
            at = f"{where}[{i}]"
            if isinstance(entry, str):
                names.append(entry)
                continue
            self.mapping(entry, MODEL_ENTRY, at)
            if ("config" in entry) != ("checkpoint" in entry):
                raise self.fail(at, "config and checkpoint go together")
            if "config" not in entry and "name" not in entry:
                raise self.fail(at, "give a name (an embedded model) or config + checkpoint")
            names.append(entry.get("name") or entry["config"])
        self.once_each(names, where)

    def quality(self, names: list) -> None:
        for i, name in enumerate(names):
            self.value(name, str, f"quality[{i}]")
            if name not in QUALITY_METRICS:
                raise self.fail(
                    f"quality[{i}]",
                    f"unknown metric {_show(name)} (allowed: {', '.join(QUALITY_METRICS)})",
                )
        self.once_each(names, "quality")

    def once_each(self, names: list[str], where: str) -> None:
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise self.fail(where, f"{twice[0]!r} listed twice")


def check_suite(data: object, path: Path) -> Suite:
    """The suite in ``data`` (parsed YAML) after checking it against the schema."""
    check = _Checker(path)
    if not isinstance(data, dict):
        raise BenchError(f"{path}: a suite is a mapping of keys, got {_show(data)}")
    check.mapping(data, TOP_LEVEL, "suite")
    check.dataset(data["dataset"])
    own_rain = has_own_rain(data["dataset"])
    if own_rain and "rain" in data:
        raise check.fail(
            "rain", f"a {data['dataset']['type']} dataset is its own rain; remove this key"
        )
    if not own_rain and "rain" not in data:
        raise check.fail("suite", "missing key 'rain'")
    check.rain(data.get("rain", []))
    check.derainers(data["derainers"])
    check.models(data.get("detectors", []), "detectors")
    check.models(data.get("segmenters", []), "segmenters")
    check.quality(data.get("quality", list(QUALITY_METRICS)))
    entries = {d["name"]: spec_of(d) for d in data["derainers"] if isinstance(d, dict)}
    return Suite(
        name=data.get("name", path.stem),
        dataset=data["dataset"],
        rain=data.get("rain", []),
        derainers=[d if isinstance(d, str) else d["name"] for d in data["derainers"]],
        detectors=data.get("detectors", []),
        segmenters=data.get("segmenters", []),
        seed=data.get("seed", 0),
        source=str(path),
        quality=data.get("quality", list(QUALITY_METRICS)),
        specs=entries,
    )


def load_suite(name_or_path: str | Path) -> Suite:
    """A built-in suite by name (``default``, ``smoke``, ...) or a YAML file, checked."""
    path = Path(name_or_path)
    if not path.is_file():
        path = SUITE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SUITE_DIR.glob("*.yaml")))
        raise BenchError(f"{name_or_path}: no such suite file or built-in suite ({known})")
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        first = first_line(e)
        raise BenchError(f"{path}: not valid YAML ({first})") from e
    return check_suite(data, path)
