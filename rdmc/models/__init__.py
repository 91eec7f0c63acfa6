"""Deraining architectures (one file each). The mmengine training model
(:mod:`rdmc.models.derain_model`) is imported by the registry when a config names it:
mmengine's model package costs 0.9 s of import that inference does not need."""

from rdmc.models.guided_filter_derain import GuidedFilterDerain
from rdmc.models.identity import Identity
from rdmc.models.prenet import PReNet
from rdmc.models.rdmc import RDMC, build_rdmc
from rdmc.models.rdmc_se import RDMCSE
from rdmc.models.restormer_lite import RestormerLite

__all__ = [
    "RDMC",
    "RDMCSE",
    "GuidedFilterDerain",
    "Identity",
    "PReNet",
    "RestormerLite",
    "build_rdmc",
]
