"""Deraining architectures (one file each) and the mmengine training model."""

from rdmc.models.derain_model import DerainModel
from rdmc.models.rdmc import RDMC, build_rdmc

__all__ = ["RDMC", "DerainModel", "build_rdmc"]
