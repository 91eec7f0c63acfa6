"""``samples`` (the embedded split) and ``folder`` (any folder of clean images): clean
photos onto which the suite adds its rain."""

from __future__ import annotations

from pathlib import Path

from downstream.datasets.base import Dataset, folder_of, keep_usable, usable_clean
from downstream.errors import BenchError
from rdmc.data.samples import manifest_sha256, sample_split
from rdmc.imageio import list_images


def _from_folder(root: Path, name: str, limit: int | None) -> Dataset:
    paths = list_images(root)[:limit]
    if not paths:
        raise BenchError(f"{root}: no images in the dataset folder")
    return Dataset(name, *keep_usable(usable_clean, paths))


def load_samples(spec: dict, limit: int | None) -> Dataset:
    split = spec.get("split", "test")
    dataset = _from_folder(sample_split(split), f"samples:{split}", limit)
    dataset.manifest_sha256 = manifest_sha256()
    return dataset


def load_folder(spec: dict, limit: int | None) -> Dataset:
    root = folder_of(spec)
    return _from_folder(root, spec.get("name", root.name), limit)
