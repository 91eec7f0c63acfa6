"""``samples`` (the embedded split) and ``folder`` (any folder of clean images): clean
photos onto which the suite adds its rain."""

from __future__ import annotations

from pathlib import Path

from downstream.annotations import coco_image_names
from downstream.datasets.base import Dataset, Shows, folder_of, keep_usable, usable_clean
from downstream.errors import BenchError
from rdmc.data.catalogue import SHOWS
from rdmc.data.samples import manifest_sha256, sample_split
from rdmc.imageio import list_images


def _from_folder(
    root: Path, name: str, limit: int | None, annotated: set[str] | None = None
) -> Dataset:
    """The folder's images; with ``annotated``, only those (``limit`` picks among them)."""
    paths = [p for p in list_images(root) if annotated is None or p.name in annotated][:limit]
    if not paths:
        raise BenchError(f"{root}: no images in the dataset folder")
    return Dataset(name, *keep_usable(usable_clean, paths))


def load_samples(spec: dict, limit: int | None) -> Dataset:
    split = spec.get("split", "test")
    dataset = _from_folder(sample_split(split), f"samples:{split}", limit)
    dataset.manifest_sha256 = manifest_sha256()
    if all(Path(im.name).stem in SHOWS for im in dataset.images):
        shown = {im.name: SHOWS[Path(im.name).stem] for im in dataset.images}
        dataset.shows = Shows(shown, "catalogue tags (rdmc.data.catalogue.SHOWS)")
    return dataset


def load_folder(spec: dict, limit: int | None) -> Dataset:
    root = folder_of(spec)
    annotated = None
    if spec.get("coco_json"):  # the annotated images are the dataset
        annotated = coco_image_names(Path(spec["coco_json"]), [p.name for p in list_images(root)])
    return _from_folder(root, spec.get("name", root.name), limit, annotated)
