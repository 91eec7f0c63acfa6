# MediaPipe's landscape selfie segmentation (person vs background): the square model's
# config with the landscape TFLite file and its input, the image resized to 256x144
# (width x height, no letterbox), RGB in [0, 1].
_base_ = ["selfie_segmentation.py"]

model = dict(weights="selfie-segmentation-landscape")

test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(256, 144), keep_ratio=False),
    dict(type="PackSegInputs"),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
