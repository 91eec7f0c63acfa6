"""mmengine registries for RDMC bench, one child of each mmengine root registry.

As in MMDetection, every root registry gets an ``rdmc`` child so that a config
with ``default_scope = "rdmc"`` names anything by its plain ``type``: our own
modules are found here, mmengine's (loops, samplers, optimizers, ...) through
the parents.
"""

from mmengine import registry as mm
from mmengine.registry import Registry

# The architectures only: the training model and the losses register themselves when
# rdmc.train (or rdmc.models.derain_model) is imported, so that inference never imports
# mmengine's model and optimizer packages (0.9 s) nor SciPy.
MODELS = Registry("model", parent=mm.MODELS, locations=["rdmc.models"])
DATASETS = Registry("dataset", parent=mm.DATASETS, locations=["rdmc.data", "rdmc.search"])
METRICS = Registry("metric", parent=mm.METRICS, locations=["rdmc.metrics"])
HOOKS = Registry("hook", parent=mm.HOOKS, locations=["rdmc.train", "rdmc.search"])
OPTIM_WRAPPERS = Registry("optim_wrapper", parent=mm.OPTIM_WRAPPERS, locations=["rdmc.train"])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    "optimizer wrapper constructor", parent=mm.OPTIM_WRAPPER_CONSTRUCTORS, locations=["rdmc.search"]
)

# Children with nothing of ours in them yet: they make the "rdmc" scope resolve everywhere.
RUNNERS = Registry("runner", parent=mm.RUNNERS)
RUNNER_CONSTRUCTORS = Registry("runner constructor", parent=mm.RUNNER_CONSTRUCTORS)
LOOPS = Registry("loop", parent=mm.LOOPS)
DATA_SAMPLERS = Registry("data sampler", parent=mm.DATA_SAMPLERS)
TRANSFORMS = Registry("transform", parent=mm.TRANSFORMS)
MODEL_WRAPPERS = Registry("model_wrapper", parent=mm.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = Registry("weight initializer", parent=mm.WEIGHT_INITIALIZERS)
OPTIMIZERS = Registry("optimizer", parent=mm.OPTIMIZERS)
PARAM_SCHEDULERS = Registry("parameter scheduler", parent=mm.PARAM_SCHEDULERS)
EVALUATOR = Registry("evaluator", parent=mm.EVALUATOR)
TASK_UTILS = Registry("task util", parent=mm.TASK_UTILS)
VISUALIZERS = Registry("visualizer", parent=mm.VISUALIZERS)
VISBACKENDS = Registry("vis_backend", parent=mm.VISBACKENDS)
LOG_PROCESSORS = Registry("log_processor", parent=mm.LOG_PROCESSORS)
FUNCTIONS = Registry("function", parent=mm.FUNCTIONS)


def _build_in_rdmc_scope(registry: Registry, cfg: dict, build=None):
    """Builds from our registry whatever mmengine's current default scope is (mmdet and
    mmseg set their own when their models load, and a type is looked up in that scope)."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope("rdmc"):
        return build(cfg, registry) if build else registry.build(cfg)


def build_model(cfg: dict):
    """One of our modules (or mmengine's) from its config. Built with mmengine's plain
    ``build_from_cfg``: the model registry's own build function imports mmengine.model
    (and its optimizers, 0.9 s) for list configs that we never pass."""
    return _build_in_rdmc_scope(MODELS, cfg, mm.build_from_cfg)


def build_optim_wrapper(cfg: dict):
    """An optimizer wrapper (ours, e.g. BF16OptimWrapper, or mmengine's) from its config."""
    return _build_in_rdmc_scope(OPTIM_WRAPPERS, cfg)
