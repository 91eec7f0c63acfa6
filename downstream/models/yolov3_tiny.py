"""YOLOv3-tiny (COCO) as an MMDetection detector, with a converter from Darknet weights.

MMDetection has YOLOv3's head, anchor generator, box coder and post-processing,
but not the tiny network's backbone and neck; both are registered here in
mmdet's MODELS registry. The layer list follows ``yolov3-tiny.cfg``:

    backbone  conv16 mp conv32 mp conv64 mp conv128 mp conv256(*) mp conv512 mp/1 conv1024
    neck      P5 = conv1x1 256 (conv1024);  P4 = concat(upsample(conv1x1 128 (P5)), *)
    head      YOLOV3Head: bridge conv3x3 512 / 256, prediction conv1x1 255 per level

(mp/1 is Darknet's size-2, stride-1 max-pool, which pads one pixel right and
bottom.) The second YOLO layer of the shipped cfg uses anchor mask 0,1,2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn

NORM = dict(type="BN", requires_grad=True)
LEAKY = dict(type="LeakyReLU", negative_slope=0.1)
BACKBONE_WIDTHS = (16, 32, 64, 128, 256, 512, 1024)
ANCHORS_STRIDE32 = [(81, 82), (135, 169), (344, 319)]
ANCHORS_STRIDE16 = [(10, 14), (23, 27), (37, 58)]


def _conv(c_in: int, c_out: int, k: int) -> ConvModule:
    return ConvModule(c_in, c_out, k, padding=k // 2, norm_cfg=NORM, act_cfg=LEAKY)


class DarknetStridedPool(nn.Module):
    """Darknet's max-pool with size 2 and stride 1: same output size, padded right/bottom."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(F.pad(x, (0, 1, 0, 1), mode="replicate"), 2, stride=1)


@MODELS.register_module()
class TinyDarknet(BaseModule):
    """YOLOv3-tiny's backbone. Returns (stride-16 features of conv256, stride-32 of conv1024)."""

    def __init__(self, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg)
        c_in = 3
        for i, width in enumerate(BACKBONE_WIDTHS, start=1):
            self.add_module(f"conv{i}", _conv(c_in, width, 3))
            c_in = width
        self.pool_last = DarknetStridedPool()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for i in range(1, 6):
            x = getattr(self, f"conv{i}")(x)
            if i < 5:
                x = F.max_pool2d(x, 2, 2)
        route = x  # conv256, stride 16
        x = self.conv6(F.max_pool2d(x, 2, 2))
        x = self.conv7(self.pool_last(x))
        return route, x


@MODELS.register_module()
class YOLOV3TinyNeck(BaseModule):
    """Outputs (P5: 256 channels at stride 32, P4: 384 channels at stride 16), head order.
    YOLOv4-tiny's neck is the same on a 512-channel backbone output (``in_channels=512``)."""

    def __init__(self, in_channels: int = 1024, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg)
        self.conv_p5 = _conv(in_channels, 256, 1)
        self.conv_lateral = _conv(256, 128, 1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        route, deep = inputs
        p5 = self.conv_p5(deep)
        up = F.interpolate(self.conv_lateral(p5), scale_factor=2, mode="nearest")
        return p5, torch.cat([up, route], dim=1)


# --------------------------------------------------------------------------- conversion

# Darknet layer order in the weights file -> (module prefix, has batch norm)
DARKNET_ORDER = [
    *[(f"backbone.conv{i}", True) for i in range(1, 8)],
    ("neck.conv_p5", True),
    ("bbox_head.convs_bridge.0", True),
    ("bbox_head.convs_pred.0", False),
    ("neck.conv_lateral", True),
    ("bbox_head.convs_bridge.1", True),
    ("bbox_head.convs_pred.1", False),
]
