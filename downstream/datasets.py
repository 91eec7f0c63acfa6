"""The images of a suite's ``dataset:`` entry and the ground truth they bring.

``samples`` and ``folder`` give clean images, onto which the suite adds its rain;
``paired`` (any layout ``rdmc data check`` knows) gives rainy/clean pairs and is its
own rain: each rainy image is one scored image, so Rain1400's 14 rainy versions of a
clean image are 14 images sharing it. Unreadable images and images too small to score
are skipped and listed; a dataset with no usable image is one :class:`BenchError`.
``ground_truth_identity`` is what a scored cell's cache key must cover of the ground truth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from downstream.annotations import label_maps_digest, match_label_maps, read_coco
from downstream.errors import BenchError
from rdmc.data.datasets import PairedRainDataset, to_rgb_uint8
from rdmc.data.layouts import LayoutError, Pair, find_pairs
from rdmc.data.samples import manifest_sha256, sample_split
from rdmc.imageio import ImageError, list_images, read_image
from rdmc.metrics import SSIM_WINDOW

PSEUDO_GT = "pseudo: the same model's predictions on the clean image"


@dataclass
class Image:
    name: str  # unique in the dataset: the clean file's name, or a pair's rainy file's name
    key: str  # hash of the clean image's file bytes (and which half, side-by-side layouts)
    path: Path  # the clean image's file
    shape: tuple[int, int]  # height, width
    rainy: Path | None = None  # a paired dataset's rainy file; None where rain is synthesized
    rainy_key: str | None = None
    rainy_half: str | None = None  # side-by-side layouts: the half of the file that is rainy

    def read_clean(self) -> np.ndarray:
        if self.rainy_half is None:
            return to_rgb_uint8(read_image(self.path))
        return self._halves()[1]

    def read_rainy(self) -> np.ndarray:
        if self.rainy_half is None:
            return to_rgb_uint8(read_image(self.rainy))
        return self._halves()[0]

    def _halves(self) -> tuple[np.ndarray, np.ndarray]:
        """(rainy, clean) of a side-by-side file: one read gives both."""
        return PairedRainDataset.read_pair(Pair(self.rainy, self.path, self.rainy_half))


@dataclass
class Dataset:
    name: str
    images: list[Image]
    skipped: list[str] = field(default_factory=list)
    coco: dict | None = None  # image name -> list of {"bbox" x1y1x2y2, "category", "ignore_flag"}
    coco_sha256: str | None = None
    seg_labels: dict[str, Path] | None = None
    seg_labels_sha256: list[tuple[str, str]] | None = None  # (image name, label map's hash)
    manifest_sha256: str | None = None  # the embedded sample set's manifest, recorded in results
    rain: str | None = None  # a paired dataset's name: its own rain; None when synthesized

    @property
    def sha256(self) -> str:
        """What the results were made on: every image's name and content, and the ground
        truth's files."""
        parts = [f"{im.name} {im.key} {im.rainy_key or ''}".rstrip() for im in self.images]
        parts += [f"coco {self.coco_sha256}"] if self.coco_sha256 else []
        parts += [f"labels {n} {h}" for n, h in self.seg_labels_sha256 or []]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def ground_truth(self, task: str) -> str:
        """The kind of ground truth ``task`` is scored against."""
        if task == "detection":
            return PSEUDO_GT if self.coco is None else "COCO annotations"
        if task == "segmentation":
            return PSEUDO_GT if self.seg_labels is None else "label maps"
        return "clean image"

    def ground_truth_identity(self, task: str) -> list:
        """Everything a scored cell reads of the ground truth: its kind, the bytes of the
        annotation file or label maps, the pseudo ground truth's score threshold."""
        from downstream.scoring import PSEUDO_GT_SCORE

        kind = self.ground_truth(task)
        if task == "detection" and self.coco is not None:
            return [kind, self.coco_sha256]
        if task == "segmentation" and self.seg_labels is not None:
            return [kind, self.seg_labels_sha256]
        if kind == PSEUDO_GT:
            return [kind, PSEUDO_GT_SCORE if task == "detection" else None]
        return [kind]


