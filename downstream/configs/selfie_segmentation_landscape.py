# MediaPipe's landscape selfie segmentation (person vs background), run from its TFLite file
# inside MMSegmentation. Input: the image resized to 256x144 (width x height, no letterbox),
# RGB in [0, 1].
default_scope = "mmseg"
custom_imports = dict(imports=["downstream.models.selfie_segmentor"], allow_failed_imports=False)

model = dict(
    type="TFLiteSegmentor",
    weights="selfie-segmentation-landscape",
    data_preprocessor=dict(
        type="SegDataPreProcessor", mean=[0, 0, 0], std=[255.0, 255.0, 255.0], bgr_to_rgb=True
    ),
)

test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(256, 144), keep_ratio=False),
    dict(type="PackSegInputs"),
]
test_dataloader = dict(
    dataset=dict(
        type="BaseSegDataset",
        metainfo=dict(classes=("background", "person"), palette=[[0, 0, 0], [255, 255, 255]]),
        pipeline=test_pipeline,
    )
)
