"""Segmenters on MMSegmentation: the embedded MediaPipe selfie models (square 256x256 and
landscape 144x256 input), or any mmseg config + checkpoint. An embedded model's checkpoint is
written once into ``<cache>/models/<name>-<sha>.pth`` from the verified TFLite file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from downstream.checkpoints import (
    derived_checkpoint,
    in_scope,
    load_openmmlab_model,
    quiet_openmmlab,
)
from rdmc.cache_dir import default_cache_dir
from rdmc.digests import file_digest
from rdmc.weights import resolve_weights

CONFIG_DIR = Path(__file__).parent / "configs"
EMBEDDED_SEGMENTERS = {
    "selfie-segmentation": CONFIG_DIR / "selfie_segmentation.py",
    "selfie-segmentation-landscape": CONFIG_DIR / "selfie_segmentation_landscape.py",
}


def selfie_checkpoint(name: str = "selfie-segmentation", cache_dir: Path | None = None) -> Path:
    """The mmseg checkpoint of an embedded selfie segmenter (``name`` is its registry
    weights' name too), built on first use."""
    from mmseg.apis import init_model

    from downstream.models.selfie_segmentor import SELFIE_CLASSES, SELFIE_PALETTE

    tflite = resolve_weights(name)
    digest = file_digest(tflite, "sha256")
    target = (cache_dir or default_cache_dir()) / "models" / f"{name}-{digest[:12]}.pth"

    def build() -> tuple[dict, dict]:
        with quiet_openmmlab():
            model = init_model(str(EMBEDDED_SEGMENTERS[name]), None, device="cpu")
        meta = {
            "dataset_meta": {"classes": list(SELFIE_CLASSES), "palette": SELFIE_PALETTE},
            "source": f"{tflite.name} (PyPI mediapipe 0.10.21)",
            "tflite_sha256": digest,
        }
        return meta, model.state_dict()

    return derived_checkpoint(target, build)


class Segmenter:
    """An mmseg segmenter ready for inference on RGB uint8 numpy images."""

    def __init__(
        self,
        name: str | None = None,
        config: str | Path | None = None,
        checkpoint: str | Path | None = None,
        device: str = "cpu",
    ) -> None:
        from mmseg.apis import init_model

        self.name, self.config, self.checkpoint, self.model = load_openmmlab_model(
            "segmenter",
            name,
            config,
            checkpoint,
            EMBEDDED_SEGMENTERS,
            selfie_checkpoint,
            init_model,
            device,
        )
        self.classes = list(self.model.dataset_meta["classes"])
        # An embedded model's pipeline only resizes, so it takes the RGB image as is, without
        # the BGR copy that mmseg's preprocessor flips back (a copy of the image per call).
        preprocessor = self.model.data_preprocessor
        self.feeds_rgb = config is None and bool(getattr(preprocessor, "channel_conversion", 0))
        if self.feeds_rgb:
            preprocessor.channel_conversion = False
        self.pipeline = _array_test_pipeline(self.model.cfg)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """Label map (H x W, int64) of an RGB image."""
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
        image = np.ascontiguousarray(rgb[..., :3] if self.feeds_rgb else rgb[..., 2::-1])
        with torch.inference_mode(), in_scope("mmseg"):
            data = self.pipeline(dict(img=image))
            batch = {"inputs": [data["inputs"]], "data_samples": [data["data_samples"]]}
            result = self.model.test_step(batch)[0]
        return result.pred_sem_seg.data[0].cpu().numpy().astype(np.int64, copy=False)


def _array_test_pipeline(cfg):
    """The config's test pipeline for a numpy image, built once: what mmseg's
    ``inference_model`` builds on every call (image from an array, no annotations)."""
    from mmcv.transforms import Compose

    steps = [dict(t) for t in cfg.test_pipeline if t.get("type") != "LoadAnnotations"]
    steps[0]["type"] = "LoadImageFromNDArray"
    with in_scope("mmseg"):
        return Compose(steps)
