"""The images of a suite's ``dataset:`` entry and the ground truth they bring.

Unreadable images and images too small to score are skipped and listed; a
dataset with no usable image is one :class:`BenchError`. ``ground_truth_identity``
is what a scored cell's cache key must cover of the ground truth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from downstream.annotations import label_maps_digest, match_label_maps, read_coco
from downstream.errors import BenchError
from rdmc.data.samples import manifest_sha256, sample_split
from rdmc.imageio import ImageError, list_images, read_image
from rdmc.metrics import SSIM_WINDOW

PSEUDO_GT = "pseudo: the same model's predictions on the clean image"


@dataclass
class Image:
    name: str
    key: str  # hash of the file's bytes
    path: Path
    shape: tuple[int, int]  # height, width


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

    @property
    def sha256(self) -> str:
        """What the results were made on: every image's name and content, and the ground
        truth's files."""
        parts = [f"{im.name} {im.key}" for im in self.images]
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


def load_dataset(spec: dict, limit: int | None = None) -> Dataset:
    """The images of a (schema-checked) ``dataset:`` entry, with their ground truth.

    Unreadable and too small images are skipped and listed; a dataset with no usable
    image is an error."""
    kind = spec.get("type", "folder")
    if kind == "samples":
        root, name = sample_split(spec.get("split", "test")), f"samples:{spec.get('split', 'test')}"
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
    if not images:
        raise BenchError(f"{root}: no usable image ({len(skipped)} skipped, e.g. {skipped[0]})")
    dataset = Dataset(name, images, skipped)
    if kind == "samples":
        dataset.manifest_sha256 = manifest_sha256()
    if spec.get("coco_json"):
        coco = Path(spec["coco_json"])
        dataset.coco = read_coco(coco, [im.name for im in images])
        dataset.coco_sha256 = hashlib.sha256(coco.read_bytes()).hexdigest()
    if spec.get("seg_labels"):
        dataset.seg_labels = match_label_maps(Path(spec["seg_labels"]), images)
        dataset.seg_labels_sha256 = label_maps_digest(dataset.seg_labels)
    return dataset
