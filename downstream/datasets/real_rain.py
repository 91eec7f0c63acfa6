"""``real-rain``: rainy photos with no clean counterpart and real box annotations, a COCO
json (``root`` + ``coco_json``, keyed by file name) or Pascal VOC (``voc: DIR`` with
``Annotations/*.xml`` next to ``JPEGImages/``; ``ImageSets/Main/<image_set>.txt`` picks the
images, ``test`` when that file exists, else every annotated image). The XML is read by
MMDetection's own parser. The photos are the dataset's one rain setting, named after it;
there is no clean condition, so no PSNR and no recovery."""

from __future__ import annotations

from pathlib import Path

from downstream.annotations import check_voc_file, coco_image_names
from downstream.datasets.base import (
    Dataset,
    Image,
    RainyFile,
    check_size,
    file_key,
    folder_of,
    keep_usable,
)
from downstream.errors import BenchError
from rdmc.digests import sha256_of, sha256_text
from rdmc.imageio import ImageError, image_size, list_images, read_image


def _usable_photo(path: Path, rain: str) -> Image:
    key = file_key(path)
    shape = check_size(path, read_image(path).shape)
    return Image(path.name, key, None, shape, {rain: RainyFile(path, key)}, path.name)


def _voc_ids(voc: Path, image_set: str | None) -> list[str]:
    sets = voc / "ImageSets" / "Main"
    chosen = sets / f"{image_set or 'test'}.txt"
    if image_set and not chosen.is_file():
        raise BenchError(f"{chosen}: image set file does not exist")
    if chosen.is_file():
        return [line.split()[0] for line in chosen.read_text().splitlines() if line.strip()]
    return sorted(p.stem for p in (voc / "Annotations").glob("*.xml"))


def read_voc(voc: Path, ids: list[str]) -> tuple[dict[str, list[dict]], dict[str, Path]]:
    """Boxes per image file name (mmdet's XMLDataset: 1-based corners minus one,
    ``difficult`` ignored in scoring) and each image's file."""
    from mmdet.datasets import XMLDataset

    photos = {p.stem: p for p in list_images(voc / "JPEGImages")}
    xmls = {i: voc / "Annotations" / f"{i}.xml" for i in ids}
    for i, xml in xmls.items():
        if not xml.is_file():
            raise BenchError(f"{xml}: no annotation file for image {i}")
        if i not in photos:
            raise BenchError(f"{voc / 'JPEGImages'}: no image for annotation {xml.name}")
    names = set()
    for i, xml in xmls.items():
        names |= check_voc_file(xml, _size_or_none(photos[i]))
    classes = tuple(sorted(names))
    parser = XMLDataset(
        data_root=str(voc),
        ann_file="",
        metainfo={"classes": classes},
        data_prefix={"sub_data_root": ""},
        lazy_init=True,
        test_mode=True,
    )
    parser.cat2label = {c: k for k, c in enumerate(classes)}
    boxes, files = {}, {}
    for i, xml in xmls.items():
        info = {"img_id": i, "file_name": str(photos[i]), "xml_path": str(xml)}
        try:
            instances = parser.parse_data_info(info)["instances"]
        except (AttributeError, TypeError, ValueError) as e:
            raise BenchError(f"{xml}: not a Pascal VOC annotation ({e})") from e
        boxes[photos[i].name] = [
            {
                "bbox": a["bbox"],
                "category": classes[a["bbox_label"]],
                "ignore_flag": a["ignore_flag"],
            }
            for a in instances
        ]
        files[photos[i].name] = photos[i]
    return boxes, files


def _size_or_none(photo: Path) -> tuple[int, int] | None:
    """The photo's size from its header; None if unreadable (it is skipped and named later)."""
    try:
        return image_size(photo)
    except ImageError:
        return None


def _voc_digest(voc: Path, ids: list[str]) -> str:
    parts = [sha256_of(voc / "Annotations" / f"{i}.xml") for i in ids]
    return sha256_text("\n".join(f"{i} {h}" for i, h in zip(ids, parts, strict=True)))


def load(spec: dict, limit: int | None) -> Dataset:
    if "voc" in spec:
        voc = folder_of(spec, "voc")
        ids = _voc_ids(voc, spec.get("image_set"))[:limit]
        boxes, files = read_voc(voc, ids)
        name = spec.get("name", voc.name)
        images, skipped = keep_usable(lambda p: _usable_photo(p, name), list(files.values()))
        dataset = Dataset(name, images, skipped, rain=[name], has_clean=False)
        dataset.attach_boxes(boxes, "VOC annotations", _voc_digest(voc, ids), metric="voc")
        return dataset
    root = folder_of(spec)
    listed = list_images(root)
    annotated = coco_image_names(Path(spec["coco_json"]), [p.name for p in listed])
    paths = [p for p in listed if p.name in annotated][:limit]  # `limit` picks annotated ones
    if not paths:
        raise BenchError(f"{root}: no annotated images in the dataset folder")
    name = spec.get("name", root.name)
    images, skipped = keep_usable(lambda p: _usable_photo(p, name), paths)
    dataset = Dataset(name, images, skipped, rain=[name], has_clean=False)
    dataset.attach_coco(Path(spec["coco_json"]), [p.name for p in listed])
    return dataset
