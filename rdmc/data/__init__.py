"""Datasets: standard deraining layouts, synthetic pairs, the embedded sample set."""

from rdmc.data.datasets import PairedRainDataset, SyntheticRainDataset
from rdmc.data.layouts import LAYOUTS, LayoutError, detect_layout, find_pairs
from rdmc.data.samples import PHOTOS, prepare_samples, sample_image, sample_split

__all__ = [
    "LAYOUTS",
    "PHOTOS",
    "LayoutError",
    "PairedRainDataset",
    "SyntheticRainDataset",
    "detect_layout",
    "find_pairs",
    "prepare_samples",
    "sample_image",
    "sample_split",
]
