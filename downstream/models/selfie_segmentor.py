"""MediaPipe selfie segmentation (person vs background) as an MMSegmentation segmentor.

The network is the TFLite file itself, run by :class:`TFLiteGraph`; its weights
come from the mediapipe wheel on the package registry (SHA-256 verified). The
model outputs a person probability p at 256x256; the segmentor returns the two
class scores (1 - p, p), which mmseg resizes to the input and turns into labels
0 = background, 1 = person.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS

from downstream.models.tflite_graph import TFLiteGraph
from rdmc.weights import resolve_weights

SELFIE_CLASSES = ("background", "person")
SELFIE_PALETTE = [[0, 0, 0], [255, 255, 255]]


@MODELS.register_module()
class TFLiteSegmentor(BaseSegmentor):
    """A frozen binary TFLite segmenter (inference only: it is never trained here).

    Args:
        weights: name of the registry weights (see rdmc.weights), or
        tflite_path: a local .tflite file instead.
    """

    def __init__(
        self,
        weights: str = "selfie-segmentation",
        tflite_path: str | None = None,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
        pretrained: str | None = None,
        train_cfg: dict | None = None,
    ) -> None:
        # mmseg's init_model sets ``pretrained`` and ``train_cfg`` to None on every model
        # config; the weights come from the TFLite file (or the checkpoint), so both are unused.
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.net = TFLiteGraph(tflite_path or resolve_weights(weights))
        self.align_corners = False
        self.num_classes = 2
        self.out_channels = 2

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs)

    def encode_decode(self, inputs: torch.Tensor, batch_img_metas: list[dict]) -> torch.Tensor:
        person = self.net(inputs).clamp(0, 1)
        return torch.cat([1 - person, person], dim=1)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        raise NotImplementedError(
            "TFLiteSegmentor wraps a frozen pretrained model; it is not trained"
        )

    def predict(self, inputs: torch.Tensor, data_samples: list | None = None) -> list:
        if data_samples is None:
            h, w = inputs.shape[2:]
            meta = dict(
                ori_shape=(h, w), img_shape=(h, w), pad_shape=(h, w), padding_size=[0, 0, 0, 0]
            )
            batch_img_metas = [meta] * inputs.shape[0]
        else:
            batch_img_metas = [sample.metainfo for sample in data_samples]
        return self.postprocess_result(self.encode_decode(inputs, batch_img_metas), data_samples)

    def postprocess_result(self, seg_logits: torch.Tensor, data_samples: list | None = None):
        """mmseg's post-processing (padding removed, flip undone, resized to the input) on the
        person channel alone: with the two scores (1 - p, p), argmax is ``p > 0.5`` (a tie
        goes to background, as argmax does), and resizing p gives 1 - p for free. Same
        labels and scores as mmseg's, without interpolating and arg-maxing 2 x H x W."""
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample

        batch, _, h, w = seg_logits.shape
        samples = data_samples or [SegDataSample() for _ in range(batch)]
        for i, sample in enumerate(samples):
            person = seg_logits[i : i + 1, 1:]
            if data_samples is not None:
                meta = sample.metainfo
                left, right, top, bottom = meta.get(
                    "img_padding_size", meta.get("padding_size", [0] * 4)
                )
                person = person[..., top : h - bottom, left : w - right]
                if meta.get("flip"):
                    person = person.flip(
                        dims=(3,) if meta["flip_direction"] == "horizontal" else (2,)
                    )
                person = F.interpolate(
                    person,
                    size=meta["ori_shape"],
                    mode="bilinear",
                    align_corners=self.align_corners,
                )
            person = person[0]
            sample.set_data(
                {
                    "seg_logits": PixelData(data=torch.cat([1 - person, person])),
                    "pred_sem_seg": PixelData(data=(person > 0.5).long()),
                }
            )
        return samples

    def _forward(self, inputs: torch.Tensor, data_samples: list | None = None) -> torch.Tensor:
        return self.net(inputs)
