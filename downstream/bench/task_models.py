"""The detectors and segmenters of a suite, and their cached predictions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from downstream.cache import Cache
from downstream.errors import BenchError
from downstream.suite import Suite
from rdmc.code_digest import code_digest, content_hash

# The modules that build and run the task models (code_digest follows their imports), and mmcv,
# whose ops mmdet and mmseg run without our code importing it.
MODEL_CODE = (("downstream.detection", "downstream.segmentation"), ("mmcv",))


@dataclass
class TaskModel:
    task: str  # "detection" or "segmentation"
    name: str
    fingerprint: str  # config and weights
    code: str  # the model and inference code, library versions and device
    load: Callable[[], object]
    _model: object = None

    @property
    def model(self):
        if self._model is None:
            self._model = self.load()
        return self._model


def _model_spec(entry) -> tuple[str | None, str | None, str | None]:
    if isinstance(entry, str):
        return entry, None, None
    return entry.get("name"), entry.get("config"), entry.get("checkpoint")


def task_models(suite: Suite, device: str) -> list[TaskModel]:
    from downstream.detection import EMBEDDED_DETECTORS, Detector, darknet_checkpoint
    from downstream.segmentation import EMBEDDED_SEGMENTERS, Segmenter, selfie_checkpoint
    from rdmc.configured import config_digest
    from rdmc.digests import sha256_of

    code = content_hash(code_digest(*MODEL_CODE), device)
    models = []
    for task, entries, embedded, cls, checkpoint_of in (
        ("detection", suite.detectors, EMBEDDED_DETECTORS, Detector, darknet_checkpoint),
        ("segmentation", suite.segmenters, EMBEDDED_SEGMENTERS, Segmenter, selfie_checkpoint),
    ):
        for entry in entries:
            name, config, checkpoint = _model_spec(entry)
            own = config is not None
            if not own:
                if name not in embedded:
                    raise BenchError(f"suite {suite.name}: unknown {task} model {name!r}")
                config, checkpoint = embedded[name], checkpoint_of(name)
            for path, what in ((config, "config"), (checkpoint, "checkpoint")):
                if path is None or not Path(path).is_file():
                    raise BenchError(f"{path}: {task} {what} file does not exist")
            try:
                fingerprint = content_hash(config_digest(Path(config)), sha256_of(Path(checkpoint)))
            except ValueError as e:
                raise BenchError(str(e)) from e
            name = name or Path(config).stem
            args = (name, config, checkpoint) if own else (name, None, checkpoint)

            def load(cls=cls, args=args):
                return cls(*args, device)

            models.append(TaskModel(task, name, fingerprint, code, load))
    return models


def predict(
    model: TaskModel, image_key: str, load_rgb: Callable[[], np.ndarray], cache: Cache
) -> dict[str, np.ndarray]:
    """The model's (cached) output; the image is only loaded when the cache misses."""
    key = content_hash(model.fingerprint, model.code, image_key)
    required = ("bboxes", "scores", "labels") if model.task == "detection" else ("labels",)

    def run() -> dict[str, np.ndarray]:
        rgb = load_rgb()
        if model.task == "detection":
            found = model.model(rgb)
            return {"bboxes": found.bboxes, "scores": found.scores, "labels": found.labels}
        return {"labels": model.model(rgb).astype(np.uint8)}

    return cache.arrays(model.task, key, required, run)
