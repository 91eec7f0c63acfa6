"""Ground truth a dataset brings: COCO box annotations and label maps, checked on reading.

Every problem is one :class:`BenchError` line naming the file and the entry
(``annotations[3]: image_id 99 is not in images``), raised before any score is
computed. Boxes come out as mmdet's ``x1, y1, x2, y2`` with the category's name.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from downstream.errors import BenchError
from rdmc.imageio import ImageError, list_images, read_image


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _entries(data: dict, key: str, path: Path) -> list[dict]:
    entries = data.get(key)
    if not isinstance(entries, list):
        raise BenchError(f"{path}: '{key}' must be a list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BenchError(f"{path}: {key}[{i}] is not an object")
    return entries


def _field(entry: dict, name: str, kind, where: str, path: Path):
    value = entry.get(name)
    ok = _number(value) if kind is float else isinstance(value, kind)
    if kind is int:
        ok = ok and not isinstance(value, bool)
    if not ok:
        expected = {int: "an integer", str: "a string", float: "a number"}[kind]
        raise BenchError(f"{path}: {where}.{name} must be {expected}, got {value!r:.40}")
    return value


def _names_by_id(data: dict, key: str, name_field: str, path: Path) -> dict[int, str]:
    """``{id: name}`` of the COCO list ``key`` (categories, images); ids are unique."""
    names: dict[int, str] = {}
    for i, entry in enumerate(_entries(data, key, path)):
        entry_id = _field(entry, "id", int, f"{key}[{i}]", path)
        if entry_id in names:
            raise BenchError(f"{path}: {key}[{i}]: id {entry_id} appears twice")
        names[entry_id] = _field(entry, name_field, str, f"{key}[{i}]", path)
    return names


def read_coco(path: Path, image_names: list[str]) -> dict[str, list[dict]]:
    """Boxes per image file name: ``{name: [{"bbox": [x1, y1, x2, y2], "category": str}]}``.

    Every image of the dataset gets an entry (an image without annotations has none);
    the annotation file may not name images the dataset does not have."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BenchError(f"{path}: not a readable JSON file ({type(e).__name__})") from e
    if not isinstance(data, dict):
        raise BenchError(
            f"{path}: a COCO file is a JSON object with images, annotations, categories"
        )
    categories = _names_by_id(data, "categories", "name", path)
    images = _names_by_id(data, "images", "file_name", path)
    known = set(image_names)
    unknown = sorted(set(images.values()) - known)
    if unknown:
        raise BenchError(f"{path}: annotations name images not in the dataset (e.g. {unknown[0]})")
    result: dict[str, list[dict]] = {name: [] for name in image_names}
    for i, ann in enumerate(_entries(data, "annotations", path)):
        where = f"annotations[{i}]"
        image_id = _field(ann, "image_id", int, where, path)
        category_id = _field(ann, "category_id", int, where, path)
        if image_id not in images:
            raise BenchError(f"{path}: {where}: image_id {image_id} is not in images")
        if category_id not in categories:
            raise BenchError(f"{path}: {where}: category_id {category_id} is not in categories")
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            raise BenchError(
                f"{path}: {where}: bbox must be 4 numbers [x, y, w, h], got {bbox!r:.40}"
            )
        x, y, w, h = bbox
        if w < 0 or h < 0:
            raise BenchError(f"{path}: {where}: bbox has a negative width or height ({bbox})")
        result[images[image_id]].append(
            {
                "bbox": [x, y, x + w, y + h],
                "category": categories[category_id],
                "ignore_flag": int(bool(ann.get("iscrowd", 0))),
            }
        )
    return result