def _usable(path: Path) -> Image:
    """The dataset entry of one image file; ImageError if it cannot be scored."""
    shape = read_image(path).shape[:2]
    if min(shape) < SSIM_WINDOW:
        raise ImageError(f"{path}: {shape[1]}x{shape[0]} pixels, smaller than the "
                         f"{SSIM_WINDOW}x{SSIM_WINDOW} SSIM window")  # fmt: skip
    return Image(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), path, shape)


def _file_key(path: Path, half: str | None = None) -> str:
    return hashlib.sha256(path.read_bytes() + (half or "").encode()).hexdigest()


def _usable_pair(pair: Pair) -> Image:
    """The dataset entry of one rainy/clean pair; ImageError if it cannot be scored."""
    rainy, _ = PairedRainDataset.read_pair(pair)  # both readable and of one size
    if min(rainy.shape[:2]) < SSIM_WINDOW:
        raise ImageError(f"{pair.rainy}: {rainy.shape[1]}x{rainy.shape[0]} pixels, smaller "
                         f"than the {SSIM_WINDOW}x{SSIM_WINDOW} SSIM window")  # fmt: skip
    clean_half = None if pair.rainy_half is None else "clean " + pair.rainy_half
    return Image(pair.rainy.name, _file_key(pair.clean, clean_half), pair.clean,
                 rainy.shape[:2], pair.rainy, _file_key(pair.rainy, pair.rainy_half),
                 pair.rainy_half)  # fmt: skip


def _paired_images(spec: dict, limit: int | None) -> tuple[str, list, list[str]]:
    root = Path(spec["root"])
    if not root.is_dir():
        raise BenchError(f"{root}: dataset folder does not exist")
    try:
        found = find_pairs(root, spec.get("layout"))
    except LayoutError as e:
        raise BenchError(str(e)) from e
    images, skipped = [], []
    for pair in found.pairs[: spec.get("limit", limit)]:
        try:
            images.append(_usable_pair(pair))
        except ImageError as e:
            skipped.append(str(e))
    return spec.get("name", root.name), images, skipped


def _clean_images(spec: dict, limit: int | None) -> tuple[str, list, list[str]]:
    if spec.get("type", "folder") == "samples":
        split = spec.get("split", "test")
        root, name = sample_split(split), f"samples:{split}"
    else:
        root, name = Path(spec["root"]), spec.get("name", Path(spec["root"]).name)
        if not root.is_dir():
            raise BenchError(f"{root}: dataset folder does not exist")
    paths = list_images(root)[: spec.get("limit", limit)]
    if not paths:
        raise BenchError(f"{root}: no images in the dataset folder")
    images, skipped = [], []
    for path in paths:
        try:
            images.append(_usable(path))
        except ImageError as e:
            skipped.append(str(e))
    return name, images, skipped


def load_dataset(spec: dict, limit: int | None = None) -> Dataset:
    """The images of a (schema-checked) ``dataset:`` entry, with their ground truth.

    Unreadable and too small images are skipped and listed; a dataset with no usable
    image is an error. Annotations (``coco_json``, ``seg_labels``) are keyed by the
    clean image's file name, which a paired dataset's rainy images share."""
    kind = spec.get("type", "folder")
    load = _paired_images if kind == "paired" else _clean_images
    name, images, skipped = load(spec, limit)
    if not images:
        raise BenchError(f"{spec.get('root', name)}: no usable image ({len(skipped)} skipped, "
                         f"e.g. {skipped[0]})")  # fmt: skip
    dataset = Dataset(name, images, skipped, rain=name if kind == "paired" else None)
    if kind == "samples":
        dataset.manifest_sha256 = manifest_sha256()
    if spec.get("coco_json"):
        coco = Path(spec["coco_json"])
        by_clean = read_coco(coco, sorted({im.path.name for im in images}))
        dataset.coco = {im.name: by_clean[im.path.name] for im in images}
        dataset.coco_sha256 = hashlib.sha256(coco.read_bytes()).hexdigest()
    if spec.get("seg_labels"):
        cleans = {im.path.name: SimpleNamespace(name=im.path.name, shape=im.shape) for im in images}
        by_clean = match_label_maps(Path(spec["seg_labels"]), list(cleans.values()))
        dataset.seg_labels = {im.name: by_clean[im.path.name] for im in images}
        dataset.seg_labels_sha256 = label_maps_digest(dataset.seg_labels)
    return dataset
