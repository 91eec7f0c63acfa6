"""The images of a suite's ``dataset:`` entry and the ground truth they bring: one module per
type behind one interface (:class:`Dataset` of :class:`Image`; see base.py).

Unreadable images and images too small to score are skipped and listed; a dataset with no
usable image is one :class:`BenchError`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from downstream.dataset_types import DATASET_TYPES, DatasetType
from downstream.datasets import cityscapes, clean, mm_config, paired, real_rain
from downstream.datasets.base import PSEUDO_GT, Dataset, Image, RainyFile
from downstream.errors import BenchError
from rdmc.imageio import ignored_note, list_images

__all__ = ["PSEUDO_GT", "Dataset", "Image", "RainyFile", "load_dataset"]


# The modules DATASET_TYPES's loaders live in, imported here by name so that the bench's
# cache keys (rdmc.code_digest's import closure) cover their code.
LOADER_MODULES = {
    "clean": clean,
    "paired": paired,
    "real_rain": real_rain,
    "cityscapes": cityscapes,
    "mm_config": mm_config,
}


def loader_of(kind: DatasetType) -> Callable:
    """The function that loads a dataset of this type."""
    module, function = kind.loader.split(":")
    return getattr(LOADER_MODULES[module], function)


def load_dataset(spec: dict, limit: int | None = None) -> Dataset:
    """The images of a (schema-checked) ``dataset:`` entry, with their ground truth.

    ``coco_json`` and ``seg_labels`` (folder, paired) are keyed by the clean image's file
    name, which a paired dataset's rainy images share."""
    load = loader_of(DATASET_TYPES[spec.get("type", "folder")])
    dataset = load(spec, spec.get("limit", limit))
    if not dataset.images:
        where, skipped = spec.get("root", dataset.name), dataset.skipped
        raise BenchError(f"{where}: no usable image ({len(skipped)} skipped, e.g. {skipped[0]})")
    if spec.get("coco_json") and dataset.boxes is None:
        # the file may annotate images skipped as unreadable: they are named, not an error
        names = {im.gt_name for im in dataset.images}
        names |= {p.name for p in list_images(Path(spec["root"]))} if spec.get("root") else set()
        dataset.attach_coco(Path(spec["coco_json"]), sorted(names))
    if spec.get("seg_labels"):
        dataset.attach_label_maps(Path(spec["seg_labels"]))
    for key, inside in (("root", ""), ("voc", "JPEGImages")):
        folder = Path(spec[key]) / inside if spec.get(key) else None
        note = ignored_note(folder) if folder is not None and folder.is_dir() else None
        dataset.ignored += [note] if note else []
    return dataset
