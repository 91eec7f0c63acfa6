# rdmc: the authors' network and recipe (see rdmc-rain100h for their epoch-based protocol on
# a deraining dataset), here on the embedded photos: searched recruitment (DARTS on held-out
# samples: the second copy of every photo, with its own random patch and rain), loss on the
# final stage, Adam 1e-3 with steps x0.2, 128x128 patches, batch 8, no flips.
# Meant for a GPU; on a CPU one iteration takes several seconds.
_base_ = ["./_base_/derain_cpu.py"]

model = dict(
    arch=dict(
        type="RDMC",
        widths=(32, 64, 128, 256, 256),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="searched",
    ),
    loss=dict(supervise="last"),
)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type="SearchSplitDataset",
        train_portion=0.5,
        dataset=dict(
            type="SyntheticRainDataset",
            root="samples:train",
            mode="train",
            presets=("light", "heavy"),
            severities=(2, 3, 4),
            patch_size=128,
            flip=False,
            repeat=2,
        ),
    ),
)
optim_wrapper = dict(
    _delete_=True,
    constructor="ArchitectureSearchOptimConstructor",
    weights=dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3)),
    architecture=dict(
        type="OptimWrapper",
        optimizer=dict(type="Adam", lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3),
    ),
)
train_cfg = dict(type="IterBasedTrainLoop", max_iters=60000, val_interval=2000)
param_scheduler = dict(
    _delete_=True,
    weights=[dict(type="MultiStepLR", by_epoch=False, milestones=[12000, 20000, 32000], gamma=0.2)],
    architecture=[],
)
default_hooks = dict(checkpoint=dict(interval=2000))
custom_hooks = [
    dict(type="RecruitmentSearchHook", search_iters=12000, keep_down=2, keep_up=2),
    dict(type="ExportDerainerHook", metric="derain/psnr"),
]
