"""``paired``: a deraining dataset in any layout ``rdmc data check`` knows. It is its own
rain: one rain setting named after the dataset, whose rainy images are the dataset's. Each
rainy image is one scored image, so Rain1400's 14 rainy versions of a clean image are 14
images sharing it."""

from __future__ import annotations

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
from rdmc.data.datasets import PairedRainDataset
from rdmc.data.layouts import LayoutError, Pair, find_pairs


def _usable_pair(pair: Pair, rain: str) -> Image:
    """The dataset entry of one rainy/clean pair; ImageError if it cannot be scored."""
    rainy, _ = PairedRainDataset.read_pair(pair)  # both readable and of one size
    shape = check_size(pair.rainy, rainy.shape)
    clean_half = None if pair.rainy_half is None else "clean " + pair.rainy_half
    rainy_file = RainyFile(pair.rainy, file_key(pair.rainy, pair.rainy_half), pair.rainy_half)
    return Image(
        pair.rainy.name, file_key(pair.clean, clean_half), pair.clean, shape, {rain: rainy_file}
    )


def load(spec: dict, limit: int | None) -> Dataset:
    root = folder_of(spec)
    try:
        found = find_pairs(root, spec.get("layout"))
    except LayoutError as e:
        raise BenchError(str(e)) from e
    name = spec.get("name", root.name)
    images, skipped = keep_usable(lambda pair: _usable_pair(pair, name), found.pairs[:limit])
    return Dataset(name, images, skipped, rain=[name])
