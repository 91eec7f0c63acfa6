# PReNet at the same budget as rdmc-s (data, patches, iterations, optimizer): the shared
# recipe of _base_/derain_cpu.py. PReNet's own loss is negative SSIM on the last stage;
# here every learned derainer trains on the same loss so only the architecture differs.
_base_ = ["./_base_/derain_cpu.py"]

model = dict(
    type="DerainModel",
    arch=dict(type="PReNet", stages=6, channels=32, res_blocks=5),
    loss=dict(
        type="DerainLoss",
        mse_weight=0.1,
        ssim_weight=1.0,
        cr_weight=0.1,
        contrastive=dict(extractor="efficientnet-lite0"),
    ),
)
