"""``cityscapes``: the Cityscapes layout, and RainCityscapes with ``rain: leftImg8bit_rain``.

    leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png                  clean images
    gtFine/<split>/<city>/<stem>_gtFine_labelTrainIds.png              label maps (19 classes,
        or <stem>_gtFine_labelIds.png, mapped to the 19 train ids)     255 = ignored)
    <rain>/<split>/<city>/<stem>_leftImg8bit_rain_alpha_A_beta_B_dropsize_D_pattern_P.png

With ``rain:`` every distinct (alpha, beta, dropsize, pattern) is one of the dataset's rain
settings and an image missing one of them is skipped; without it the suite adds its rain.
"""

from __future__ import annotations

from pathlib import Path

from downstream.annotations import check_label_map
from downstream.datasets.base import (
    Dataset,
    Image,
    RainyFile,
    check_rainy_file,
    file_key,
    folder_of,
    keep_usable,
    label_maps,
    usable_clean,
)
from downstream.errors import BenchError
from rdmc.data.layouts import RAIN_CITYSCAPES_FILE
from rdmc.imageio import ImageError

CLEAN_SUFFIX = "_leftImg8bit.png"
LABEL_IDS_READER = "cityscapes labelIds -> trainIds"


def _rain_files(folder: Path) -> dict[str, dict[str, Path]]:
    """stem -> {setting: file} of a RainCityscapes folder."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*/*.png")):
        match = RAIN_CITYSCAPES_FILE.match(path.name)
        if match:
            found.setdefault(match[1], {})[match[2]] = path
    if not found:
        raise BenchError(
            f"{folder}: no RainCityscapes files (<stem>_leftImg8bit_rain_alpha_A_"
            "beta_B_dropsize_D_pattern_P.png in city folders)"
        )
    return found


def _label_file(gt: Path, clean: Path) -> tuple[Path, bool]:
    """The label map of a clean image and whether it holds train ids (else label ids)."""
    stem = clean.name.removesuffix(CLEAN_SUFFIX)
    train_ids = gt / clean.parent.name / f"{stem}_gtFine_labelTrainIds.png"
    if train_ids.is_file():
        return train_ids, True
    label_ids = gt / clean.parent.name / f"{stem}_gtFine_labelIds.png"
    if label_ids.is_file():
        return label_ids, False
    raise BenchError(f"{train_ids}: no label map for {clean.name} (nor {label_ids.name})")


def load(spec: dict, limit: int | None) -> Dataset:
    root, split = folder_of(spec), spec.get("split", "val")
    clean_dir = root / "leftImg8bit" / split
    cleans = sorted(clean_dir.glob(f"*/*{CLEAN_SUFFIX}"))[:limit]
    if not cleans:
        raise BenchError(f"{clean_dir}: no <city>/*{CLEAN_SUFFIX} images")
    rain = spec.get("rain")
    by_stem = _rain_files(folder_of({"root": root / rain / split})) if rain else {}
    settings = sorted({s for files in by_stem.values() for s in files})

    def usable(path: Path) -> Image:
        image = usable_clean(path)
        files = by_stem.get(path.name.removesuffix(CLEAN_SUFFIX), {})
        missing = [s for s in settings if s not in files]
        if missing:
            raise ImageError(
                f"{path}: no rainy copy for {len(missing)} of {len(settings)} rain "
                f"settings, e.g. {missing[0]}"
            )
        for s in settings:
            check_rainy_file(files[s], image.shape)
        image.rainy = {s: RainyFile(files[s], file_key(files[s])) for s in settings}
        return image

    images, skipped = keep_usable(usable, cleans)
    dataset = Dataset(spec.get("name", f"{root.name}:{split}"), images, skipped, rain=settings)
    gt = root / "gtFine" / split
    if gt.is_dir():
        labels = {im.name: _label_file(gt, im.path) for im in images}
        for im in images:
            check_label_map(labels[im.name][0], im.name, im.shape)
        kinds = {train for _, train in labels.values()}
        if len(kinds) > 1:
            raise BenchError(f"{gt}: some images have labelTrainIds maps and some only labelIds")
        reader = LABEL_IDS_READER if kinds == {False} else None
        dataset.labels = label_maps({name: path for name, (path, _) in labels.items()}, reader)
    return dataset
