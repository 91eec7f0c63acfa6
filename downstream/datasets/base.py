"""What every dataset type gives the runner: images, their clean and rainy copies, ground truth.

An :class:`Image` starts from its clean file (``path``), from which the suite makes rainy
copies, unless the dataset brings its own rain: then ``rainy`` maps each of the dataset's
rain settings to a file. A dataset of real rain has no clean image (``path`` is None,
``Dataset.has_clean`` is false): nothing is restored against it and its ground truth is
real annotations. Annotations are keyed by ``gt_name``: the clean file's name, or a real
rainy photo's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from downstream.annotations import label_maps_digest, match_label_maps, read_coco
from downstream.errors import BenchError
from rdmc.code_digest import content_hash
from rdmc.data.datasets import PairedRainDataset, to_rgb_uint8
from rdmc.data.layouts import Pair
from rdmc.digests import sha256_bytes, sha256_of, sha256_text
from rdmc.imageio import ImageError, image_size, read_image
from rdmc.metrics import SSIM_WINDOW

PSEUDO_GT = "pseudo: the same model's predictions on the clean image"


@dataclass(frozen=True)
class RainyFile:
    path: Path
    key: str  # hash of the file's bytes (and which half, side-by-side layouts)
    half: str | None = None  # side-by-side layouts: the half of the file that is rainy


@dataclass
class Image:
    name: str  # unique in the dataset: the clean file's name, or a rainy file's name
    key: str  # hash of the first file of its chain: the clean file, or a real rainy photo
    path: Path | None  # the clean image's file; None for real rain
    shape: tuple[int, int]  # height, width
    rainy: dict[str, RainyFile] = field(default_factory=dict)  # the dataset's own rain
    gt_name: str = ""  # the file name annotations are keyed by (default: the clean file's)

    def __post_init__(self) -> None:
        self.gt_name = self.gt_name or (self.path.name if self.path else self.name)

    def read_clean(self) -> np.ndarray:
        if self.path is None:
            raise BenchError(f"{self.name}: real rain has no clean image")
        side_by_side = next((r for r in self.rainy.values() if r.half), None)
        if side_by_side is None:
            return to_rgb_uint8(read_image(self.path))
        return PairedRainDataset.read_pair(Pair(side_by_side.path, self.path, side_by_side.half))[1]

    def read_rainy(self, setting: str) -> np.ndarray:
        rainy = self.rainy[setting]
        if rainy.half is None:
            return to_rgb_uint8(read_image(rainy.path))
        return PairedRainDataset.read_pair(Pair(rainy.path, self.path, rainy.half))[0]


@dataclass(frozen=True)
class Boxes:
    """A dataset's box annotations: the detectors' ground truth."""

    by_image: dict[str, list[dict]]  # image name -> [{"bbox" x1y1x2y2, "category", "ignore_flag"}]
    source: str  # "COCO annotations", "VOC annotations"
    sha256: str  # the files read and the boxes as read
    metric: str = "coco"  # "coco", or "voc" / "voc-area": VOCMetric's 11-point / area AP


@dataclass(frozen=True)
class LabelMaps:
    """A dataset's label maps: the segmenters' ground truth."""

    by_image: dict[str, Path]
    sha256: list[tuple[str, str]]  # (image name, label map's hash)
    reader: str | None = None  # how they are read (None: their values as they are)


@dataclass(frozen=True)
class Shows:
    """The classes each image shows (the catalogue's tags, or its boxes' categories): a
    segmenter is scored on the images showing one of its classes."""

    by_image: dict[str, tuple[str, ...]]
    source: str


@dataclass
class Dataset:
    name: str
    images: list[Image]
    skipped: list[str] = field(default_factory=list)
    boxes: Boxes | None = None  # None: pseudo ground truth from the clean images
    labels: LabelMaps | None = None  # None: pseudo ground truth from the clean images
    shows: Shows | None = None  # None: not known, every image is scored
    manifest_sha256: str | None = None  # the embedded sample set's manifest, recorded in results
    rain: list[str] = field(default_factory=list)  # its own rain settings; [] = the suite's rain
    has_clean: bool = True
    ignored: list[str] = field(default_factory=list)  # notes on files not read as images

    @property
    def sha256(self) -> str:
        """What the results were made on: every image's name and content, and the ground
        truth's files."""
        parts = [
            " ".join([im.name, im.key, *(r.key for r in im.rainy.values())]) for im in self.images
        ]
        parts += [f"coco {self.boxes.sha256}"] if self.boxes else []
        parts += [f"labels {n} {h}" for n, h in self.labels.sha256] if self.labels else []
        return sha256_text("\n".join(parts))

    def ground_truth(self, task: str) -> str:
        """The kind of ground truth ``task`` is scored against."""
        if task == "detection":
            return PSEUDO_GT if self.boxes is None else self.boxes.source
        if task == "segmentation":
            return PSEUDO_GT if self.labels is None else "label maps"
        return "clean image"

    def ground_truth_identity(self, task: str) -> list:
        """Everything a scored cell reads of the ground truth: its kind, the bytes of the
        annotation file or label maps, the pseudo ground truth's score threshold."""
        from downstream.scoring import PSEUDO_GT_SCORE

        kind = self.ground_truth(task)
        if task == "detection" and self.boxes is not None:
            return [kind, self.boxes.sha256, self.boxes.metric]
        if task == "segmentation" and self.labels is not None:
            return [kind, self.labels.sha256, self.labels.reader]
        if kind == PSEUDO_GT:
            return [kind, PSEUDO_GT_SCORE if task == "detection" else None]
        return [kind]

    def attach_boxes(
        self, by_name: dict[str, list[dict]], source: str, sha256: str, metric: str = "coco"
    ) -> None:
        """Boxes keyed by file name (every image's ``gt_name`` has an entry), scored by
        ``metric`` (see :class:`Boxes`). Their digest covers the boxes as read, besides the
        file digest ``sha256``: an edit to any annotation file a loader reads (a VOC XML
        beside its image list) re-keys every detection cell."""
        boxes = {im.name: by_name[im.gt_name] for im in self.images}
        self.boxes = Boxes(boxes, source, content_hash(sha256, boxes), metric)
        shown = {n: tuple(sorted({a["category"] for a in b})) for n, b in boxes.items()}
        self.shows = Shows(shown, source)

    def attach_coco(self, path: Path, names: list[str]) -> None:
        """Boxes from a COCO json that may name the files ``names`` (at least every image's
        ``gt_name``), keyed by file name."""
        sha256 = sha256_of(path)
        self.attach_boxes(read_coco(path, names), "COCO annotations", sha256)

    def attach_label_maps(self, folder: Path) -> None:
        """The label map of every image, from ``folder`` (same stem as ``gt_name``)."""
        named = {im.gt_name: SimpleNamespace(name=im.gt_name, shape=im.shape) for im in self.images}
        by_name = match_label_maps(folder, list(named.values()))
        self.labels = label_maps({im.name: by_name[im.gt_name] for im in self.images})


