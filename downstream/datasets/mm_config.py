"""``mmdet`` / ``mmseg``: anything MMDetection or MMSegmentation builds from a dataset config
(CocoDataset, VOCDataset, CityscapesDataset, ADE20KDataset, ...), given as ``dataset:``.

Images and ground truth come from their loader: boxes from its ``instances`` (with its class
names), label maps read by mmseg's ``LoadAnnotations`` with the dataset's
``reduce_zero_label`` and ``label_map``. Its images are clean: the suite adds its rain.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from downstream.annotations import MMSEG_READER, check_voc_file
from downstream.datasets.base import Dataset, keep_usable, label_maps, usable_clean
from downstream.errors import BenchError
from rdmc.code_digest import content_hash
from rdmc.imageio import read_image
from rdmc.messages import first_line


def _build(kind: str, config: dict):
    """The library's dataset, for testing (no pipeline: we read the files ourselves). Pascal
    VOC XML files are checked first (:func:`check_voc_file`): mmdet's parser would fail on a
    bad number naming no file, and accept inverted or empty boxes."""
    if kind == "mmdet":
        from mmdet.registry import DATASETS
        from mmdet.utils import register_all_modules
    else:
        from mmseg.registry import DATASETS
        from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    if kind == "mmdet":
        _check_xml_files(DATASETS, config)
    try:
        return DATASETS.build({**config, "test_mode": True, "pipeline": []})
    except Exception as e:  # a wrong path, key or type: the library raises many kinds
        raise BenchError(
            f"dataset: {kind} cannot build {config.get('type')!r} ({first_line(e)})"
        ) from e


def _check_xml_files(registry, config: dict) -> None:
    """Every annotation file an XMLDataset config names, checked before mmdet parses it."""
    import os.path as osp

    from mmdet.datasets import XMLDataset
    from mmengine import list_from_file

    try:
        lazy = registry.build({**config, "test_mode": True, "pipeline": [], "lazy_init": True})
    except Exception:  # the full build below names what is wrong
        return
    if not isinstance(lazy, XMLDataset) or not osp.isfile(lazy.ann_file):
        return
    for img_id in list_from_file(lazy.ann_file):
        xml = Path(lazy.sub_data_root) / lazy.ann_subdir / f"{img_id}.xml"
        if xml.is_file():
            check_voc_file(xml)


def _files_digest(config: dict) -> str:
    """The config and the bytes of the annotation file it names, for cache keys."""
    ann = config.get("ann_file")
    path = Path(config.get("data_root", "")) / ann if ann else None
    data = path.read_bytes() if path is not None and path.is_file() else b""
    return content_hash(json.dumps(config, sort_keys=True, default=str), data)


def _label_names(built) -> list[str]:
    """The class name of each ``bbox_label``: a COCO-style dataset numbers its labels by its
    ``cat_ids`` (the categories of its file that it keeps, in the file's order), as its
    CocoMetric maps them back; other datasets by ``metainfo['classes']``."""
    if hasattr(built, "cat_ids"):  # the dataset drops its COCO index once loaded: read again
        from mmdet.datasets.api_wrappers import COCO

        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' progress lines
            cats = COCO(built.ann_file).cats
        return [cats[cat_id]["name"] for cat_id in built.cat_ids]
    return list(built.metainfo.get("classes", ()))


def _box_metric(built) -> str:
    """VOCMetric for Pascal VOC XML datasets (11-point AP, VOC2012's area where the dataset
    says it is VOC2012, as mmdet's VOC configs score them), CocoMetric for the others."""
    from mmdet.datasets import XMLDataset

    if not isinstance(built, XMLDataset):
        return "coco"
    return "voc-area" if built.metainfo.get("dataset_type") == "VOC2012" else "voc"


def load(spec: dict, limit: int | None) -> Dataset:
    kind, config = spec["type"], dict(spec["dataset"])
    built = _build(kind, config)
    infos = [built.get_data_info(i) for i in range(len(built))][:limit]
    if not infos:
        raise BenchError(f"dataset: {kind} {config.get('type')!r} has no images")
    names = [Path(info["img_path"]).name for info in infos]
    if len(set(names)) != len(names):
        raise BenchError(f"dataset: {kind} {config.get('type')!r}: two images share a file name")
    by_name = dict(zip(names, infos, strict=True))
    images, skipped = keep_usable(usable_clean, [Path(info["img_path"]) for info in infos])
    dataset = Dataset(spec.get("name", config.get("type", kind)), images, skipped)
    if kind == "mmdet":
        classes = _label_names(built)
        boxes = {
            im.name: [
                {
                    "bbox": [float(v) for v in a["bbox"]],
                    "category": classes[a["bbox_label"]],
                    "ignore_flag": a["ignore_flag"],
                }
                for a in by_name[im.name].get("instances", [])
            ]
            for im in images
        }
        dataset.attach_boxes(
            boxes, f"{config['type']} annotations", _files_digest(config), metric=_box_metric(built)
        )
        return dataset
    labels = {}
    for im in images:
        info = by_name[im.name]
        path = Path(info["seg_map_path"])
        shape = read_image(path).shape
        if shape[:2] != im.shape:
            raise BenchError(
                f"{path}: label map of size {shape[1]}x{shape[0]} does not fit "
                f"{im.name} ({im.shape[1]}x{im.shape[0]})"
            )
        labels[im.name] = path
    reading = {
        "reduce_zero_label": bool(infos[0].get("reduce_zero_label")),
        "label_map": infos[0].get("label_map"),
    }
    dataset.labels = label_maps(labels, MMSEG_READER + json.dumps(reading, sort_keys=True))
    return dataset