def coco_image_names(path: Path, listed: list[str]) -> set[str]:
    """The file names a COCO file annotates (its ``images``), checked as :func:`read_coco`
    checks them: each one of the ``listed`` files of the dataset's folder."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BenchError(f"{path}: not a readable JSON file ({type(e).__name__})") from e
    if not isinstance(data, dict):
        raise BenchError(
            f"{path}: a COCO file is a JSON object with images, annotations, categories"
        )
    names = set(_names_by_id(data, "images", "file_name", path).values())
    unknown = sorted(names - set(listed))
    if unknown:
        raise BenchError(f"{path}: annotations name images not in the dataset (e.g. {unknown[0]})")
    return names


VOC_CORNERS = ("xmin", "ymin", "xmax", "ymax")


def _voc_size(root) -> tuple[int, int] | None:
    """(width, height) from a VOC annotation's ``<size>``, None where it has none."""
    try:
        size = root.find("size")
        width, height = int(size.findtext("width")), int(size.findtext("height"))
    except (AttributeError, TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def check_voc_file(xml: Path, size: tuple[int, int] | None = None) -> set[str]:
    """One Pascal VOC annotation, checked as COCO files are: every object has a name and a
    box of four finite numbers with an area, inside the image (``size``, width and height;
    by default the file's own ``<size>``; VOC counts from 1, so up to the width itself). One
    BenchError line naming the file and the object; else the class names of its objects."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError) as e:
        raise BenchError(f"{xml}: not valid XML ({e})") from e
    size = size or _voc_size(root)
    names = set()
    for i, obj in enumerate(root.iter("object"), 1):
        name = (obj.findtext("name") or "").strip()
        where = f"{xml}: object {i}" + (f" ({name})" if name else "")
        if not name:
            raise BenchError(f"{where} has an empty <name>")
        names.add(name)
        box = obj.find("bndbox")
        if box is None:
            raise BenchError(f"{where} has no <bndbox>")
        corners = []
        for tag in VOC_CORNERS:
            text = box.findtext(tag)
            try:
                value = float(text)
            except (TypeError, ValueError):
                raise BenchError(f"{where}: <{tag}> is not a number: {text!r:.30}") from None
            if not math.isfinite(value):
                raise BenchError(f"{where}: <{tag}> {text.strip():.30} is not a finite number")
            corners.append(value)
        x1, y1, x2, y2 = corners
        if x2 <= x1 or y2 <= y1:
            raise BenchError(
                f"{where}: box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) is inverted or has no area"
            )
        if size is not None and (x1 < 0 or y1 < 0 or x2 > size[0] + 1 or y2 > size[1] + 1):
            raise BenchError(
                f"{where}: box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) lies outside the "
                f"{size[0]}x{size[1]} image"
            )
    return names


def match_label_maps(folder: Path, images: list) -> dict[str, Path]:
    """The label map of every image (same stem), each a 2-D map of the image's size."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BenchError(f"{folder}: label folder does not exist")
    labels = {p.stem: p for p in list_images(folder)}
    missing = [im.name for im in images if Path(im.name).stem not in labels]
    if missing:
        raise BenchError(f"{folder}: no label map for {len(missing)} image(s), e.g. {missing[0]}")
    matched = {}
    for im in images:
        matched[im.name] = labels[Path(im.name).stem]
        check_label_map(matched[im.name], im.name, im.shape)
    return matched


def check_label_map(path: Path, image_name: str, shape: tuple[int, int]) -> None:
    """A label map must be readable and one channel of its image's height and width."""
    try:
        label = read_image(path)
    except ImageError as e:
        raise BenchError(str(e)) from e
    if label.ndim != 2 or label.shape != tuple(shape):
        raise BenchError(
            f"{path}: label map of shape {label.shape} does not fit "
            f"{image_name} ({shape[0]}x{shape[1]}, one channel expected)"
        )


def label_maps_digest(labels: dict[str, Path]) -> list[tuple[str, str]]:
    """(image name, SHA-256 of its label map), for cache keys."""
    from rdmc.digests import sha256_of

    return [(name, sha256_of(p)) for name, p in sorted(labels.items())]


# Cityscapes label ids of the 19 evaluated classes, in train-id order (road ... bicycle);
# every other id is ignored (255), as cityscapesscripts' labels.py maps them.
CITYSCAPES_EVAL_IDS = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)


MMSEG_READER = "mmseg LoadAnnotations "  # followed by the dataset's reading settings (JSON)


def read_label_map(path: Path, reader: str | None = None) -> np.ndarray:
    """A label map's class indices: its values as is, Cityscapes label ids mapped to train ids
    (``reader="cityscapes labelIds -> trainIds"``), or as mmseg's LoadAnnotations reads it
    (``MMSEG_READER`` + JSON of ``reduce_zero_label`` and ``label_map``)."""
    if reader is not None and reader.startswith(MMSEG_READER):
        from mmseg.datasets.transforms import LoadAnnotations

        settings = json.loads(reader.removeprefix(MMSEG_READER))
        label_map = {int(k): v for k, v in (settings["label_map"] or {}).items()} or None
        loaded = LoadAnnotations(reduce_zero_label=settings["reduce_zero_label"])(
            {
                "seg_map_path": str(path),
                "reduce_zero_label": settings["reduce_zero_label"],
                "label_map": label_map,
                "seg_fields": [],
            }
        )
        return loaded["gt_seg_map"].astype(np.int64)
    label = read_image(path).astype(np.int64)
    if reader is None:
        return label
    table = np.full(256, 255, np.int64)
    table[list(CITYSCAPES_EVAL_IDS)] = np.arange(len(CITYSCAPES_EVAL_IDS))
    return table[np.clip(label, 0, 255)]


# Pascal VOC class names that COCO-trained detectors spell differently.
VOC_TO_COCO = {
    "aeroplane": "airplane",
    "diningtable": "dining table",
    "motorbike": "motorcycle",
    "pottedplant": "potted plant",
    "sofa": "couch",
    "tvmonitor": "tv",
}


def model_class(category: str, classes: list[str]) -> str | None:
    """The detector's class an annotation's category names (by name, or VOC's spelling of a
    COCO class); None if the detector has no such class."""
    for name in (category, VOC_TO_COCO.get(category), category.replace("_", " ")):
        if name in classes:
            return name
    return None