def label_maps(by_image: dict[str, Path], reader: str | None = None) -> LabelMaps:
    """Label maps with their digest."""
    return LabelMaps(by_image, label_maps_digest(by_image), reader)


def file_key(path: Path, half: str | None = None) -> str:
    return sha256_bytes(path.read_bytes() + (half or "").encode())


def check_size(path: Path, shape: tuple[int, ...]) -> tuple[int, int]:
    """``shape``'s height and width; ImageError if it is too small to score."""
    if min(shape[:2]) < SSIM_WINDOW:
        raise ImageError(
            f"{path}: {shape[1]}x{shape[0]} pixels, smaller than the "
            f"{SSIM_WINDOW}x{SSIM_WINDOW} SSIM window"
        )
    return shape[0], shape[1]


def check_rainy_file(path: Path, shape: tuple[int, int]) -> None:
    """A dataset's rainy file, checked when the dataset loads, from its header: readable and
    of its clean image's size. ImageError naming it if not (the image is skipped)."""
    width, height = image_size(path)
    if (height, width) != tuple(shape):
        raise ImageError(
            f"{path}: rainy image of {width}x{height} pixels, its clean image is "
            f"{shape[1]}x{shape[0]}"
        )


def usable_clean(path: Path) -> Image:
    """The dataset entry of one clean image file; ImageError if it cannot be scored."""
    shape = check_size(path, read_image(path).shape)
    return Image(path.name, file_key(path), path, shape)


def keep_usable(make, items: list) -> tuple[list[Image], list[str]]:
    """``make(item)`` for every item; those raising ImageError are skipped and listed."""
    images, skipped = [], []
    for item in items:
        try:
            images.append(make(item))
        except ImageError as e:
            skipped.append(str(e))
    return images, skipped


def folder_of(spec: dict, key: str = "root") -> Path:
    root = Path(spec[key])
    if not root.is_dir():
        raise BenchError(f"{root}: dataset folder does not exist")
    return root
