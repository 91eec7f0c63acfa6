"""mmengine registries for RDMC bench, children of mmengine's root registries.

A config names anything registered here by ``type``; mmengine's Runner finds it
through the parent registries.
"""

from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry("model", parent=MMENGINE_MODELS, locations=["rdmc.models"])
DATASETS = Registry("dataset", parent=MMENGINE_DATASETS, locations=["rdmc.data"])
TRANSFORMS = Registry("transform", parent=MMENGINE_TRANSFORMS, locations=["rdmc.data"])
METRICS = Registry("metric", parent=MMENGINE_METRICS, locations=["rdmc.metrics"])
