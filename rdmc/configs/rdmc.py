# rdmc: paper size (per-branch widths 32/64/128/256/256, three branches, T = 3) with the
# authors' recipe scaled to iterations: Adam 1e-3, steps x0.2, 128x128 patches, batch 8.
# Meant for a GPU; on a CPU one iteration takes several seconds.
_base_ = ["./_base_/derain_cpu.py"]

model = dict(
    arch=dict(
        type="RDMC",
        widths=(32, 64, 128, 256, 256),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="dynamic",
    )
)
train_cfg = dict(type="IterBasedTrainLoop", max_iters=60000, val_interval=2000)
param_scheduler = [
    dict(type="MultiStepLR", by_epoch=False, milestones=[12000, 20000, 32000], gamma=0.2)
]
default_hooks = dict(checkpoint=dict(interval=2000))
