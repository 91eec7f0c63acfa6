"""Deraining architectures (one file each) and the mmengine training model."""

from rdmc.models.derain_model import DerainModel
from rdmc.models.guided_filter_derain import GuidedFilterDerain
from rdmc.models.identity import Identity
from rdmc.models.prenet import PReNet
from rdmc.models.rdmc import RDMC, build_rdmc
from rdmc.models.rdmc_se import RDMCSE
from rdmc.models.restormer_lite import RestormerLite

__all__ = [
    "RDMC",
    "RDMCSE",
    "DerainModel",
    "GuidedFilterDerain",
    "Identity",
    "PReNet",
    "RestormerLite",
    "build_rdmc",
]
