"""The dataset types a suite's ``dataset:`` entry may name: one table that the suite's schema
check (downstream.suite), the loaders (downstream.datasets) and the docs' contract test
read. Import-free, so checking a suite loads no dataset code."""

from __future__ import annotations

from dataclasses import dataclass

# keys an entry's schema shares: (value type, required)
NAMED = {"name": (str, False), "limit": (int, False)}
ANNOTATIONS = {"coco_json": (str, False), "seg_labels": (str, False)}


@dataclass(frozen=True)
class DatasetType:
    name: str
    schema: dict[str, tuple[type, bool]]  # the entry's keys: (value type, required)
    loader: str  # "module:function" in downstream.datasets (see its LOADER_MODULES)
    own_rain: bool | str  # brings its rainy images: always, never, or when this key is set

    def has_own_rain(self, spec: dict) -> bool:
        """Whether this entry brings its rainy images (then the suite adds no rain)."""
        return self.own_rain if isinstance(self.own_rain, bool) else self.own_rain in spec


DATASET_TYPES = {
    t.name: t
    for t in (
        DatasetType(
            "samples",
            {"type": (str, True), "split": (str, False), "limit": (int, False)},
            "clean:load_samples",
            False,
        ),
        DatasetType(
            "folder",
            {"type": (str, True), "root": (str, True), **NAMED, **ANNOTATIONS},
            "clean:load_folder",
            False,
        ),
        DatasetType(
            "paired",
            {
                "type": (str, True),
                "root": (str, True),
                "layout": (str, False),
                **NAMED,
                **ANNOTATIONS,
            },
            "paired:load",
            True,
        ),
        DatasetType(
            "real-rain",
            {
                "type": (str, True),
                "root": (str, False),
                "coco_json": (str, False),
                "voc": (str, False),
                "image_set": (str, False),
                **NAMED,
            },
            "real_rain:load",
            True,
        ),
        DatasetType(
            "cityscapes",
            {
                "type": (str, True),
                "root": (str, True),
                "split": (str, False),
                "rain": (str, False),
                **NAMED,
            },
            "cityscapes:load",
            "rain",  # RainCityscapes: the rain: folder
        ),
        DatasetType(
            "mmdet",
            {"type": (str, True), "dataset": (dict, True), **NAMED},
            "mm_config:load",
            False,
        ),
        DatasetType(
            "mmseg",
            {"type": (str, True), "dataset": (dict, True), **NAMED},
            "mm_config:load",
            False,
        ),
    )
}
